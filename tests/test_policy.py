"""policy.py: the default dtype, and a model's shipped sampling defaults never apply."""
import torch
from transformers import GenerationConfig

from policy import load_policy
from speedups import bfloat16_is_native
from tiny_model import build_tiny_model


def test_load_policy_default_dtype(tmp_path):
    path = build_tiny_model(str(tmp_path / "tiny"))
    expected = torch.bfloat16 if bfloat16_is_native("cpu") else torch.float32
    assert load_policy(path, device="cpu").model.dtype == expected
    assert load_policy(path, device="cpu", dtype="float32").model.dtype == torch.float32


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
