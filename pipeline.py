"""Run all of Cobalt on one machine: collect -> split -> train_bandit -> evaluate.

Every stage is the stage's own script, run as a subprocess with the command printed
before it runs, so the log is a list of commands a reader can rerun by hand. Defaults
are sized for the bundled problem set and the embedded SmolLM2-135M-Instruct on a
2-core CPU without native bfloat16 (10-17 minutes on an AVX2-only one, float32; RESULTS.md);
the paper's settings are each script's own defaults.

Writes into --run-dir (default runs/default):
    trajectories.jsonl            stage 1: multi-turn trajectories on the training problems
    prompts.jsonl                 stage 2: partial-trajectory prompts with prev_best_pass_rate
    train/metrics.jsonl           stage 3: one record per step (reward, KL, clip fraction, times)
    train/curves.png              stage 3: reward and KL curves
    train/final/                  stage 3: the trained model (transformers folder)
    eval/base.jsonl               stage 4: trajectories of the starting model on the held-out problems
    eval/base.summary.json        stage 4: Pass@1 per turn, pass@k, solved by turn t
    eval/cobalt.jsonl             stage 4: the same for the trained model
    eval/cobalt.summary.json
    pass_at_1.png                 Pass@1 against turn, starting vs trained model
    done/STAGE                    a stage that finished; a rerun skips it
With --ptb (Cobalt-PTB and in-context reward hacking; give it its own --run-dir), also:
    trajectories-perturbed.jsonl  stage 1 on the training problems with two public expected outputs
                                  swapped (collect.py --perturbed); prompts.jsonl mixes in prompts cut
                                  from them (split.py --perturbed ... --perturbed-ratio)
    eval/base-perturbed.jsonl     stage 4 on the perturbed held-out problems (evaluate.py --perturbed): the
    eval/cobalt-perturbed.jsonl   hacking rate per turn in .summary.json, the flagged turns in .hacking.jsonl
                                  (the trained model, train/final and eval/cobalt*, is then Cobalt-PTB)

A rerun continues where the last run stopped: finished stages are skipped, and an
interrupted stage resumes from what it had already written.

Command:
    python pipeline.py                      # everything, on the bundled default
    python pipeline.py --run-dir runs/s1 --seed 1
    python pipeline.py --ptb --run-dir runs/ptb   # Cobalt-PTB, with hacking rates before and after
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def add_run_arguments(p: argparse.ArgumentParser, *, run_dir: str, train_problems: int, max_new_tokens: int,
                      steps: int, timeout: float) -> None:
    """The flags pipeline.py and experiments/longer_run.py share: the run folder, the model, collect and training."""
    p.add_argument("--run-dir", default=run_dir, help="folder of every file the run writes")
    p.add_argument("--dry-run", action="store_true", help="print the commands of every stage without running them")
    p.add_argument("--model", default=None, help="starting model (default: the embedded SmolLM2-135M-Instruct)")
    p.add_argument("--seed", type=int, default=0, help="seed of sampling, splitting and training")
    p.add_argument("--train-problems", type=int, default=train_problems, help="training problems used by collect (bundled-train)")
    p.add_argument("--n-samples", type=int, default=4, help="trajectories per problem in collect (paper: 16)")
    p.add_argument("--turns", type=int, default=1, help="feedback turns in collect (paper: 2)")
    p.add_argument("--max-new-tokens", type=int, default=max_new_tokens, help="tokens per reply, everywhere")
    p.add_argument("--timeout", type=float, default=timeout, help="CPU seconds per test in the sandbox, everywhere (paper: 4)")
    p.add_argument("--steps", type=int, default=steps, help="training steps")
    p.add_argument("--prompts-per-step", type=int, default=4, help="prompts per training step")
    p.add_argument("--epochs", type=int, default=4, help="passes over the prompts at most (--steps stops first)")
    p.add_argument("--group-size", type=int, default=4, help="G, completions per prompt")
    p.add_argument("--lr", type=float, default=1e-5, help="learning rate (the paper's 1e-6 moves a 135M model little)")
    p.add_argument("--kl-coef", type=float, default=1e-4, help="weight of the KL term to the starting model")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    # A 1-second limit per test: the bundled problems' reference programs need at most 75 ms a test, and
    # a program that loops forever then costs 14 s of its 14 tests instead of 56 s (README, "Where we
    # differ from the paper or the authors' code").
    add_run_arguments(p, run_dir="runs/default", train_problems=6, max_new_tokens=160, steps=3, timeout=1.0)
    p.add_argument("--eval-problems", type=int, default=16, help="held-out problems evaluated (bundled-test)")
    p.add_argument("--eval-samples", type=int, default=1, help="trajectories per problem in evaluate (paper: 16)")
    p.add_argument("--eval-turns", type=int, default=1, help="feedback turns in evaluate (paper: 8)")
    p.add_argument("--ptb", action="store_true", help="Cobalt-PTB: also collect on perturbed training problems, mix "
                                                      "their prompts in, and measure reward hacking on perturbed held-out problems")
    p.add_argument("--perturbed-ratio", type=float, default=0.5, help="with --ptb: split.py --perturbed-ratio")
    return p.parse_args(argv)


def stage_command(argv: list[str]) -> list[str]:
    """The command that runs a stage: this Python on the script (at the repository root) with its flags."""
    return [sys.executable, os.path.join(HERE, argv[0]), *argv[1:]]


def stage_done(run_dir: str, name: str) -> bool:
    """Whether stage `name` of the run in `run_dir` finished: its marker RUN_DIR/done/NAME exists."""
    return os.path.exists(os.path.join(run_dir, "done", name))


def mark_stage_done(run_dir: str, name: str, seconds: float) -> None:
    """Write the marker of a finished stage, holding its wall time; a rerun skips the stage."""
    os.makedirs(os.path.join(run_dir, "done"), exist_ok=True)
    with open(os.path.join(run_dir, "done", name), "w") as f:
        f.write(f"{seconds:.1f} s\n")


def run_stage(name: str, args: argparse.Namespace, argv: list[str]) -> None:
    """Run one stage script unless it is done already; mark it done when it succeeds."""
    if stage_done(args.run_dir, name) and not args.dry_run:
        print(f"== {name}: done already, skipped")
        return
    print(f"== {name}: {shlex.join(['python', *argv])}", flush=True)
    if args.dry_run:
        return
    start = time.time()
    result = subprocess.run(stage_command(argv))
    if result.returncode != 0:
        raise SystemExit(f"pipeline: stage {name} failed (exit {result.returncode}); rerun to continue from here")
    mark_stage_done(args.run_dir, name, time.time() - start)


def collect_stage(args: argparse.Namespace, output: str, perturbed: bool = False) -> None:
    """collect.py on the first --train-problems bundled-train problems (perturbed: their perturbed copies)."""
    model = ["--model", args.model] if args.model else []
    perturb = ["--perturbed"] if perturbed else []
    run_stage("collect-perturbed" if perturbed else "collect", args,
              ["collect.py", *model, "--problems", "bundled-train", *perturb, "--limit", str(args.train_problems),
                                "--n-samples", str(args.n_samples), "--turns", str(args.turns),
                                "--max-new-tokens", str(args.max_new_tokens), "--timeout", str(args.timeout),
                                "--seed", str(args.seed), "--output", output])


def train_stage(name: str, args: argparse.Namespace, prompts: str, out: str) -> None:
    """train_bandit.py on `prompts` into `out`. An interrupted training run continues from its last
    checkpoint; one killed before its first checkpoint has nothing to continue from and starts again."""
    resume = ["--resume"] if os.path.exists(os.path.join(out, "checkpoint")) else []
    if not resume and not args.dry_run and not stage_done(args.run_dir, name) and os.path.exists(out):
        shutil.rmtree(out)
    model = ["--model", args.model] if args.model else []
    run_stage(name, args, ["train_bandit.py", *model, "--prompts", prompts, "--output-dir", out,
                           "--max-steps", str(args.steps), "--epochs", str(args.epochs), "--prompts-per-step", str(args.prompts_per_step),
                           "--group-size", str(args.group_size), "--max-response-tokens", str(args.max_new_tokens),
                           "--lr", str(args.lr), "--kl-coef", str(args.kl_coef), "--test-timeout", str(args.timeout),
                           "--save-every", "2", "--seed", str(args.seed),
                           "--plot", *resume])


def main(argv=None) -> None:
    args = parse_args(argv)
    run = args.run_dir
    if not args.dry_run:
        os.makedirs(os.path.join(run, "done"), exist_ok=True)
    model = ["--model", args.model] if args.model else []
    tokens = ["--max-new-tokens", str(args.max_new_tokens)]
    seed = ["--seed", str(args.seed)]
    path = lambda *parts: os.path.join(run, *parts)  # noqa: E731
    start = time.time()

    collect_stage(args, path("trajectories.jsonl"))
    ptb = []
    if args.ptb:  # Cobalt-PTB: prompts cut from perturbed trajectories are mixed in; the reward stays on the true tests
        collect_stage(args, path("trajectories-perturbed.jsonl"), perturbed=True)
        ptb = ["--perturbed", path("trajectories-perturbed.jsonl"), "--perturbed-ratio", str(args.perturbed_ratio)]
    run_stage("split", args, ["split.py", "--trajectories", path("trajectories.jsonl"), *ptb, "--output", path("prompts.jsonl"),
                              *(["--tokenizer", args.model] if args.model else []), *seed])
    train_stage("train", args, path("prompts.jsonl"), path("train"))
    evaluation = ["--problems", "bundled-test", "--limit", str(args.eval_problems), "--n-samples", str(args.eval_samples),
                  "--turns", str(args.eval_turns), *tokens, "--timeout", str(args.timeout), *seed, "--k", "1"]
    run_stage("evaluate-base", args, ["evaluate.py", *model, *evaluation, "--label", "base",
                                      "--output", path("eval", "base.jsonl")])
    run_stage("evaluate-cobalt", args, ["evaluate.py", "--model", path("train", "final"), *evaluation,
                                        "--label", "cobalt", "--output", path("eval", "cobalt.jsonl")])
    if args.ptb:  # in-context reward hacking on the perturbed held-out problems, before and after training
        for label, arm_model in (("base", model), ("cobalt", ["--model", path("train", "final")])):
            run_stage(f"evaluate-{label}-perturbed", args, ["evaluate.py", *arm_model, *evaluation, "--perturbed",
                                                            "--label", f"{label}-perturbed",
                                                            "--output", path("eval", f"{label}-perturbed.jsonl")])
    # The comparison is cheap and always shown, even when every stage was done before.
    compare = ["evaluate.py", "--compare", path("eval", "base.summary.json"), path("eval", "cobalt.summary.json"),
               "--plot", path("pass_at_1.png")]
    print(f"== compare: {shlex.join(['python', *compare])}", flush=True)
    if args.dry_run:
        return
    subprocess.run([sys.executable, os.path.join(HERE, compare[0]), *compare[1:]], check=True)
    print(f"pipeline: finished in {time.time() - start:.0f} s; everything is in {run}/")


if __name__ == "__main__":
    main()
