"""train_bandit.py learns: a tiny model, warmed up to write one of two programs at random, is
trained by the real training loop until it writes the right one.

The toy task: every prompt asks for the sum of two integers read from stdin. The supervised
warm-up teaches the format and both `print(a+b)` and `print(a*b)` equally often, so sampling
starts at a reward of about 0.45 (half 1.0, half -0.1); only the policy gradient can move it.
A flipped sign drives the reward down to -0.1, a detached loss leaves it where it was; the
test asks for a rise neither can produce. (A prompt-dependent choice, sum for some prompts and
product for others, is not learned by a model this small within the test's few dozen steps.)
"""
import json
import os

import pytest
import torch

import grpo
import train_bandit as tb
from policy import load_policy
from tiny_model import build_tiny_model

WORDS = ["add", "sum", "plus", "total", "add up", "sum up", "together", "a+b"]
PROGRAM = "```python\na,b=map(int,input().split())\nprint(a{}b)\n```"
TESTS = json.dumps({"inputs": ["3 5\n", "2 7\n"], "outputs": ["8", "9"]})


def toy_prompts() -> list[dict]:
    return [{"example_id": word, "conversation": [{"role": "user", "content": word}], "test_cases": TESTS,
             "prev_best_pass_rate": 0.0} for word in WORDS]


def warm_up(path: str, prompts: list[dict], steps: int = 300) -> None:
    """Supervised warm-up on both programs for every prompt: the format, not the choice."""
    policy = load_policy(path, dtype="float32")  # trained here: float32 weights
    tok = policy.tokenizer
    end = tok.convert_tokens_to_ids("<|im_end|>")
    pairs = [(policy.encode(p["conversation"]), tok(PROGRAM.format(op), add_special_tokens=False)["input_ids"] + [end])
             for p in prompts for op in "+*"]
    optimizer = torch.optim.Adam(policy.model.parameters(), lr=3e-3)
    policy.model.train()
    for _ in range(steps):
        log_probs, mask = grpo.completion_log_probs(policy.model, *zip(*pairs), tok.pad_token_id)
        loss = -(log_probs * mask).sum() / mask.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    policy.model.save_pretrained(path)


@pytest.fixture
def one_thread():
    """Tiny models run fastest on one thread; two threads on a busy 2-core machine spin-wait (10x slower)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_bandit_training_raises_the_reward(tmp_path, one_thread):
    torch.manual_seed(0)
    model = build_tiny_model(str(tmp_path / "tiny"), hidden=64, layers=2)
    prompts = toy_prompts()
    warm_up(model, prompts)
    prompt_file = tmp_path / "prompts.jsonl"
    prompt_file.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    out = tmp_path / "run"
    tb.main(["--model", model, "--prompts", str(prompt_file), "--val-prompts", str(prompt_file), "--output-dir", str(out),
             "--group-size", "8", "--prompts-per-step", "4", "--mini-batches", "2", "--micro-batch", "16",
             "--max-response-tokens", "64", "--lr", "5e-4", "--kl-coef", "0.01", "--epochs", "20",
             "--eval-every", "40", "--save-every", "40"])
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if r["step"] > 0]
    before = sum(r["charts/reward_mean"] for r in steps[:3]) / 3
    after = sum(r["charts/reward_mean"] for r in steps[-5:]) / 5
    print(f"reward before {before:.3f} after {after:.3f}; validation {records[0]['val/reward_mean']:.3f} -> "
          f"{records[-1]['val/reward_mean']:.3f}")
    # Measured in float32: 0.33 -> 0.76 (validation 0.5 -> 1.0); with bfloat16 autocast (--precision auto
    # on a CPU with AVX512-BF16): 0.40 -> 0.78 (0.5 -> 1.0). In float32, the sign flipped: 0.28 -> -1.0 (no code block at all);
    # the loss detached from the model: 0.26 -> 0.32.
    assert len(steps) == 40 and os.path.exists(out / "final" / "config.json")
    assert after - before > 0.3 and after > 0.6
