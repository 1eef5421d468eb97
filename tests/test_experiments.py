"""experiments/: the seed-spread table from run folders, and the longer run's stages."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def fake_run(folder, base, cobalt, rewards):
    os.makedirs(folder / "eval")
    os.makedirs(folder / "train")
    for label, (p0, p1) in (("base", base), ("cobalt", cobalt)):
        summary = {"label": label, "turns": 2, "pass_at_1": [p0, p1], "hidden_pass_rate": [p0 + 0.1, p1 + 0.1]}
        (folder / "eval" / f"{label}.summary.json").write_text(json.dumps(summary))
    (folder / "train" / "metrics.jsonl").write_text(
        json.dumps({"step": 0, "val/reward_mean": 0.0}) + "\n"
        + "".join(json.dumps({"step": i + 1, "charts/reward_mean": r}) + "\n" for i, r in enumerate(rewards)))


def test_seed_spread_prints_mean_sd_and_range(tmp_path):
    fake_run(tmp_path / "s0", (0.04, 0.0), (0.08, 0.04), [-0.5, -0.25])
    fake_run(tmp_path / "s1", (0.0, 0.0), (0.08, 0.0), [-0.3, -0.1])
    out = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "seed_spread.py"), str(tmp_path / "s0"),
                          str(tmp_path / "s1")], capture_output=True, text=True, check=True).stdout
    assert "-0.50 -0.25" in out and "-0.30 -0.10" in out
    assert "turn 0       Pass@1 cobalt - base: mean  +6.0, sd  2.8, range  +4.0 ..  +8.0 over 2 seeds" in out
    assert "turn 1 hidden tests        cobalt: mean +12.0, sd  2.8, range +10.0 .. +14.0 over 2 seeds" in out


def test_longer_run_dry_run_lists_every_stage_and_writes_nothing(tmp_path):
    run = tmp_path / "longer"
    out = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "longer_run.py"), "--dry-run",
                          "--run-dir", str(run)], capture_output=True, text=True, check=True).stdout
    stages = [line.split(":", 1)[0][3:] for line in out.splitlines() if line.startswith("== ")]
    assert stages == ["collect", "split-cobalt", "split-turn0", "train-cobalt", "train-turn0"] + [
        f"evaluate-{s}-{m}" for s in ("bundled-test", "humaneval") for m in ("base", "cobalt", "turn0")]
    assert "--max-turn 0" in out.split("== split-turn0:")[1].splitlines()[0]
    assert not run.exists()


def test_old_log_probs_table_on_a_tiny_model(tmp_path):
    from tiny_model import build_tiny_model
    model = build_tiny_model(str(tmp_path / "tiny"))
    out = subprocess.run([sys.executable, os.path.join(ROOT, "experiments", "old_log_probs.py"), "--model", model,
                          "--device", "cpu", "--problems", "2", "--samples", "2", "--max-new-tokens", "16"],
                         capture_output=True, text=True, check=True).stdout
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[:1] in (["float32"], ["bfloat16"])}
    assert float(rows["float32"][2]) < 1e-5 and int(rows["float32"][1]) > 0  # recorded == recomputed in float32
    assert float(rows["bfloat16"][2]) < 1.0  # bfloat16 kernels of other shapes round differently, by little


def test_train_memory_runs_one_update_of_a_tiny_shape():
    sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
    import train_memory
    result = train_memory.main(["--shape", "tiny", "--device", "cpu", "--prompt-tokens", "16", "--response-tokens", "32",
                                "--group-size", "4", "--micro-batch", "4", "--precision", "fp32"])
    # Per layer: q 64x64 + 64, k and v 64x32 + 32 each, o 64x64, MLP 3 x 64x128, 2 norms of 64 = 37,120;
    # 2 layers + the tied 1000x64 embedding + the final norm of 64 = 138,304.
    assert result["params"] == 138_304
    logits = 2 * 4 * 4 * 32 * 1000  # gradient + copy, float32, micro-batch 4 x 32 response tokens x vocabulary
    assert result["estimate"] == 20 * 138_304 + logits
    assert 0 < result["grad_norm"] < float("inf")  # the update reached the weights
