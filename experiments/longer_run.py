"""A longer run: the starting model vs Cobalt vs single-step training on turn-0 prompts only.

The three models the paper compares (its single-turn GRPO baseline trains on turn-0 prompts only),
trained from one collection and evaluated on the held-out bundled problems and on HumanEval:

    collect     trajectories of the starting model on --train-problems bundled-train problems
    split       Cobalt's prompts (turn 0 and turns 1, 2, ...) and, from the same
                trajectories, the turn-0 prompts only (split.py --max-turn 0)
    train       the two trainings, identical but for their prompts
    evaluate    base, cobalt and turn0 on bundled-test and on HumanEval: Pass@1 per turn with
                its 95% bootstrap interval over problems, side by side

Each stage is its script, run as a subprocess with the command printed (pipeline.run_stage), so
a rerun continues where the last one stopped. Writes into --run-dir (default runs/longer):
    trajectories.jsonl, prompts-cobalt.jsonl, prompts-turn0.jsonl
    train-cobalt/, train-turn0/                 metrics.jsonl, curves.png, final/ (train-turn0 only
                                                when its prompts differ from Cobalt's: with a model
                                                that never fixes a failed program they are the same)
    eval/SET/{base,cobalt,turn0}.jsonl          trajectories and .summary.json, SET = bundled-test, humaneval
    eval/SET/pass_at_1.png

    python experiments/longer_run.py                  # the run reported in RESULTS.md
    python experiments/longer_run.py --steps 2 ...    # smaller
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from pipeline import add_run_arguments, collect_stage, run_stage, train_stage  # noqa: E402

MODELS = ("base", "cobalt", "turn0")


def sorted_lines(file: str) -> list[str]:
    with open(file, encoding="utf-8") as f:
        return sorted(f)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_run_arguments(p, run_dir="runs/longer", train_problems=16, max_new_tokens=256, steps=8, timeout=4.0)
    p.add_argument("--test-problems", type=int, default=25, help="bundled-test problems evaluated (all 25)")
    p.add_argument("--test-samples", type=int, default=1, help="trajectories per bundled-test problem")
    p.add_argument("--humaneval-problems", type=int, default=30, help="HumanEval problems evaluated (the first N)")
    p.add_argument("--humaneval-samples", type=int, default=1, help="trajectories per HumanEval problem")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    run = args.run_dir
    path = lambda *parts: os.path.join(run, *parts)  # noqa: E731
    if not args.dry_run:
        os.makedirs(path("done"), exist_ok=True)
    model = ["--model", args.model] if args.model else []
    tokens, seed = ["--max-new-tokens", str(args.max_new_tokens)], ["--seed", str(args.seed)]
    start = time.time()

    collect_stage(args, path("trajectories.jsonl"))
    tokenizer = ["--tokenizer", args.model] if args.model else []
    for name, cuts in (("cobalt", []), ("turn0", ["--max-turn", "0"])):
        run_stage(f"split-{name}", args, ["split.py", "--trajectories", path("trajectories.jsonl"), *cuts, *tokenizer,
                                          "--output", path(f"prompts-{name}.jsonl"), *seed])
    same_prompts = not args.dry_run and sorted_lines(path("prompts-cobalt.jsonl")) == sorted_lines(path("prompts-turn0.jsonl"))
    if same_prompts:
        print("longer_run: no trajectory gives a prompt past turn 0 (none reaches 1.0 after a failure), so Cobalt's "
              "prompts are the turn-0 prompts and one training serves as both: turn0 = cobalt")
    for name in ("cobalt",) if same_prompts else ("cobalt", "turn0"):
        train_stage(f"train-{name}", args, path(f"prompts-{name}.jsonl"), path(f"train-{name}"))

    models = {"base": model, "cobalt": ["--model", path("train-cobalt", "final")],
              "turn0": ["--model", path("train-turn0", "final")]}
    labels = MODELS[:2] if same_prompts else MODELS
    sets = {"bundled-test": (args.test_problems, args.test_samples),
            "humaneval": (args.humaneval_problems, args.humaneval_samples)}
    for problems, (limit, samples) in sets.items():
        for label in labels:
            run_stage(f"evaluate-{problems}-{label}", args, [
                "evaluate.py", *models[label], "--problems", problems, "--limit", str(limit), "--n-samples", str(samples),
                "--turns", str(args.turns), *tokens, "--timeout", str(args.timeout), *seed, "--k", "1", "--label", label,
                "--output", path("eval", problems, f"{label}.jsonl")])
    for problems in sets:  # cheap, and always shown
        if args.dry_run:
            break
        subprocess.run([sys.executable, os.path.join(ROOT, "evaluate.py"), "--compare",
                        *[path("eval", problems, f"{label}.summary.json") for label in labels],
                        "--plot", path("eval", problems, "pass_at_1.png")], check=True)
    print(f"longer_run: finished in {time.time() - start:.0f} s; everything is in {run}/")


if __name__ == "__main__":
    main()
