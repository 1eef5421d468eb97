"""batching.generate_refilled, batching.prefill_shared and the KV kept between turns
(batching.KVStore, policy.HFPolicy.reusing_kv) against the plain `model.generate` loop they replace
(policy.HFPolicy.generate_lockstep with a full prefill of every row): the same greedy tokens, the
same sampler, log-probs of the distributions the model really gives, and no rows computed for
sequences that have stopped, also when the prompts' own tokens are prefilled in groups of similar
length (batching.prefill_rests); and batching.GrowingLayer against the DynamicLayer it replaces."""
import collections
import itertools
import os

import pytest
import torch

import policy as policy_module
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

import batching
from batching import GrowingLayer, KVStore, growing_cache, length_groups, prefill_cached
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


@pytest.fixture(params=[batching.BATCH_COST_TOKENS, 0], ids=["groups-as-chosen", "a-group-per-length"])
def groups(request, monkeypatch):
    """prefill_rests's groups as chosen, and with no cost a batch: a group for every distinct length.
    Yields the sizes of the groups of each prefill_rests call."""
    monkeypatch.setattr(batching, "BATCH_COST_TOKENS", request.param)
    sizes = []

    def recorded(lengths, batch_cost):
        found = length_groups(lengths, batch_cost)
        sizes.append([len(group) for group in found])
        return found

    monkeypatch.setattr(batching, "length_groups", recorded)
    yield sizes


def test_length_groups_are_the_cheapest_cut_of_the_sorted_lengths():
    """Against every way of cutting the sorted lengths into consecutive groups."""
    rng = torch.Generator().manual_seed(0)
    for batch_cost in (0, 8, 64, 1000):
        for n in range(1, 9):
            lengths = torch.randint(0, 120, (n,), generator=rng).tolist()
            found = length_groups(lengths, batch_cost)
            assert sorted(i for group in found for i in group) == list(range(n))
            assert [lengths[i] for group in found for i in group] == sorted(lengths)

            def cost(groups):
                return sum(len(g) * max(lengths[i] for i in g) + batch_cost for g in groups)
            order = sorted(range(n), key=lengths.__getitem__)
            cuts = (c for k in range(n) for c in itertools.combinations(range(1, n), k))
            best = min(cost([order[a:b] for a, b in zip((0,) + c, c + (n,))]) for c in cuts)
            assert cost(found) == best
    assert length_groups([5, 100, 6, 98, 7], 10) == [[0, 2, 4], [3, 1]]
    assert length_groups([5, 100, 6, 98, 7], 1000) == [[0, 2, 4, 3, 1]]


def test_a_shared_prefill_gives_the_greedy_tokens_of_a_full_one(policy, groups):
    """Repeated prompts (collect's samples), a common prefix, prompts of one and two tokens."""
    prompts = prompts_of(policy, 9)
    prompts = prompts + prompts[:3] + [prompts[0][:1], prompts[0][:2]]
    shared, plain = shared_and_plain(policy, prompts, temperature=0, max_new_tokens=20, micro_batch=8)
    assert len({len(c) for c in plain}) > 2
    assert shared == plain
    if batching.BATCH_COST_TOKENS == 0:
        assert any(len(sizes) > 2 for sizes in groups)


def test_a_shared_prefill_samples_as_a_full_one(policy, groups):
    """The same seed gives the same draws, and each recorded log-prob is the model's own."""
    prompts = prompts_of(policy, 5) * 3
    (shared, shared_lp), (plain, plain_lp) = shared_and_plain(policy, prompts, seed=3, temperature=0.8,
                                                              max_new_tokens=12, micro_batch=15, log_probs=True)
    assert len({tuple(c) for c in plain}) > 5
    assert shared == plain
    assert all(torch.allclose(torch.tensor(a), torch.tensor(b), atol=1e-5) for a, b in zip(shared_lp, plain_lp))


# ---------------------------------------------------------------- the cache that grows in place (batching.GrowingLayer)

