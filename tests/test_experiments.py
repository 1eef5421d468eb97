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
