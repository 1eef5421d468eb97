"""Continuous batching: policy.HFPolicy.generate_tokens without lockstep waste, used when
HFPolicy.continuous is set (off by default: on 2 shared cores of an AVX2-only CPU it was not yet
measured faster, RESULTS.md). A reader learning the method can skip this file: the plain path is
policy.HFPolicy.generate_lockstep (`model.generate` on micro-batches of similar prompt lengths),
and tests/test_batching.py shows that the two give the same tokens under greedy decoding and the
same draws under sampling.

Why: `model.generate` on a micro-batch runs every row until the longest reply of the micro-batch
ends; a row that has stopped still costs a full row of every later forward pass
(benchmarks/generation.py prints that share).

    generate_refilled(model, prompts, ...)  one decoding loop over all prompts: at most `width`
                                            rows at a time; a row that stops leaves at once and
                                            the next waiting prompt takes its place
    supports(model)                         whether the model's KV cache allows it (a plain one)
    RowCounts                               rows the forward passes computed, and how many of
                                            them produced a kept token (the padding share)
    prefill_shared(model, prompts, ...)     the inputs and KV cache of `model.generate` for one
                                            micro-batch, the prompts' common prefix and repeated
                                            prompts prefilled once (policy.py's default; the
                                            plain way prefills every row in full)
    prefill_rests(model, ids, mask, ...)    the prompts' own tokens prefilled in groups of similar
                                            length (length_groups), not all to the longest one
    KVStore, prefill_cached(...)            the KV of each finished reply (prompt + reply), kept
                                            for the next turn of its conversation, which starts
                                            with the same tokens: only the feedback message is
                                            prefilled (HFPolicy.reusing_kv, during a rollout)
    growing_cache(config)                   a DynamicCache whose layers append a step's keys and
                                            values in place, into room reserved ahead, instead of
                                            copying the whole cache with torch.cat every step
                                            (every cache made here is one)

The loop is the one `model.generate` runs (forward with the KV cache, the same logits
processors, argmax or multinomial), plus two cache operations: dropping the rows that stopped,
and joining newly prefilled rows to the running ones (both caches left-padded to a common
length, as `generate` left-pads a micro-batch). Transformers' own continuous batching
(`model.generate_batch`) runs on a CPU but is built for GPUs: its paged cache and scheduler
thread took 15 s for 8 prompts x 20 tokens of a 2-layer test model.
"""
import os
from collections import OrderedDict
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from transformers import DynamicCache, LogitsProcessorList
from transformers.cache_utils import DynamicLayer
from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper


@dataclass
class RowCounts:
    """Per token-producing forward pass: the rows it computed, and those whose token was kept.
    1 - kept / computed is the share of the work spent on rows that were padding or had stopped."""
    computed: int = 0
    kept: int = 0

    @property
    def wasted_share(self) -> float:
        return 1 - self.kept / self.computed if self.computed else 0.0


def sampling_processors(temperature: float, top_p: float) -> LogitsProcessorList:
    """The warpers `model.generate` applies for do_sample=True, temperature, top_p, in its order."""
    processors = LogitsProcessorList()
    if temperature != 1.0:
        processors.append(TemperatureLogitsWarper(temperature))
    if top_p < 1.0:
        processors.append(TopPLogitsWarper(top_p))
    return processors


class Rows:
    """The running rows: their left-padded attention mask and KV cache, and which prompt each one is."""

    def __init__(self, prompt_index: list[int], mask: torch.Tensor, cache: DynamicCache):
        self.prompt_index, self.mask, self.cache = prompt_index, mask, cache

    def keep(self, keep: list[int]) -> None:
        """Drop every row not in `keep`, then the leading columns that are padding in every row left."""
        index = torch.tensor(keep, device=self.mask.device)
        self.prompt_index = [self.prompt_index[k] for k in keep]
        self.mask = self.mask[index]
        first = int(self.mask.any(0).int().argmax())
        self.mask = self.mask[:, first:]
        for layer in self.cache.layers:
            layer.keys, layer.values = layer.keys[index, :, first:], layer.values[index, :, first:]

    def join(self, other: "Rows") -> None:
        """Append `other`'s rows, left-padding the shorter of the two caches to the longer."""
        length = max(self.mask.shape[1], other.mask.shape[1])

        def pad(t, dim_from_end):  # left-pad dimension -dim_from_end of t to `length`
            missing = length - t.shape[-dim_from_end]
            return F.pad(t, (0, 0) * (dim_from_end - 1) + (missing, 0)) if missing else t
        self.prompt_index += other.prompt_index
        self.mask = torch.cat([pad(self.mask, 1), pad(other.mask, 1)])
        for mine, theirs in zip(self.cache.layers, other.cache.layers):
            mine.keys = torch.cat([pad(mine.keys, 2), pad(theirs.keys, 2)])
            mine.values = torch.cat([pad(mine.values, 2), pad(theirs.values, 2)])


