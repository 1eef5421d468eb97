"""Our trainer (train_bandit.py) against TRL's GRPOTrainer: time per step and peak memory.

Both train the same tiny random ChatML Llama (built locally, nothing downloaded) on the same
prompts with the same group size G, completion length, reward (reward.reward on the
sandbox's pass rate), clip range (0.2 / 0.4), KL weight (beta, k3 form in both), learning rate
precision (--precision, float32 by default) and mini-batching: each step samples B prompts x G completions once, computes old log-probs,
and makes 2 optimizer steps of B*G/2 completions in micro-batches. TRL runs with loss_type
"grpo" on CPU. Each trainer runs in its own process, --runs times, alternating; the figures are
medians over steps after the first, and the time ratio is the median of the ratios of
back-to-back runs, so a machine that slows down for a while slows both alike.

Reads nothing; writes only a temporary folder. Prints a table and the ratios.

Command:
    pip install -r benchmarks/requirements-trl.txt
    python benchmarks/trainer_vs_trl.py [--steps 10 --runs 4 --group-size 8 --prompts-per-step 4 --max-new-tokens 64]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(args, model: str, prompts: str, work: str) -> tuple[list[float], float]:
    import train_bandit
    out = os.path.join(work, f"ours-{os.getpid()}")
    train_bandit.main(["--model", model, "--prompts", prompts, "--output-dir", out, "--group-size", str(args.group_size),
                       "--prompts-per-step", str(args.prompts_per_step), "--mini-batches", "2",
                       "--micro-batch", str(args.micro_batch), "--gen-micro-batch", str(args.prompts_per_step * args.group_size),
                       "--max-response-tokens", str(args.max_new_tokens), "--kl-coef", str(args.beta), "--kl-type", "k3",
                       "--lr", "1e-6", "--max-steps", str(args.steps), "--epochs", str(args.steps), "--save-every", "1000000",
                       "--precision", args.precision, "--old-log-probs", args.old_log_probs])
    with open(os.path.join(out, "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f]
    completions = args.prompts_per_step * args.group_size
    return [r["time/step_s"] for r in records], statistics.mean(r["charts/completion_tokens"] / completions for r in records)


def run_trl(args, model: str, prompts: str, work: str) -> tuple[list[float], float]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    import reward

    with open(prompts) as f:
        records = [json.loads(line) for line in f]
    dataset = Dataset.from_list([{"prompt": r["conversation"], "test_cases": r["test_cases"],
                                  "prev_best_pass_rate": r["prev_best_pass_rate"]} for r in records] * args.steps)

    def cobalt_reward(prompts, completions, test_cases, prev_best_pass_rate, **_):
        texts = [c[0]["content"] for c in completions]
        rates = reward.program_pass_rates(texts, test_cases)
        return [reward.reward(t, r, p) for t, r, p in zip(texts, rates, prev_best_pass_rate)]

    completions_per_step = args.prompts_per_step * args.group_size
    config = GRPOConfig(
        output_dir=os.path.join(work, f"trl-{os.getpid()}"), use_cpu=True, bf16=args.precision == "bf16", report_to="none", save_strategy="no",
        logging_steps=1, seed=0, loss_type="grpo", beta=args.beta, epsilon=0.2, epsilon_high=0.4,
        num_generations=args.group_size, temperature=1.0, max_completion_length=args.max_new_tokens,
        learning_rate=1e-6, lr_scheduler_type="constant", weight_decay=0.01, max_grad_norm=1.0, optim="adamw_torch",
        per_device_train_batch_size=args.micro_batch,
        gradient_accumulation_steps=completions_per_step // 2 // args.micro_batch,  # 2 optimizer steps a step
        steps_per_generation=completions_per_step // args.micro_batch,  # one generation round a step
        num_iterations=1, max_steps=2 * args.steps)
    ends = []

    class Clock(TrainerCallback):
        def on_train_begin(self, *a, **k):
            ends.append(time.perf_counter())

        def on_step_end(self, *a, **k):
            ends.append(time.perf_counter())

    trainer = GRPOTrainer(model=AutoModelForCausalLM.from_pretrained(model), reward_funcs=cobalt_reward,
                          args=config, train_dataset=dataset, processing_class=AutoTokenizer.from_pretrained(model),
                          callbacks=[Clock()])
    trainer.train()
    lengths = [r["completions/mean_length"] for r in trainer.state.log_history if "completions/mean_length" in r]
    return [ends[i + 2] - ends[i] for i in range(0, len(ends) - 2, 2)], statistics.mean(lengths)


def child(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    runner = run_ours if args.child == "ours" else run_trl
    seconds, length = runner(args, os.path.join(args.work, "model"), os.path.join(args.work, "prompts.jsonl"), args.work)
    print("RESULT " + json.dumps({"step_s": seconds, "completion_tokens": length, "peak_rss_mb": peak_rss_mb()}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10, help="training steps per run (one generation round each)")
    p.add_argument("--runs", type=int, default=4, help="runs of each trainer, alternating")
    p.add_argument("--group-size", type=int, default=8, help="G, completions per prompt")
    p.add_argument("--prompts-per-step", type=int, default=4, help="prompts per step")
    p.add_argument("--micro-batch", type=int, default=8, help="completions per forward/backward")
    p.add_argument("--max-new-tokens", type=int, default=64, help="completion length (a random model uses all of it)")
    p.add_argument("--beta", type=float, default=0.01, help="KL weight in both trainers")
    p.add_argument("--hidden", type=int, default=128, help="width of the tiny model")
    p.add_argument("--threads", type=int, default=1, help="torch threads in each trainer process")
    p.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                   help="both in float32, or both with bfloat16 autocast (ours --precision bf16, TRL bf16=True)")
    p.add_argument("--old-log-probs", choices=["sampled", "recomputed"], default="sampled",
                   help="ours only: the ratio's old log-probs recorded while sampling (the default) or recomputed as TRL does")
    p.add_argument("--child", choices=["ours", "trl"], help=argparse.SUPPRESS)
    p.add_argument("--work", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)

    from test_train_learning import toy_prompts
    from tiny_model import build_tiny_model
    with tempfile.TemporaryDirectory() as work:
        build_tiny_model(os.path.join(work, "model"), hidden=args.hidden, layers=2)
        with open(os.path.join(work, "prompts.jsonl"), "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in toy_prompts())
        results = {"ours": [], "trl": []}
        for name in ["ours", "trl"] * args.runs:
            command = [sys.executable, __file__, "--child", name, "--work", work] + sys.argv[1:]
            done = subprocess.run(command, capture_output=True, text=True)
            lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
            if done.returncode or not lines:
                raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
            results[name].append(json.loads(lines[-1][7:]))
    step = {n: statistics.median([s for r in rs for s in r["step_s"][1:]]) for n, rs in results.items()}
    pair_ratios = [statistics.median(o["step_s"][1:]) / statistics.median(t["step_s"][1:])
                   for o, t in zip(results["ours"], results["trl"])]
    memory = {n: max(r["peak_rss_mb"] for r in rs) for n, rs in results.items()}
    length = {n: statistics.mean(r["completion_tokens"] for r in rs) for n, rs in results.items()}
    print(f"{args.prompts_per_step} prompts x G={args.group_size}, {args.max_new_tokens} new tokens, "
          f"tiny Llama hidden {args.hidden}, {args.threads} thread(s), {args.precision}, {args.steps} steps x {args.runs} runs each")
    print(f"{'':8}{'s/step (median)':>18}{'peak RSS MB':>14}{'tokens/completion':>20}")
    for n in ("ours", "trl"):
        print(f"{n:8}{step[n]:>18.3f}{memory[n]:>14.0f}{length[n]:>20.1f}")
    print("time ratio of each pair of runs: " + ", ".join(f"{r:.2f}" for r in pair_ratios))
    print(f"ratio ours/TRL: time per step {statistics.median(pair_ratios):.2f}x (median over pairs), "
          f"peak memory {memory['ours'] / memory['trl']:.2f}x")


if __name__ == "__main__":
    main()
