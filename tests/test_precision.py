"""bfloat16 where it is native, float32 elsewhere; the trainer's weights stay float32 either way."""
import torch

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
