"""The README's first command, `python pipeline.py`, end to end with tiny settings on the
embedded SmolLM2-135M-Instruct; then a rerun that skips every finished stage."""
import json
import os
import subprocess
import sys

import problems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = ["--train-problems", "3", "--eval-problems", "2", "--n-samples", "2", "--eval-samples", "2", "--turns", "1",
        "--eval-turns", "1", "--max-new-tokens", "40", "--steps", "2", "--prompts-per-step", "2", "--group-size", "2"]
STAGES = ["collect", "split", "train", "evaluate-base", "evaluate-cobalt"]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def run_pipeline(run_dir):
    result = subprocess.run([sys.executable, "pipeline.py", "--run-dir", str(run_dir), *TINY], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def check_trajectories(path, n_problems, n_samples, programs):
    records = read_jsonl(path)
    assert len(records) == n_problems
    for r in records:
        for field in ("id", "question", "public_test_cases", "hidden_test_cases", "test_cases", "difficulty", "source"):
            assert isinstance(r[field], str), field
        n_public, n_all = (len(problems.parse_test_cases(r[f])["inputs"]) for f in ("public_test_cases", "test_cases"))
        assert len(r["conversations"]) == n_samples
        for conversation in r["conversations"]:
            roles = [m["role"] for m in conversation]
            assert roles == ["system", "user"] + ["assistant", "user"] * programs
        assert len(r["raw_responses"]) == programs and all(len(t) == n_samples for t in r["raw_responses"])
        assert len(r["public_pass_rates"]) == programs and all(len(t) == n_samples for t in r["public_pass_rates"])
        for key in ("all_pass_rates", "hidden_pass_rates", "exec_results"):
            assert len(r[key]) == n_samples and all(len(s) == programs for s in r[key]), key
        for sample in r["exec_results"]:
            for result in sample:
                assert isinstance(result["has_code"], bool)
                assert len(result["public_passing"]) == n_public and len(result["all_passing"]) == n_all
        for rates in r["all_pass_rates"] + r["hidden_pass_rates"]:
            assert all(0.0 <= x <= 1.0 for x in rates)


def check_summary(path, label, n_problems, n_samples, programs):
    with open(path, encoding="utf-8") as f:
        summary = json.load(f)
    assert summary["label"] == label and summary["n_problems"] == n_problems and summary["n_samples"] == n_samples
    for key in ("pass_at_1", "solved_by_turn", "hidden_pass_rate"):
        assert len(summary[key]) == programs and all(0.0 <= x <= 1.0 for x in summary[key]), key


def test_pipeline_end_to_end_then_resume(tmp_path):
    run = tmp_path / "run"
    out = run_pipeline(run)
    for stage in STAGES:
        assert f"== {stage}: python " in out
        assert (run / "done" / stage).exists()

    check_trajectories(run / "trajectories.jsonl", n_problems=3, n_samples=2, programs=2)

    prompts = read_jsonl(run / "prompts.jsonl")
    assert prompts
    for p in prompts:
        assert set(p) >= {"example_id", "problem_id", "conversation", "test_cases", "difficulty",
                          "prev_best_pass_rate", "turn", "perturbed"}
        assert p["conversation"][-1]["role"] == "user" and len(p["conversation"]) == 2 + 2 * p["turn"]
        assert 0.0 <= p["prev_best_pass_rate"] <= 1.0

    metrics = read_jsonl(run / "train" / "metrics.jsonl")
    assert [m["step"] for m in metrics] == [1, 2]
    for m in metrics:
        assert -1.0 <= m["charts/reward_mean"] <= 1.0
        assert {"losses/kl", "losses/clipfrac", "time/generation_s", "time/sandbox_s"} <= set(m)
    assert (run / "train" / "final" / "config.json").exists()
    assert (run / "train" / "final" / "model.safetensors").exists()

    for label in ("base", "cobalt"):
        check_trajectories(run / "eval" / f"{label}.jsonl", n_problems=2, n_samples=2, programs=2)
        check_summary(run / "eval" / f"{label}.summary.json", label, n_problems=2, n_samples=2, programs=2)
    for png in (run / "pass_at_1.png", run / "train" / "curves.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # A rerun redoes nothing: every stage is skipped, only the comparison is printed again.
    before = {p: p.stat().st_mtime_ns for p in run.rglob("*.jsonl")}
    out = run_pipeline(run)
    for stage in STAGES:
        assert f"== {stage}: done already, skipped" in out
    assert {p: p.stat().st_mtime_ns for p in run.rglob("*.jsonl")} == before
    assert "base" in out and "cobalt" in out


def test_ptb_path_commands(tmp_path):
    """--ptb adds the Cobalt-PTB stages in order (no model runs: --dry-run prints the commands)."""
    result = subprocess.run([sys.executable, "pipeline.py", "--run-dir", str(tmp_path), "--ptb", "--perturbed-ratio", "0.3",
                             "--dry-run"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    commands = {line.split(": ", 1)[0][3:]: line.split(": ", 1)[1] for line in result.stdout.splitlines()}
    assert list(commands) == ["collect", "collect-perturbed", "split", "train", "evaluate-base", "evaluate-cobalt",
                              "evaluate-base-perturbed", "evaluate-cobalt-perturbed", "compare"]
    assert "--problems bundled-train --perturbed" in commands["collect-perturbed"]
    assert f"--perturbed {tmp_path}/trajectories-perturbed.jsonl --perturbed-ratio 0.3" in commands["split"]
    for label in ("base", "cobalt"):
        assert "--problems bundled-test" in commands[f"evaluate-{label}-perturbed"]
        assert f"--perturbed --label {label}-perturbed" in commands[f"evaluate-{label}-perturbed"]
    assert "--perturbed" not in commands["collect"] + commands["evaluate-base"] + commands["evaluate-cobalt"]


def test_the_time_limit_reaches_every_stage_that_runs_programs(tmp_path):
    """--timeout (CPU seconds per test) is each sandbox-running stage's own flag, with the value given."""
    result = subprocess.run([sys.executable, "pipeline.py", "--run-dir", str(tmp_path), "--timeout", "2.5", "--dry-run"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    commands = {line.split(": ", 1)[0][3:]: line.split(": ", 1)[1] for line in result.stdout.splitlines()}
    assert "--timeout 2.5" in commands["collect"]
    assert "--test-timeout 2.5" in commands["train"]
    assert "--timeout 2.5" in commands["evaluate-base"] and "--timeout 2.5" in commands["evaluate-cobalt"]