def test_a_growing_layer_holds_what_torch_cat_would():
    """Prefill, then single steps past the reserved room, with rows cut from outside midway
    (as batching.Rows.keep does): the same tensors as the plain layer at every step, and a new
    buffer only when the room runs out or after the outside assignment."""
    torch.manual_seed(0)
    plain, growing = DynamicLayer(), GrowingLayer()
    buffer, new_buffers = None, 0
    for step in range(GrowingLayer.RESERVE + 120):
        new = 7 if step == 0 else 1
        keys, values = torch.randn(4 if step < 100 else 3, 2, new, 5), torch.randn(4 if step < 100 else 3, 2, new, 5)
        if step == 100:  # a row leaves: both layers' tensors are cut the same way from outside
            for layer in (plain, growing):
                layer.keys, layer.values = layer.keys[[0, 2, 3]], layer.values[[0, 2, 3]]
        expected, got = plain.update(keys, values), growing.update(keys, values)
        assert all(torch.equal(a, b) for a, b in zip(expected, got))
        new_buffers, buffer = new_buffers + (growing.buffer is not buffer), growing.buffer
    assert new_buffers == 3  # the first, after the cut, and when the room ran out


def test_a_growing_cache_gives_the_logits_of_a_dynamic_one(policy, monkeypatch):
    """The model's logits, prefill then 30 decoding steps of padded rows (room for 8 more
    positions at a time, so the buffers are remade on the way): equal to the last bit."""
    monkeypatch.setattr(GrowingLayer, "RESERVE", 8)
    prompts = prompts_of(policy, 5)
    batch = policy.tokenizer.pad({"input_ids": prompts}, return_tensors="pt")
    logits = {}
    with torch.inference_mode():
        for name, cache in (("plain", DynamicCache(config=policy.model.config)), ("growing", growing_cache(policy.model.config))):
            mask, ids, steps = batch["attention_mask"], batch["input_ids"], []
            for _ in range(31):
                step = policy.model(input_ids=ids, attention_mask=mask, cache=cache, use_cache=True).logits[:, -1]
                ids = step.argmax(-1, keepdim=True)
                mask = torch.cat([mask, torch.ones_like(ids)], 1)
                steps.append(step)
            logits[name] = torch.stack(steps)
    assert isinstance(cache.layers[0], GrowingLayer)
    assert torch.equal(logits["plain"], logits["growing"])


# ---------------------------------------------------------------- the KV kept between turns (policy.reusing_kv)


def test_a_kept_kv_gives_the_greedy_tokens_of_a_full_prefill(policy, monkeypatch, groups):
    """Turn 1 of a rollout: each prompt is a turn-0 prompt, its reply and new tokens (the feedback).
    With the replies' KV kept, only the new tokens are prefilled, and the tokens are those of a full
    prefill. One reply comes back re-rendered without its last tokens: only the part that matches is used."""
    calls = []
    monkeypatch.setattr(policy_module, "prefill_cached", lambda *a, **k: calls.append(a[2]) or prefill_cached(*a, **k))
    policy.continuous = False
    prompts = prompts_of(policy, 9)
    feedback = policy.encode([{"role": "user", "content": "the first failing test"}])
    with policy.reusing_kv():
        first = policy.generate_tokens(prompts, temperature=0, max_new_tokens=12, micro_batch=4)
        assert len(policy.kv_store.entries) == 9
        turn1 = [p + c + feedback[k % 3:] for k, (p, c) in enumerate(zip(prompts, first))]
        longest = max(range(9), key=lambda k: len(first[k]))
        turn1[longest] = prompts[longest] + first[longest][:-3] + [0] + feedback
        kept = policy.generate_tokens(turn1, temperature=0, max_new_tokens=12, micro_batch=4)
        assert len(policy.kv_store.entries) == 9  # turn 0's entries used and dropped, turn 1's kept
    policy.shared_prefill = False
    plain = policy.generate_tokens(turn1, temperature=0, max_new_tokens=12, micro_batch=4)
    policy.shared_prefill, policy.continuous = True, True
    # every row continued its own kept sequence, as far as the tokens agree
    agree = [len(os.path.commonprefix([p + c[:-1], t])) for p, c, t in zip(prompts, first, turn1)]
    full = [len(p) + len(c) - 1 for p, c in zip(prompts, first)]
    assert [a == f for a, f in zip(agree, full)] == [k != longest for k in range(9)] and len(first[longest]) > 4
    assert len(calls) == 3 and sorted(n for call in calls for n, _ in call) == sorted(agree)
    assert len({len(c) for c in plain}) > 2
    assert kept == plain
    if batching.BATCH_COST_TOKENS == 0:
        assert any(len(sizes) > 1 for sizes in groups[-3:])  # turn 1 (the last three calls) in groups too


