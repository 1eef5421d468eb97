"""batching.generate_refilled and batching.prefill_shared against the plain `model.generate` loop
they replace (policy.HFPolicy.generate_lockstep with a full prefill of every row): the same greedy
tokens, the same sampler, log-probs of the distributions the model really gives, and no rows
computed for sequences that have stopped."""
import collections

import pytest
import torch

from policy import load_policy
from tiny_model import build_tiny_model


@pytest.fixture(scope="module")
def policy(tmp_path_factory):
    policy = load_policy(build_tiny_model(str(tmp_path_factory.mktemp("tiny") / "m")), device="cpu", dtype="float32")
    policy.continuous = True
    # Freshly initialised weights (std 0.02) make greedy decoding repeat one token; larger ones vary.
    torch.manual_seed(0)
    with torch.no_grad():
        for weight in policy.model.parameters():
            if weight.dim() == 2:
                weight.normal_(0, 0.3)
    # A random tiny model rarely writes <|im_end|>: stop on two of its frequent greedy tokens as well,
    # so that completions end at different lengths and rows leave and join the batch.
    probe = policy.generate_lockstep([policy.encode([{"role": "user", "content": "x" * n}]) for n in range(1, 9)],
                                     temperature=0, top_p=1.0, max_new_tokens=24, micro_batch=8, log_probs=False)[0]
    frequent = [t for t, _ in collections.Counter(t for c in probe for t in c).most_common(2)]
    policy.stop_token_ids = sorted(set(policy.stop_token_ids) | set(frequent))
    policy.model.generation_config.eos_token_id = policy.stop_token_ids
    return policy


def prompts_of(policy, n):
    return [policy.encode([{"role": "user", "content": "abcdefghij"[: 1 + i % 10] * (1 + i // 3)}]) for i in range(n)]


def both(policy, prompts, **sampling):
    out = {}
    for continuous in (False, True):
        policy.continuous = continuous
        out[continuous] = policy.generate_tokens(prompts, **sampling)
    policy.continuous = True
    return out[False], out[True]


def test_greedy_tokens_are_those_of_model_generate(policy):
    prompts = prompts_of(policy, 11)
    plain, refilled = both(policy, prompts, temperature=0, max_new_tokens=20, micro_batch=4)
    assert len({len(c) for c in plain}) > 2  # rows really stopped at different steps
    assert refilled == plain


def test_the_sampler_is_that_of_model_generate(policy):
    """Same seed, same rows, no row stopping early: the very same draws, with temperature and top-p
    (and no top-k in either: generate would fill an unset top_k with 50 unless told top_k=0)."""
    prompts = [policy.encode([{"role": "user", "content": "same length"}])] * 6
    policy.stop_token_ids, saved = [policy.tokenizer.convert_tokens_to_ids("<unk>")], policy.stop_token_ids
    policy.model.generation_config.eos_token_id = policy.stop_token_ids
    try:
        torch.manual_seed(3)
        plain = policy.generate_lockstep(prompts, temperature=0.7, top_p=0.9, max_new_tokens=12, micro_batch=6,
                                         log_probs=False)[0]
        torch.manual_seed(3)
        policy.continuous = True
        refilled = policy.generate_tokens(prompts, temperature=0.7, top_p=0.9, max_new_tokens=12, micro_batch=6)
    finally:
        policy.stop_token_ids = saved
        policy.model.generation_config.eos_token_id = saved
    assert len({tuple(c) for c in plain}) > 1
    assert refilled == plain


def test_sampled_log_probs_are_the_models_with_rows_leaving_and_joining(policy):
    """Each recorded log-prob equals a plain forward pass over prompt + completion: every step drew
    from the model's own distribution, whatever rows shared its batch."""
    prompts = prompts_of(policy, 9)
    torch.manual_seed(0)
    completions, recorded = policy.generate_tokens(prompts, temperature=1.0, max_new_tokens=16, micro_batch=3,
                                                   log_probs=True)
    assert len({len(c) for c in completions}) > 2
    for prompt, completion, values in zip(prompts, completions, recorded):
        ids = torch.tensor([prompt + completion])
        with torch.no_grad():
            logits = policy.model(ids).logits[0, len(prompt) - 1:-1]
        expected = logits.log_softmax(-1).gather(1, torch.tensor(completion)[:, None]).squeeze(1)
        assert torch.allclose(torch.tensor(values), expected, atol=1e-4)


def test_no_row_is_computed_after_its_sequence_stopped(policy):
    prompts = prompts_of(policy, 8)
    for continuous, wasted in ((False, lambda share: share > 0.1), (True, lambda share: share == 0)):
        policy.continuous, policy.row_counts.computed, policy.row_counts.kept = continuous, 0, 0
        policy.generate_tokens(prompts, temperature=0, max_new_tokens=20, micro_batch=8)
        assert wasted(policy.row_counts.wasted_share)
    policy.continuous = True


def shared_and_plain(policy, prompts, seed=0, **sampling):
    """generate_lockstep's completions with batching.prefill_shared, then with the plain prefill (same seed)."""
    out = {}
    for shared in (True, False):
        policy.continuous, policy.shared_prefill = False, shared
        torch.manual_seed(seed)
        out[shared] = policy.generate_tokens(prompts, **sampling)
    policy.continuous, policy.shared_prefill = True, True
    return out[True], out[False]


def test_a_shared_prefill_gives_the_greedy_tokens_of_a_full_one(policy):
    """Repeated prompts (collect's samples), a common prefix, prompts of one and two tokens."""
    prompts = prompts_of(policy, 9)
    prompts = prompts + prompts[:3] + [prompts[0][:1], prompts[0][:2]]
    shared, plain = shared_and_plain(policy, prompts, temperature=0, max_new_tokens=20, micro_batch=8)
    assert len({len(c) for c in plain}) > 2
    assert shared == plain


def test_a_shared_prefill_samples_as_a_full_one(policy):
    """The same seed gives the same draws, and each recorded log-prob is the model's own."""
    prompts = prompts_of(policy, 5) * 3
    (shared, shared_lp), (plain, plain_lp) = shared_and_plain(policy, prompts, seed=3, temperature=0.8,
                                                              max_new_tokens=12, micro_batch=15, log_probs=True)
    assert len({tuple(c) for c in plain}) > 5
    assert shared == plain
    assert all(torch.allclose(torch.tensor(a), torch.tensor(b), atol=1e-5) for a, b in zip(shared_lp, plain_lp))
