"""Smoke test: collect.py and evaluate.py end to end as subprocesses, on a tiny model and the bundled problems."""
import json
import os
import subprocess
import sys

from tiny_model import build_tiny_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--n-samples", "2", "--max-new-tokens", "8", "--limit", "2", "--quiet"]


def run(*argv):
    done = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_collect_then_evaluate_on_a_tiny_model(tmp_path):
    model = build_tiny_model(str(tmp_path / "tiny"))
    trajectories = tmp_path / "trajectories.jsonl"
    out = run("collect.py", "--model", model, "--problems", "bundled-train", "--turns", "1", *TINY,
              "--output", str(trajectories))
    assert "collect: 2 problems, 8 programs" in out
    records = [json.loads(line) for line in trajectories.read_text().splitlines()]
    assert len(records) == 2 and all(len(r["raw_responses"]) == 2 and len(r["all_pass_rates"]) == 2 for r in records)

    evaluation = tmp_path / "eval.jsonl"
    out = run("evaluate.py", "--model", model, "--perturbed", "--turns", "2", *TINY, "--k", "1", "2",
              "--output", str(evaluation), "--plot", str(tmp_path / "eval.png"), "--label", "tiny")
    assert "evaluate: 2 problems, 12 programs" in out and "tiny: 2 problems x 2 trajectories" in out
    summary = json.loads((tmp_path / "eval.summary.json").read_text())
    assert summary["turns"] == 3 and len(summary["pass_at_1"]) == 3 and summary["hacking"]["exposed"] == [0, 0, 0]
    assert (tmp_path / "eval.hacking.jsonl").exists() and (tmp_path / "eval.png").exists()
