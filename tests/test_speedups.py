"""speedups.py agrees with the plain formulas it replaces: chunked log-probs = log_softmax, recorded old
log-probs = a forward pass (float32); bfloat16 autocast where it is native, float32 weights either way;
the embedded model read from its converted folder = read from its GGUF file; linear layers with
packed weights = F.linear (the same products, greedy tokens and draws)."""
import os

import pytest
import torch

import speedups
import grpo
import policy as policy_module
from policy import load_policy
from speedups import bfloat16_is_native
from tiny_model import build_tiny_model


def test_autocast_follows_the_precision_flag():
    cpu = torch.device("cpu")
    assert speedups.amp(cpu, "fp32")._enabled is False
    assert speedups.amp(cpu, "bf16")._enabled is True and speedups.amp(cpu, "bf16").fast_dtype == torch.bfloat16
    assert speedups.amp(cpu, "auto")._enabled is bfloat16_is_native(cpu)
    assert bfloat16_is_native("cuda")


def test_bf16_autocast_sampling_and_log_probs_run_on_float32_weights(tmp_path):
    policy = load_policy(build_tiny_model(str(tmp_path / "tiny")), device="cpu", dtype="float32")
    prompt = policy.encode([{"role": "user", "content": "add"}])
    with speedups.amp(policy.device, "bf16"):
        completion = policy.generate_tokens([prompt], temperature=1.0, max_new_tokens=5)[0]
        log_probs, mask = grpo.completion_log_probs(policy.model, [prompt], [completion],
                                                    policy.tokenizer.pad_token_id)
    assert log_probs.dtype == torch.float32 and mask.sum() == len(completion)
    assert bool((log_probs <= 0).all()) and next(policy.model.parameters()).dtype == torch.float32


def test_sampled_log_probs_equal_a_forward_pass_in_float32(tmp_path):
    policy = load_policy(build_tiny_model(str(tmp_path / "tiny")), device="cpu", dtype="float32")
    prompts = [policy.encode([{"role": "user", "content": text}]) for text in ["add", "a longer prompt", "x"]] * 4
    for temperature in (1.0, 0.7):
        torch.manual_seed(0)
        completions, sampled = policy.generate_tokens(prompts, temperature=temperature, max_new_tokens=40,
                                                      micro_batch=5, log_probs=True)
        assert [len(c) for c in completions] == [len(s) for s in sampled]
        assert min(map(len, completions)) < 40  # some stopped early: padding rows are cut off
        with torch.no_grad():
            recomputed, mask = grpo.completion_log_probs(policy.model, prompts, completions,
                                                         policy.tokenizer.pad_token_id, temperature)
        assert float((speedups.recorded_log_probs(sampled, "cpu") - recomputed).mul(mask).abs().max()) < 1e-5
    with pytest.raises(ValueError, match="top-p"):
        policy.generate_tokens(prompts, temperature=1.0, top_p=0.9, max_new_tokens=4, log_probs=True)


def test_old_log_probs_auto_records_them_only_in_float32():
    cpu = torch.device("cpu")
    assert speedups.old_log_probs_source("auto", cpu, "fp32") == "sampled"
    assert speedups.old_log_probs_source("auto", cpu, "bf16") == "recomputed"
    assert speedups.old_log_probs_source("recomputed", cpu, "fp32") == "recomputed"
    assert speedups.old_log_probs_source("sampled", cpu, "bf16") == "sampled"


@pytest.mark.parametrize("dtype, temperature", [(torch.float32, 1.0), (torch.float32, 0.6), (torch.bfloat16, 1.0)])
def test_token_log_probs_in_chunks_equal_the_plain_formula_values_and_gradients(monkeypatch, dtype, temperature):
    monkeypatch.setattr(speedups.TokenLogProbs, "CHUNK_ENTRIES", 3 * 50)  # 3 rows a chunk: 15 rows in 5 chunks
    torch.manual_seed(0)
    logits = (torch.randn(3, 5, 50) * 3).to(dtype).requires_grad_()
    targets, weights = torch.randint(0, 50, (3, 5)), torch.randn(3, 5)
    chunked = speedups.TokenLogProbs.apply(logits, targets, temperature)
    (chunked * weights).sum().backward()
    chunked_grad, logits.grad = logits.grad, None
    plain = speedups.plain_token_log_probs(logits, targets, temperature)
    (plain * weights).sum().backward()
    assert chunked.dtype == torch.float32 and chunked_grad.dtype == dtype
    assert torch.allclose(chunked, plain, atol=1e-5)
    assert torch.allclose(chunked_grad.float(), logits.grad.float(), atol=1e-5)


def test_overlapped_turns_give_the_records_of_the_plain_loop():
    import rollout
    from scripted import FakeSandbox, ScriptedPolicy, make_problem, reply
    problems = [make_problem(f"p{i}", f"Problem {i}: add.", [("1 2", "3")], [("3 4", "7")]) for i in range(5)]
    right, times3 = "str(sum(map(int, s.split())))", "str(int(s.split()[0]) * 3)"
    script = {p["question"]: [[reply(right), reply(times3), reply(None)], [reply(times3)] * 3] for p in problems}

    def records(overlap):
        sandbox, stats = FakeSandbox(), rollout.RolloutStats()
        out = list(rollout.rollout(ScriptedPolicy(script), problems, n_samples=2, turns=2, run_batch=sandbox,
                                   chunk_problems=2, temperature=0.6, max_new_tokens=8, overlap=overlap, stats=stats))
        return out, sandbox.batches, stats
    plain, plain_batches, plain_stats = records(overlap=False)
    overlapped, overlapped_batches, overlapped_stats = records(overlap=True)
    assert overlapped == plain and [r["id"] for r in plain] == [f"p{i}" for i in range(5)]
    assert plain_batches == overlapped_batches == 3 * 3  # 3 chunks x 3 turns
    assert (plain_stats.problems, plain_stats.programs) == (overlapped_stats.problems, overlapped_stats.programs) == (5, 30)


