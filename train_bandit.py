"""Stage 3 of Cobalt: online contextual-bandit learning on partial-trajectory prompts.

Every step takes `--prompts-per-step` prompts (partial trajectories from split.py), samples a
group of G completions per prompt at temperature 1.0, runs each completion's program on ALL
tests of its problem in the sandbox, turns pass rates into rewards (METHOD.md, "The equations":
tiers, improvement over prev_best_pass_rate, format term for thinking models), computes
group advantages (r - mean) / (std + 1e-6), and updates the policy `--mini-batches` times
with the clipped-ratio loss plus a KL term to the frozen starting model (see `policy_loss`).

Reads:  --prompts / --val-prompts, JSONL from split.py ({"example_id", "conversation",
        "test_cases", "prev_best_pass_rate", ...}); --model, the starting model.
Writes: OUTPUT_DIR/metrics.jsonl, one record per step, appended as the step ends:
          {"step", "epoch", "charts/reward_mean", "charts/pass_rate" (mean all-test pass rate, no code = 0),
           "charts/solved" (share passing all tests), "charts/no_code",
           "charts/programs" (replies with a code block, each run in the sandbox), "charts/zero_variance_groups", "charts/groups", "charts/completion_tokens", "charts/prompt_tokens",
           "losses/policy_loss", "losses/kl", "losses/approx_kl", "losses/clipfrac", "losses/grad_norm",
           "time/generation_s", "time/sandbox_s", "time/logprob_s" (old + reference log-probs), "time/backward_s",
           "time/step_s" (all of it, validation excluded)}
          plus "val/reward_mean" (0/1 reward, one sample per held-out prompt) every --eval-every steps
          (step 0 = before training);
        OUTPUT_DIR/checkpoint/ every --save-every steps: the model and tokenizer (save_pretrained) and
          trainer_state.pt (step, optimizer, RNG states, data order) that --resume continues exactly;
        OUTPUT_DIR/final/: the trained model and tokenizer, loadable by policy.load_policy, evaluate.py
          and transformers; OUTPUT_DIR/curves.png with --plot.

Command (the paper's settings are the defaults; a CPU run wants far smaller ones):
    python train_bandit.py --prompts runs/default/prompts.jsonl --val-prompts runs/default/val_prompts.jsonl \
        --output-dir runs/default/train --prompts-per-step 8 --group-size 8 --max-response-tokens 512 --lr 1e-5 --plot
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

import plots
from checkpoints import restore, save_checkpoint
from problems import BadInputError, parse_test_cases, read_jsonl
from conversation import token_counter
from reward import program_pass_rates, reward, validation_reward
from speedups import amp
# The update every GRPO trainer shares, in grpo.py (METHOD.md gives its equations): group_advantages,
# (r - mean) / (std + 1e-6) within a group; policy_loss, the clipped surrogate with dual-clip and the
# KL term to the starting model, token-mean aggregated; completion_log_probs, log pi(token | context);
# plan_micro_batches and update, the mini-batch steps. Read policy_loss first.
from grpo import (add_update_arguments, parse_update_arguments, group_advantages, plan_micro_batches, policy_loss,  # noqa: F401
                  save_final, start_run, update)

# ================================================================ sampling, scoring, updating

def read_prompts(path: str, policy, max_prompt_tokens: int) -> tuple[list[dict], int]:
    """Prompt records with their token ids ("ids"); prompts over max_prompt_tokens are dropped and counted."""
    records = []
    for record, where in read_jsonl(path, required=("example_id", "conversation", "test_cases"), empty_ok=True):
        if not parse_test_cases(record["test_cases"], where=where, field="test_cases")["inputs"]:
            raise BadInputError(f"{where}, field 'test_cases': no tests")
        record.setdefault("prev_best_pass_rate", 0.0)
        record["ids"] = policy.encode(record["conversation"])
        records.append(record)
    kept = [r for r in records if len(r["ids"]) <= max_prompt_tokens]
    return kept, len(records) - len(kept)


def validate(policy, records: list[dict], args) -> float:
    """Mean 0/1 reward of one sample per held-out prompt (the authors' validation sampling).

    It draws from a forked RNG, so validating or not never changes the training run."""
    with torch.random.fork_rng(devices=[policy.device] if policy.device.type == "cuda" else []), \
            amp(policy.device, args.precision):
        completions = policy.generate_tokens([r["ids"] for r in records], temperature=args.val_temperature,
                                             top_p=args.val_top_p, max_new_tokens=args.max_response_tokens,
                                             micro_batch=args.gen_micro_batch)
    replies = [policy.tokenizer.decode(c, skip_special_tokens=True) for c in completions]
    rates = program_pass_rates(replies, [r["test_cases"] for r in records], thinking=args.thinking, timeout=args.test_timeout,
                               workers=args.workers)
    return float(np.mean([validation_reward(r) for r in rates]))


# ================================================================ main

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Stage 3 of Cobalt: contextual-bandit GRPO on partial-trajectory prompts.")
    p.add_argument("--prompts", required=True, help="training prompts, JSONL from split.py")
    p.add_argument("--val-prompts", default=None, help="held-out prompts (split.py --validation) for the 0/1 validation reward")
    p.add_argument("--output-dir", required=True, help="output folder: metrics.jsonl, checkpoint/, final/, curves.png")
    add_update_arguments(p)  # the model, the groups, the loss, the optimizer (grpo.py)
    p.add_argument("--max-prompt-tokens", type=int, default=10240, help="longer prompts are dropped")
    p.add_argument("--skip-zero-variance", action="store_true", help="leave groups whose rewards are all equal out of the update")
    p.add_argument("--eval-every", type=int, default=10, help="validate every N steps (and before training)")
    p.add_argument("--val-temperature", type=float, default=0.6, help="sampling temperature of validation")
    p.add_argument("--val-top-p", type=float, default=0.95, help="top-p of validation")
    p.add_argument("--plot", action="store_true", help="draw OUTPUT_DIR/curves.png at every checkpoint")
    return parse_update_arguments(p, argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    metrics_path = os.path.join(args.output_dir, "metrics.jsonl")
    policy, ref_model, optimizer = start_run(args, "train_bandit.py")  # the policy, the frozen starting model, AdamW
    try:
        prompts, too_long = read_prompts(args.prompts, policy, args.max_prompt_tokens)
        val_prompts = read_prompts(args.val_prompts, policy, args.max_prompt_tokens)[0] if args.val_prompts else []
    except (BadInputError, OSError) as e:
        print(f"train_bandit.py: {e}", file=sys.stderr)
        raise SystemExit(2)
    if not prompts:
        raise SystemExit(f"train_bandit.py: no prompt of {args.prompts} fits in {args.max_prompt_tokens} tokens")
    sampled = args.old_log_probs == "sampled"

    B, G = min(args.prompts_per_step, len(prompts)), args.group_size
    steps_per_epoch = len(prompts) // B
    total = args.epochs * steps_per_epoch if args.max_steps <= 0 else min(args.max_steps, args.epochs * steps_per_epoch)
    order = [random.Random(args.seed + e).sample(range(len(prompts)), len(prompts)) for e in range(args.epochs)]
    start, history = 0, []
    if args.resume:
        start, order, history = restore(args.output_dir, optimizer)
    print(f"{len(prompts)} prompts ({too_long} over {args.max_prompt_tokens} tokens dropped), {len(val_prompts)} held out; "
          f"{total} steps of {B} prompts x {G} completions; old log-probs {args.old_log_probs}")

    metrics = open(metrics_path, "a", encoding="utf-8")

    def log(record):
        history.append(record)
        metrics.write(json.dumps(record) + "\n")
        metrics.flush()
    if val_prompts and start == 0:
        log({"step": 0, "epoch": 0, "val/reward_mean": validate(policy, val_prompts, args)})
    bar = tqdm(total=total, initial=start, desc="train", unit="step")
    count_tokens = token_counter(policy.tokenizer)
    for step in range(start + 1, total + 1):
        t0 = time.time()
        epoch, k = divmod(step - 1, steps_per_epoch)
        batch = [prompts[i] for i in order[epoch][k * B:(k + 1) * B]]
        records = [r for r in batch for _ in range(G)]
        seq_prompts = [r["ids"] for r in records]
        # 1. a group of G completions per prompt, from the current policy
        with amp(policy.device, args.precision):
            generated = policy.generate_tokens(seq_prompts, temperature=args.temperature, max_new_tokens=args.max_response_tokens,
                                               micro_batch=args.gen_micro_batch, log_probs=sampled)
        completions, sampled_log_probs = generated if sampled else (generated, None)
        replies = [policy.tokenizer.decode(c, skip_special_tokens=True) for c in completions]
        t1 = time.time()
        # 2. rewards from the sandbox, on all tests
        rates = program_pass_rates(replies, [r["test_cases"] for r in records], thinking=args.thinking,
                                   timeout=args.test_timeout, workers=args.workers)
        rewards = torch.tensor([reward(text, rate, r["prev_best_pass_rate"], thinking=args.thinking, count_tokens=count_tokens)
                                for text, rate, r in zip(replies, rates, records)]).view(len(batch), G)
        t2 = time.time()
        # 3. group advantages. A group whose rewards are all equal gets A = 0: its policy-gradient term
        # is zero, but its KL term still pulls toward the starting model and its tokens still count in
        # the token mean's divisor (--skip-zero-variance leaves such groups out altogether).
        advantages = group_advantages(rewards).flatten()
        zero_variance = (rewards.max(dim=1).values == rewards.min(dim=1).values).tolist()
        groups = [[g * G + j for j in range(G)] for g in range(len(batch))
                  if not (args.skip_zero_variance and zero_variance[g])]
        lengths = [len(p) + len(c) for p, c in zip(seq_prompts, completions)]
        plan = plan_micro_batches(groups, lengths, args.mini_batches, args.micro_batch)
        # 4. the clipped policy-gradient updates
        stats = update(policy, ref_model, optimizer, seq_prompts, completions, sampled_log_probs, advantages,
                       plan, args) if plan else {}
        record = {"step": step, "epoch": epoch, "charts/reward_mean": float(rewards.mean()),
                  "charts/pass_rate": float(np.mean([r or 0.0 for r in rates])),
                  "charts/solved": float(np.mean([r == 1.0 for r in rates])),
                  "charts/no_code": float(np.mean([r is None for r in rates])),
                  "charts/programs": sum(r is not None for r in rates),
                  "charts/zero_variance_groups": int(sum(zero_variance)), "charts/groups": len(batch),
                  "charts/completion_tokens": sum(map(len, completions)), "charts/prompt_tokens": sum(map(len, seq_prompts)),
                  **stats, "time/generation_s": t1 - t0, "time/sandbox_s": t2 - t1}
        record["time/step_s"] = time.time() - t0
        if val_prompts and (step % args.eval_every == 0 or step == total):
            record["val/reward_mean"] = validate(policy, val_prompts, args)
        log(record)
        if step % args.save_every == 0 or step == total:
            save_checkpoint(args.output_dir, policy, optimizer, step, order)
            if args.plot:
                plots.training_curves(history, os.path.join(args.output_dir, "curves.png"))
        bar.set_postfix({"reward": f"{record['charts/reward_mean']:.3f}", "pass": f"{record['charts/pass_rate']:.2f}",
                         **({"val": f"{record['val/reward_mean']:.3f}"} if "val/reward_mean" in record else {})})
        bar.update(1)
    bar.close()
    metrics.close()
    save_final(args, policy)


if __name__ == "__main__":
    main()
