"""bfloat16 where it is native, float32 elsewhere; the trainer's weights stay float32 either way."""
import pytest
import torch
from transformers import GenerationConfig

from policy import bfloat16_is_native, load_policy
import train_bandit
from tiny_model import build_tiny_model


def test_autocast_follows_the_precision_flag():
    cpu = torch.device("cpu")
    assert train_bandit.amp(cpu, "fp32")._enabled is False
    assert train_bandit.amp(cpu, "bf16")._enabled is True and train_bandit.amp(cpu, "bf16").fast_dtype == torch.bfloat16
    assert train_bandit.amp(cpu, "auto")._enabled is bfloat16_is_native(cpu)
    assert bfloat16_is_native("cuda")


def test_load_policy_default_dtype(tmp_path):
    path = build_tiny_model(str(tmp_path / "tiny"))
    expected = torch.bfloat16 if bfloat16_is_native("cpu") else torch.float32
    assert load_policy(path, device="cpu").model.dtype == expected
    assert load_policy(path, device="cpu", dtype="float32").model.dtype == torch.float32


def test_bf16_autocast_sampling_and_log_probs_run_on_float32_weights(tmp_path):
    policy = load_policy(build_tiny_model(str(tmp_path / "tiny")), device="cpu", dtype="float32")
    prompt = policy.encode([{"role": "user", "content": "add"}])
    with train_bandit.amp(policy.device, "bf16"):
        completion = policy.generate_tokens([prompt], temperature=1.0, max_new_tokens=5)[0]
        log_probs, mask = train_bandit.completion_log_probs(policy.model, [prompt], [completion],
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
            recomputed, mask = train_bandit.completion_log_probs(policy.model, prompts, completions,
                                                                 policy.tokenizer.pad_token_id, temperature)
        assert float((train_bandit.padded(sampled, "cpu") - recomputed).mul(mask).abs().max()) < 1e-5
    with pytest.raises(ValueError, match="top-p"):
        policy.generate_tokens(prompts, temperature=1.0, top_p=0.9, max_new_tokens=4, log_probs=True)


def test_old_log_probs_auto_records_them_only_in_float32():
    cpu = torch.device("cpu")
    assert train_bandit.old_log_probs_source("auto", cpu, "fp32") == "sampled"
    assert train_bandit.old_log_probs_source("auto", cpu, "bf16") == "recomputed"
    assert train_bandit.old_log_probs_source("recomputed", cpu, "fp32") == "recomputed"
    assert train_bandit.old_log_probs_source("sampled", cpu, "bf16") == "sampled"


def test_a_models_shipped_sampling_defaults_do_not_apply(tmp_path):
    path = build_tiny_model(str(tmp_path / "tiny"))
    shipped = GenerationConfig(top_k=1, repetition_penalty=1.3, do_sample=True)  # greedy if it applied
    shipped.save_pretrained(path)
    policy = load_policy(path, device="cpu", dtype="float32")
    prompt = policy.encode([{"role": "user", "content": "add"}])
    torch.manual_seed(0)
    completions, sampled = policy.generate_tokens([prompt] * 8, temperature=1.0, max_new_tokens=12, log_probs=True)
    assert len({tuple(c) for c in completions}) > 1
    assert policy.model.generation_config.top_k is None and policy.model.generation_config.repetition_penalty is None
