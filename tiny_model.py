"""A tiny causal LM built locally for the tests and the toy world: nothing is downloaded.

`build_tiny_model(path)` writes a folder that `transformers.AutoModelForCausalLM`,
`AutoTokenizer` and `policy.load_policy` load like any Hugging Face model:

- a character-level tokenizer (printable ASCII, newline, tab) with the ChatML
  special tokens `<|im_start|>` / `<|im_end|>` and a ChatML chat template, the
  same turn format as SmolLM2-Instruct;
- a randomly initialised Llama with `hidden` width and `layers` layers.

The end-of-turn token `<|im_end|>` is the eos token; the pad token is a separate
`<|endoftext|>`, so masking pads never masks a real end of turn.

`phrases` (optional) are texts that become one token each wherever they occur, as a tokenizer
trained on a corpus full of them would make them: the toy world (experiments/toy_world.py)
passes collect.py's fixed prompt texts, so a three-turn conversation is tens of tokens, not ~2,500.
"""
import os
import string

import torch
from tokenizers import AddedToken, Tokenizer, decoders, models
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<unk>"]
CHARACTERS = [c for c in string.printable if c not in "\x0b\x0c\r"]
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def build_tokenizer(phrases: tuple[str, ...] = ()) -> PreTrainedTokenizerFast:
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + CHARACTERS)}
    # A BPE model without merges splits text into single characters.
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token="<unk>"))
    backend.add_special_tokens(SPECIAL_TOKENS)
    # Added tokens are matched in the raw text before the model splits it (longest first).
    backend.add_tokens([AddedToken(p, normalized=False, special=False) for p in phrases])
    backend.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<unk>",
        chat_template=CHAT_TEMPLATE,
    )


def build_tiny_model(path: str, *, seed: int = 0, hidden: int = 64, layers: int = 2,
                     phrases: tuple[str, ...] = ()) -> str:
    """Build and save a tiny random ChatML Llama at `path`; return `path`."""
    tokenizer = build_tokenizer(phrases)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    os.makedirs(path, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