class GrowingLayer(DynamicLayer):
    """DynamicLayer with room reserved ahead: the same keys and values, without the copy.

    The plain layer (DynamicLayer.update) appends a decoding step's keys and values with
        self.keys = torch.cat([self.keys, key_states], dim=-2)
    which copies the whole cache of the layer every step: at 25 rows x 700 tokens that copy was
    64% of a decoding step of the embedded model (AVX2 CPU). Here the layer keeps a buffer with
    RESERVE more positions than it holds, writes new positions in place, and shows the filled
    part as `keys`/`values` (a view of the buffer), so everything that reads them sees the
    plain layer's tensors. When someone else assigns `keys`/`values` (batching.Rows cutting or
    joining rows, prefill_shared spreading its prefix), or the room runs out, the next update
    starts a new buffer from them: one copy, as the plain layer makes every step.
    tests/test_batching.py shows the two layers hold equal tensors and give equal logits."""

    RESERVE = 256  # positions reserved beyond those filled when a buffer is (re)made

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args, **kwargs):
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        filled, new = (self.keys.shape[-2] if self.keys.numel() else 0), key_states.shape[-2]
        buffer = getattr(self, "buffer", None)
        if buffer is None or self.keys is not self.shown or filled + new > buffer[0].shape[-2]:
            shape = (*key_states.shape[:-2], filled + new + self.RESERVE, key_states.shape[-1])
            buffer = self.buffer = (key_states.new_empty(shape), value_states.new_empty(shape))
            if filled:
                buffer[0][..., :filled, :], buffer[1][..., :filled, :] = self.keys, self.values
        buffer[0][..., filled:filled + new, :], buffer[1][..., filled:filled + new, :] = key_states, value_states
        self.keys, self.values = buffer[0][..., :filled + new, :], buffer[1][..., :filled + new, :]
        self.shown = self.keys  # a later `keys` that is not this object was assigned from outside
        return self.keys, self.values


def growing_cache(config) -> DynamicCache:
    """DynamicCache(config=config) with GrowingLayer in place of each plain DynamicLayer."""
    cache = DynamicCache(config=config)
    cache.layers = [GrowingLayer() if type(layer) is DynamicLayer else layer for layer in cache.layers]
    return cache


def supports(model) -> bool:
    """Whether the model's KV cache is the plain one, whose rows and columns the loop can cut and join
    (not a sliding-window or recurrent cache: policy.py then uses the lockstep loop)."""
    return all(type(layer) is DynamicLayer for layer in DynamicCache(config=model.config).layers)


def positions(mask: torch.Tensor) -> torch.Tensor:
    """Position ids of left-padded rows, as `model.generate` computes them (padding gets 1)."""
    return (mask.long().cumsum(-1) - 1).masked_fill(mask == 0, 1)


