"""train_bandit.py end to end on a tiny model: --resume continues exactly, outputs load, bad input exits 2."""
import json
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForCausalLM

import train_bandit as tb
from policy import load_policy
from test_train_learning import one_thread, toy_prompts, warm_up  # noqa: F401 (fixture)
from tiny_model import build_tiny_model


@pytest.fixture
def toy(tmp_path, one_thread):  # noqa: F811
    torch.manual_seed(0)
    model = build_tiny_model(str(tmp_path / "tiny"), hidden=32, layers=1)
    prompts = toy_prompts()
    warm_up(model, prompts, steps=100)  # some replies right, some wrong: groups with signal
    prompt_file = tmp_path / "prompts.jsonl"
    prompt_file.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    return model, str(prompt_file)


def train(model, prompts, out, *extra):
    tb.main(["--model", model, "--prompts", prompts, "--val-prompts", prompts, "--output-dir", str(out), "--group-size", "4",
             "--prompts-per-step", "4", "--micro-batch", "3", "--max-response-tokens", "60", "--lr", "1e-3",
             "--kl-coef", "0.01", "--epochs", "2", "--eval-every", "2", "--save-every", "2", *extra])


def test_resume_continues_exactly(tmp_path, toy):
    model, prompts = toy
    train(model, prompts, tmp_path / "straight", "--plot")
    train(model, prompts, tmp_path / "stopped", "--max-steps", "2")
    train(model, prompts, tmp_path / "stopped", "--resume")

    def without_times(path):
        return [{k: v for k, v in json.loads(line).items() if not k.startswith("time/")}
                for line in (path / "metrics.jsonl").read_text().splitlines()]
    straight, resumed = without_times(tmp_path / "straight"), without_times(tmp_path / "stopped")
    assert [r["step"] for r in straight] == [0, 1, 2, 3, 4] and straight == resumed
    assert any(r.get("losses/grad_norm", 0) > 0 for r in straight)  # the weights did change
    a = AutoModelForCausalLM.from_pretrained(str(tmp_path / "straight" / "final")).state_dict()
    b = AutoModelForCausalLM.from_pretrained(str(tmp_path / "stopped" / "final")).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert (tmp_path / "straight" / "curves.png").stat().st_size > 0
    assert load_policy(str(tmp_path / "straight" / "final")).generate([[{"role": "user", "content": "add"}]],
                                                                        temperature=0, max_new_tokens=5)
    with pytest.raises(SystemExit, match="already holds a run"):
        train(model, prompts, tmp_path / "straight")


def test_skip_zero_variance_and_bad_prompts_exit_2(tmp_path, toy):
    model, prompts = toy
    train(model, prompts, tmp_path / "skip", "--skip-zero-variance", "--max-steps", "1", "--kl-coef", "0")
    record = json.loads((tmp_path / "skip" / "metrics.jsonl").read_text().splitlines()[1])
    assert record["charts/zero_variance_groups"] <= record["charts/groups"] == 4
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"example_id": "x", "conversation": []}) + "\n")
    result = subprocess.run([sys.executable, tb.__file__, "--model", model, "--prompts", str(bad), "--output-dir",
                             str(tmp_path / "bad")], capture_output=True, text=True)
    assert result.returncode == 2 and f"{bad}, line 1, field 'test_cases': missing" in result.stdout + result.stderr


def test_sampled_old_log_probs_train_like_recomputed_ones_in_float32(tmp_path, toy):
    model, prompts = toy
    runs = {}
    for source in ("sampled", "recomputed"):
        torch.manual_seed(0)
        train(model, prompts, tmp_path / source, "--precision", "fp32", "--old-log-probs", source, "--max-steps", "3")
        runs[source] = [json.loads(line) for line in (tmp_path / source / "metrics.jsonl").read_text().splitlines()]
    for a, b in zip(runs["sampled"], runs["recomputed"], strict=True):
        assert a.get("charts/reward_mean") == b.get("charts/reward_mean")
        for key in ("losses/policy_loss", "losses/approx_kl", "losses/clipfrac", "losses/kl"):
            assert a.get(key) == pytest.approx(b.get(key), abs=1e-5)
    assert any(r.get("losses/approx_kl", 0) > 1e-4 for r in runs["sampled"])  # the later mini-batches did move