def test_a_kept_kv_samples_as_a_full_prefill(policy, groups):
    """The same seed gives the same draws, and each recorded log-prob is the model's own."""
    policy.continuous = False
    prompts = prompts_of(policy, 6)
    feedback = policy.encode([{"role": "user", "content": "again"}])
    with policy.reusing_kv():
        first = policy.generate_tokens(prompts, temperature=0, max_new_tokens=10, micro_batch=8)
        turn1 = [p + c + feedback for p, c in zip(prompts, first)]
        torch.manual_seed(5)
        kept, kept_lp = policy.generate_tokens(turn1, temperature=0.8, max_new_tokens=10, micro_batch=8, log_probs=True)
    policy.shared_prefill = False
    torch.manual_seed(5)
    plain, plain_lp = policy.generate_tokens(turn1, temperature=0.8, max_new_tokens=10, micro_batch=8, log_probs=True)
    policy.shared_prefill, policy.continuous = True, True
    assert len({tuple(c) for c in plain}) > 3
    assert kept == plain
    assert all(torch.allclose(torch.tensor(a), torch.tensor(b), atol=1e-5) for a, b in zip(kept_lp, plain_lp))


def test_the_kv_store_keeps_at_most_its_bytes_oldest_out_first():
    store = KVStore(max_bytes=3 * 2 * 2 * 4 * 4)  # three entries of one layer, keys and values of 2 x 4 float32
    entry = [(torch.zeros(2, 4), torch.zeros(2, 4))]
    for tokens, prompt_length in [((1, 2), 1), ((1, 3), 1), ((4,), 1), ((1, 2, 5, 6), 2)]:
        store.put(tokens, prompt_length, entry)
    assert list(store.entries) == [(1, 3), (4,), (1, 2, 5, 6)] and store.bytes == 3 * 64
    assert store.longest_prefix([1, 2, 5, 7]) == (3, (1, 2, 5, 6))  # the reply re-rendered from its 3rd token
    assert store.longest_prefix([1, 3, 9]) == (2, (1, 3))
    assert store.longest_prefix([1, 4]) == (1, (1, 3))
    assert store.longest_prefix([9]) == (0, None)
    store.drop([(4,)])
    assert list(store.entries) == [(1, 3), (1, 2, 5, 6)] and store.bytes == 2 * 64
    store.put((7, 8, 9), 2, entry)
    assert store.longest_prefix([7, 6]) == (0, None)  # shares a token, does not continue its prompt


def test_a_rollout_keeping_kv_gives_the_records_of_a_plain_one(policy, monkeypatch):
    """rollout.rollout re-renders each conversation (reply text, feedback) for the next turn; the
    kept KV serves turns 1 and 2 and the greedy records are those of a full prefill every turn."""
    import rollout
    from problems import load_problems

    calls = []
    monkeypatch.setattr(policy_module, "prefill_cached", lambda *a, **k: calls.append(len(a[1])) or prefill_cached(*a, **k))
    problems = load_problems("bundled-test", limit=3)
    records = {}
    for shared in (False, True):
        policy.continuous, policy.shared_prefill = False, shared
        records[shared] = list(rollout.rollout(policy, problems, n_samples=2, turns=2, temperature=0.0,
                                               max_new_tokens=16, micro_batch=8))
    policy.continuous, policy.shared_prefill = True, True
    assert calls == [6, 6]  # turns 1 and 2, every trajectory from its kept KV
    assert records[True] == records[False]
