"""veRL's `naive` reward manager, except that `</think>` survives decoding.

veRL decodes each response with `skip_special_tokens=True` before it calls
reward.compute_score. For a model whose tokenizer counts `</think>` as a special token that
deletes it, and the format term of a thinking model's reward (exactly one `</think>`) would
score every reply as a broken format (-0.9). This manager hands the naive manager a tokenizer
whose decode drops the special tokens itself, all but `</think>`. For a tokenizer where
`</think>` is ordinary text (or absent) the text is the one the naive manager makes.

recipes/verl_cobalt.sh selects it with
    reward.reward_manager.source=importlib
    reward.reward_manager.module.path=<this file's absolute path>
    reward.reward_manager.name=CobaltRewardManager
Everything else (calling compute_score with data_source, solution_str, ground_truth and
extra_info; an exception in scoring stops the step) is veRL's naive manager, unchanged.
"""
from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager

THINK_END = "</think>"


class ThinkEndKeepingTokenizer:
    """`tokenizer`, but decode(ids, skip_special_tokens=True) keeps the `</think>` token."""

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        special = set(tokenizer.all_special_ids)
        special |= {i for i, token in tokenizer.added_tokens_decoder.items() if token.special}
        think_end = tokenizer.get_vocab().get(THINK_END)
        self.dropped_ids = special - {think_end}

    def decode(self, ids, skip_special_tokens: bool = False, **kwargs) -> str:
        if skip_special_tokens:
            ids = [i for i in (ids.tolist() if hasattr(ids, "tolist") else ids) if i not in self.dropped_ids]
        return self.tokenizer.decode(ids, skip_special_tokens=False, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


class CobaltRewardManager(NaiveRewardManager):
    def __init__(self, config, tokenizer, compute_score, **kwargs):
        super().__init__(config, ThinkEndKeepingTokenizer(tokenizer), compute_score, **kwargs)