@torch.inference_mode()
def generate_refilled(model, prompts: list[list[int]], *, temperature: float, top_p: float, max_new_tokens: int,
                      width: int, stop_token_ids: list[int], pad_token_id: int, log_probs: bool = False,
                      counts: RowCounts | None = None):
    """One completion per prompt (stop token kept), and with log_probs=True the log-prob of each
    token under the distribution it was drawn from (log_softmax(logits / T), as
    speedups.SampledLogProbs records it); `width`: rows in a forward pass at most."""
    device, counts = model.device, counts if counts is not None else RowCounts()
    processors = sampling_processors(temperature, top_p) if temperature > 0 else None
    stop = torch.tensor(stop_token_ids, device=device)
    completions: list[list[int]] = [[] for _ in prompts]
    token_log_probs: list[list[float]] = [[] for _ in prompts]
    waiting = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))  # similar lengths join together
    rows: Rows | None = None
    tokens = None  # [rows, 1]: each row's newest token, the input of the next decoding step
    while waiting or rows is not None:
        free = width - (len(rows.prompt_index) if rows else 0)
        if waiting and free > 0:
            # Prefill the next waiting prompts as one left-padded batch, then join them to the running rows.
            new, waiting = waiting[:free], waiting[free:]
            longest = max(len(prompts[i]) for i in new)
            ids = torch.tensor([[pad_token_id] * (longest - len(prompts[i])) + prompts[i] for i in new], device=device)
            mask = torch.tensor([[0] * (longest - len(prompts[i])) + [1] * len(prompts[i]) for i in new], device=device)
            cache = growing_cache(model.config)
            logits = model(input_ids=ids, attention_mask=mask, position_ids=positions(mask), cache=cache,
                           use_cache=True, logits_to_keep=1).logits[:, -1]
            joining = Rows(new, mask, cache)
            if rows is None:
                rows, step_logits = joining, logits
            else:
                # The running rows take their decoding step first, then the newcomers' first tokens join them.
                step_logits = torch.cat([decode(model, rows, tokens), logits])
                rows.join(joining)
        else:
            step_logits = decode(model, rows, tokens)
        scores = step_logits.float()
        if processors is None:
            chosen = scores.argmax(-1)
        else:
            chosen = torch.multinomial(processors(None, scores).softmax(-1), num_samples=1).squeeze(1)
        chosen_log_probs = (torch.log_softmax(scores / temperature, -1).gather(1, chosen[:, None]).squeeze(1).tolist()
                            if log_probs else None)
        counts.computed += len(rows.prompt_index)
        counts.kept += len(rows.prompt_index)
        stopped = torch.isin(chosen, stop).tolist()
        keep = []
        for row, (i, token) in enumerate(zip(rows.prompt_index, chosen.tolist())):
            completions[i].append(token)
            if log_probs:
                token_log_probs[i].append(chosen_log_probs[row])
            if not stopped[row] and len(completions[i]) < max_new_tokens:
                keep.append(row)
        if len(keep) < len(rows.prompt_index):
            if not keep:
                rows, tokens = None, None
                continue
            chosen = chosen[torch.tensor(keep, device=device)]
            rows.keep(keep)
        tokens = chosen[:, None]
    return completions, token_log_probs


def decode(model, rows: Rows, tokens: torch.Tensor) -> torch.Tensor:
    """One decoding step of the running rows: the next-token logits [rows, vocabulary]."""
    rows.mask = torch.cat([rows.mask, rows.mask.new_ones(len(rows.mask), 1)], dim=1)
    return model(input_ids=tokens, attention_mask=rows.mask, position_ids=positions(rows.mask)[:, -1:],
                 cache=rows.cache, use_cache=True).logits[:, -1]


# ---------------------------------------------------------------- shared prefixes, prefilled once


@torch.inference_mode()
def prefill_shared(model, prompts: list[list[int]], *, pad_token_id: int) -> dict:
    """The inputs of `model.generate` for one micro-batch, with every prompt but its last token
    already in a KV cache, each shared piece computed once: {input_ids, attention_mask, cache}.

    The prompts of a run share a long prefix (chat template and system prompt: 221 of the
    embedded model's 267-400 prompt tokens at turn 0), and collect's n samples of a problem are
    the very same prompt; the plain way (tokenizer.pad, then generate) prefills every row in
    full. Here the prefix common to all prompts is prefilled once (one row), the distinct rest of
    each distinct prompt once (batched with rests of similar length: prefill_rests), and the
    cache rows are then copied to the rows that use them. Rows are laid out [shared prefix | padding | own tokens]: the padding sits in the middle,
    masked, and position ids count only real tokens (as generate computes them from the mask), so
    every row sees exactly the tokens and positions of its own prompt. generate then runs the last
    token of each prompt and decodes as usual.
    """
    device = model.device
    distinct = list(dict.fromkeys(map(tuple, prompts)))
    row_of = {prompt: k for k, prompt in enumerate(distinct)}
    shared = min(len(os.path.commonprefix(distinct)), min(map(len, distinct)) - 1)
    rests = [list(p[shared:-1]) for p in distinct]
    longest = max(map(len, rests))

    # Rows [shared | padding | rest]; each prompt's last token comes after, for generate to run.
    ids = torch.tensor([list(distinct[0][:shared]) + [pad_token_id] * (longest - len(r)) + r for r in rests],
                       device=device, dtype=torch.long).view(len(distinct), shared + longest)
    mask = torch.tensor([[1] * shared + [0] * (longest - len(r)) + [1] * len(r) for r in rests],
                        device=device, dtype=torch.long).view(len(distinct), shared + longest)
    cache = growing_cache(model.config)
    if shared:
        model(input_ids=ids[:1, :shared], cache=cache, use_cache=True, logits_to_keep=1)
    before = [(layer.keys.expand(len(distinct), -1, -1, -1), layer.values.expand(len(distinct), -1, -1, -1))
              for layer in cache.layers] if shared else None
    if longest:
        cache = prefill_rests(model, ids, mask, shared, before)
    elif shared:
        for layer, (keys, values) in zip(cache.layers, before):
            layer.keys, layer.values = keys, values
    rows = torch.tensor([row_of[tuple(p)] for p in prompts], device=device)
    if shared or longest:
        for layer in cache.layers:
            layer.keys, layer.values = layer.keys[rows], layer.values[rows]
    last = torch.tensor([[p[-1]] for p in prompts], device=device)
    return dict(input_ids=torch.cat([ids[rows], last], 1), attention_mask=torch.cat([mask[rows], torch.ones_like(last)], 1),
                cache=cache if shared or longest else None)