def test_the_embedded_model_read_from_its_converted_folder_is_the_one_read_from_its_gguf(tmp_path, monkeypatch):
    """The first load reads the GGUF file and keeps the conversion; the second reads the folder:
    the same tensors, the same tokens for a chat (special tokens included), the same logits."""
    monkeypatch.setattr(speedups, "CONVERTED", str(tmp_path / "converted"))
    gguf = policy_module.embedded_model_path()
    assert policy_module.model_location(None) == (os.path.dirname(gguf), os.path.basename(gguf))
    from_gguf = load_policy(dtype="float32", device="cpu")
    assert policy_module.model_location(None) == (speedups.converted_folder(gguf), None)
    from_folder = load_policy(dtype="float32", device="cpu")
    assert os.listdir(tmp_path / "converted") == [os.path.basename(speedups.converted_folder(gguf))]  # no partial left
    a, b = from_gguf.model.state_dict(), from_folder.model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    chat = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "```python\nprint(1)\n``` <|im_end|> é"}]
    ids = from_gguf.encode(chat)
    assert from_folder.encode(chat) == ids
    assert (from_folder.stop_token_ids, from_folder.tokenizer.pad_token_id) == (from_gguf.stop_token_ids, from_gguf.tokenizer.pad_token_id)
    with torch.no_grad():
        assert torch.equal(from_gguf.model(torch.tensor([ids])).logits, from_folder.model(torch.tensor([ids])).logits)


def varied_tiny_policy(tmp_path, monkeypatch):
    """The tiny model with weights large enough (std 0.3) that greedy decoding does not repeat one token,
    its weights packed though they are smaller than the size where packing starts to pay."""
    monkeypatch.setattr(speedups, "PACK_MIN_ELEMENTS", 0)
    policy = load_policy(build_tiny_model(str(tmp_path / "tiny")), device="cpu", dtype="float32")
    torch.manual_seed(0)
    with torch.no_grad():
        for weight in policy.model.parameters():
            if weight.dim() == 2:
                weight.normal_(0, 0.3)
    return policy


def test_packed_linears_compute_the_products_of_f_linear_with_the_weights_of_the_moment(tmp_path, monkeypatch):
    policy = varied_tiny_policy(tmp_path, monkeypatch)
    model = policy.model
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert speedups.packing_applies(model)
    ids = torch.tensor([policy.encode([{"role": "user", "content": "a prompt of a few tokens"}])] * 3)
    with torch.no_grad():
        for _ in range(2):  # the second time with changed weights: a block packs the weights of its moment
            plain = model(ids).logits
            with speedups.packed_linears(model, rows=3):
                assert all("forward" in vars(linear) for linear in linears)
                packed = model(ids).logits
            assert not any("forward" in vars(linear) for linear in linears)  # the plain forward is back
            assert torch.allclose(packed, plain, rtol=1e-5, atol=1e-5)
            for linear in linears:
                linear.weight.mul_(1.1)
        with torch.autocast("cpu", dtype=torch.bfloat16):  # bfloat16 products stay bfloat16 products
            assert not speedups.packing_applies(model)
            with speedups.packed_linears(model, rows=3):
                assert not any("forward" in vars(linear) for linear in linears)
    monkeypatch.setattr(speedups, "PACK_MIN_ELEMENTS", max(linear.weight.numel() for linear in linears))
    with speedups.packed_linears(model, rows=3):  # only the largest weights are packed
        assert [("forward" in vars(linear)) for linear in linears] == [
            linear.weight.numel() == speedups.PACK_MIN_ELEMENTS for linear in linears]


def test_packed_linears_give_the_greedy_tokens_and_draws_of_plain_ones(tmp_path, monkeypatch):
    policy = varied_tiny_policy(tmp_path, monkeypatch)
    blocks = []

    def counted(model, rows, enabled=True):
        blocks.append(enabled and speedups.packing_applies(model))
        return speedups.packed_linears(model, rows, enabled)

    monkeypatch.setattr(policy_module, "packed_linears", counted)
    prompts = [policy.encode([{"role": "user", "content": "abcdefg"[: 1 + i % 7] * (1 + i // 2)}]) for i in range(9)]
    out = {}
    for packed in (False, True):
        policy.packed_linears = packed
        greedy = policy.generate_tokens(prompts, temperature=0, max_new_tokens=24, micro_batch=4)
        torch.manual_seed(1)
        drawn = policy.generate_tokens(prompts, temperature=1.0, max_new_tokens=24, micro_batch=4, log_probs=True)
        out[packed] = greedy, drawn
    assert blocks == [False, False, True, True]  # generate_tokens really packed when asked to
    assert len({tuple(c) for c in out[True][0]}) > 3  # varied completions, not one token repeated
    (greedy, (drawn, log_probs)), (plain_greedy, (plain_drawn, plain_log_probs)) = out[True], out[False]
    assert greedy == plain_greedy and drawn == plain_drawn
    assert max(abs(a - b) for x, y in zip(log_probs, plain_log_probs) for a, b in zip(x, y)) < 1e-5