# Each forward pass costs about as much as this many tokens more (reading every weight once, the
# Python of 30 layers), in prefill_rests's choice of groups.
BATCH_COST_TOKENS = 64


def length_groups(lengths: list[int], batch_cost: int) -> list[list[int]]:
    """Indices of `lengths` cut into groups of similar length (sorted): the grouping with the least
    tokens computed, counting each group as its size x its longest length + batch_cost."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    cost, cut = [0] * (len(order) + 1), [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):  # cost[end]: the best grouping of order[:end]; its last group starts at cut[end]
        cost[end], cut[end] = min((cost[start] + (end - start) * lengths[order[end - 1]] + batch_cost, start)
                                  for start in range(end))
    groups, end = [], len(order)
    while end:
        groups.append(order[cut[end]:end])
        end = cut[end]
    return groups[::-1]


@torch.inference_mode()
def prefill_rests(model, ids: torch.Tensor, mask: torch.Tensor, start: int, before) -> DynamicCache:
    """The KV cache of rows laid out [first `start` columns | padding | own tokens], whose first
    columns' KV is `before` ([layer] (keys, values), rows x `start` positions; None when start is 0).

    One batch would compute every row to the longest row's length: at turn 0 of an evaluation the
    own tokens ran from 46 to 179, so 45% of that batch was padding. Here rows of similar length
    run together (length_groups), each group only over its own longest length; the columns a
    group skipped are padding in all its rows, masked, and hold zeros in the cache."""
    lengths, width = mask[:, start:].sum(1).tolist(), ids.shape[1]
    groups = []  # (rows, their longest own length, their cache)
    for group in length_groups(lengths, BATCH_COST_TOKENS):
        index = torch.tensor(group, device=ids.device)
        own = max(lengths[k] for k in group)
        cache = growing_cache(model.config)
        if before:
            for layer, (keys, values) in zip(cache.layers, before):
                layer.lazy_initialization(keys, values)
                layer.keys, layer.values = keys[index], values[index]
        if own:
            columns = slice(width - own, width)
            model(input_ids=ids[index, columns], attention_mask=torch.cat([mask[index, :start], mask[index, columns]], 1),
                  position_ids=positions(mask[index])[:, columns], cache=cache, use_cache=True, logits_to_keep=1)
        groups.append((group, own, cache))
    like = next(cache for _, own, cache in groups if own or start).layers  # a cache that has KV, for shapes
    parts, order = [], []
    for group, own, cache in groups:
        layers = []
        for layer, model_layer in zip(cache.layers, like):
            pair = []
            for t, t_like in ((layer.keys, model_layer.keys), (layer.values, model_layer.values)):
                if t is None or not t.numel():  # no columns at all: a group of empty rows and nothing before
                    t = t_like.new_zeros(len(group), t_like.shape[1], 0, t_like.shape[3])
                gap = t.new_zeros(len(group), t.shape[1], width - start - own, t.shape[3])  # the skipped padding
                pair.append(torch.cat([t[:, :, :start], gap, t[:, :, start:]], 2))
            layers.append(pair)
        parts.append(layers)
        order += group
    back = torch.tensor(sorted(range(len(order)), key=order.__getitem__), device=ids.device)  # row k is at back[k]
    cache = growing_cache(model.config)
    for i, layer in enumerate(cache.layers):
        layer.lazy_initialization(parts[0][i][0], parts[0][i][1])
        layer.keys, layer.values = (torch.cat([part[i][j] for part in parts])[back] for j in (0, 1))
    return cache


# ---------------------------------------------------------------- KV kept from one turn to the next


class KVStore:
    """The KV cache of finished sequences (prompt + reply), kept for the turn that continues them.

    At turn t+1 of a rollout the prompt is the turn-t prompt, the turn-t reply and the feedback
    message; the plain way prefills all of it again, though the turn-t call computed the KV of
    its first part and dropped it. Each entry holds one sequence's KV with its padding removed
    (per layer, keys and values [heads, tokens, head_dim]; token i at position i). A KV entry is
    a function of the tokens alone (causal attention), so it serves any prompt that starts with
    the same tokens, here: the next turn of the same conversation, whose re-rendered reply may
    differ in its last tokens (`longest_prefix` takes what matches). Entries are only valid for
    the weights that computed them (`HFPolicy.reusing_kv` keeps one store for a rollout, whose
    weights do not change); at most `max_bytes` are kept, the oldest dropped first."""

    def __init__(self, max_bytes: int = 2 << 30):
        # tokens (prompt + reply but its last token) -> (prompt length, [layer] (keys, values))
        self.entries: OrderedDict[tuple, tuple[int, list[tuple[torch.Tensor, torch.Tensor]]]] = OrderedDict()
        self.max_bytes, self.bytes = max_bytes, 0

    @staticmethod
    def size(entry) -> int:
        return sum(t.numel() * t.element_size() for kv in entry[1] for t in kv)

    def put(self, tokens: tuple, prompt_length: int, layers: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        if tokens in self.entries:
            return
        self.entries[tokens] = (prompt_length, layers)
        self.bytes += self.size(self.entries[tokens])
        while self.bytes > self.max_bytes and self.entries:
            self.bytes -= self.size(self.entries.popitem(last=False)[1])

    def longest_prefix(self, prompt: list[int]) -> tuple[int, tuple | None]:
        """(n, key): of the entries whose whole prompt `prompt` starts with (a conversation it
        continues), the one sharing the longest first n tokens with it; (0, None) if none."""
        best, best_key = 0, None
        for key, (prompt_length, _) in self.entries.items():
            n = len(os.path.commonprefix([key, tuple(prompt[:len(key)])]))
            if n >= prompt_length and n > best:
                best, best_key = n, key
        return best, best_key

    def drop(self, keys) -> None:
        for key in keys:
            if key in self.entries:
                self.bytes -= self.size(self.entries.pop(key))

    @staticmethod
    def rows_of(cache, input_mask: torch.Tensor, prompts: list[list[int]], completions: list[list[int]]) -> list:
        """Each row's entry after `model.generate`, as put() takes it: its prompt's real columns (mask
        1), then the columns of its completion but the last token (generate never runs the token it
        drew last)."""
        width, entries = input_mask.shape[1], []
        for row, (prompt, completion) in enumerate(zip(prompts, completions)):
            if not completion:
                continue
            columns = torch.cat([input_mask[row].nonzero().flatten(),
                                 torch.arange(width, width + len(completion) - 1, device=input_mask.device)])
            entries.append((tuple(prompt) + tuple(completion[:-1]), len(prompt),
                            [(layer.keys[row][:, columns].clone(), layer.values[row][:, columns].clone())
                             for layer in cache.layers]))
        return entries


@torch.inference_mode()
def prefill_cached(model, prompts: list[list[int]], kept: list[tuple[int, list]], *, pad_token_id: int) -> dict:
    """prefill_shared's result for prompts that continue stored sequences: {input_ids, attention_mask, cache}.

    kept[r] = (n, layers): the first n tokens of prompt r have their KV in `layers` (a KVStore
    entry). Rows are laid out [padding | kept tokens | padding | own new tokens]: the kept KV is
    copied in, only the new tokens (the feedback message) run through the model, and position
    ids count only real tokens, so every row sees its own prompt at its own positions."""
    device = model.device
    kept = [(min(n, len(p) - 1), layers) for p, (n, layers) in zip(prompts, kept)]
    old = max(n for n, _ in kept)
    rests = [p[n:-1] for p, (n, _) in zip(prompts, kept)]
    longest = max(map(len, rests))
    ids = torch.tensor([[pad_token_id] * (old - n) + list(p[:n]) + [pad_token_id] * (longest - len(r)) + list(r)
                        for p, (n, _), r in zip(prompts, kept, rests)], device=device, dtype=torch.long)
    mask = torch.tensor([[0] * (old - n) + [1] * n + [0] * (longest - len(r)) + [1] * len(r)
                         for (n, _), r in zip(kept, rests)], device=device, dtype=torch.long)
    before = [tuple(torch.stack([F.pad(layers[i][j][:, :n], (0, 0, old - n, 0)) for n, layers in kept]) for j in (0, 1))
              for i in range(len(kept[0][1]))]  # each layer: every row's first n kept positions, left-padded to `old`
    if longest:
        cache = prefill_rests(model, ids, mask, old, before)
    else:
        cache = growing_cache(model.config)
        for i, (keys, values) in enumerate(before):
            cache.update(keys, values, i)
    last = torch.tensor([[p[-1]] for p in prompts], device=device)
    return dict(input_ids=torch.cat([ids, last], 1), attention_mask=torch.cat([mask, torch.ones_like(last)], 1),
                cache=cache)
