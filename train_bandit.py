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
           "charts/zero_variance_groups", "charts/groups", "charts/completion_tokens", "charts/prompt_tokens",
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
import copy
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
from tqdm import tqdm

import plots
from checkpoints import drop_gguf_marker, restore, save_checkpoint
from policy import load_policy
from problems import BadInputError, parse_test_cases, read_jsonl
from conversation import token_counter
from reward import program_pass_rates, reward, validation_reward
from speedups import amp, old_log_probs_source, recorded_log_probs, token_log_probs

# ================================================================ advantages and loss

def group_advantages(rewards: torch.Tensor) -> torch.Tensor:
    """[groups, G] rewards -> advantages (r - group mean) / (group std + 1e-6), std with Bessel's correction as in veRL.

    Example: rewards [[1, 0]] -> mean .5, std .7071 -> [[.7071, -.7071]]; all-equal groups give 0.
    """
    return (rewards - rewards.mean(dim=1, keepdim=True)) / (rewards.std(dim=1, keepdim=True) + 1e-6)


def policy_loss(log_probs, old_log_probs, ref_log_probs, advantages, mask, *, clip_low=0.2, clip_high=0.4,
                kl_coef=1e-4, kl_type="mse", num_tokens=None, clip_ratio_c=3.0):
    """The clipped-ratio policy-gradient loss with veRL's dual-clip and a KL term, token-mean aggregated.

    log_probs [B, T] (with grad), old_log_probs [B, T] (the sampling policy, before this step's
    updates), ref_log_probs [B, T] (the frozen starting model; None when kl_coef is 0),
    advantages [B], mask [B, T] (1 on completion tokens, the stop token included; 0 on padding).
    num_tokens: the divisor of the token mean. Micro-batches of one mini-batch must all pass the
    mini-batch's token count, so the accumulated gradient is the mean over all its tokens (a mean
    of micro-batch means would weight short completions more).
    Returns (loss, stats); the stats are normalised like the loss, so they add up over micro-batches.
    clip_ratio_c: dual-clip (arXiv 1912.09729) as veRL, which the authors trained with: the loss of
    a token with a negative advantage is at most -A * clip_ratio_c (default 3), so a token whose
    ratio ran far above 1 + clip_high (4.48, say) stops pushing (loss 3.0, no gradient, not 4.48).
    float("inf") turns it off.
    clipfrac: share of tokens where the clipped term is the larger one (no gradient), as veRL logs it;
    approx_kl: CleanRL's (ratio - 1) - log(ratio), how far the updates moved from the sampling policy.
    """
    num_tokens = mask.sum() if num_tokens is None else num_tokens
    # rho_{i,t} = pi_theta(y_{i,t} | x_i, y_{i,<t}) / pi_old(y_{i,t} | ...)                         [B, T]
    log_ratio = log_probs - old_log_probs
    ratio = torch.exp(log_ratio)
    adv = advantages.unsqueeze(1)  # A_i, the same for every token of completion i                  [B, 1]
    # L_pg = max(-A rho, -A clip(rho, 1 - eps_low, 1 + eps_high)): the pessimistic of the two     [B, T]
    pg_loss1 = -adv * ratio
    pg_loss2 = -adv * torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high)
    pg_loss = torch.max(pg_loss1, pg_loss2)
    pg_loss3 = -adv * clip_ratio_c  # dual-clip: for A < 0, min(max(pg_loss1, pg_loss2), -A * c)
    pg_loss = torch.where(adv < 0, torch.min(pg_loss, pg_loss3), pg_loss)
    # L_kl: how far pi_theta moved from the starting model pi_ref on the sampled tokens            [B, T]
    if kl_coef == 0.0:
        kl = torch.zeros_like(log_probs)
    elif kl_type == "mse":  # 0.5 * (logp - logp_ref)^2, the paper's choice
        kl = 0.5 * (log_probs - ref_log_probs) ** 2
    else:  # "k3": exp(ref - logp) - (ref - logp) - 1, an unbiased non-negative estimate of KL(policy || ref)
        delta = ref_log_probs - log_probs
        kl = torch.exp(delta) - delta - 1.0
    # L = sum_{i,t} m_{i,t} (L_pg + beta L_kl) / sum_{i,t} m_{i,t}: the token mean (METHOD.md)      scalar
    loss = ((pg_loss + kl_coef * kl) * mask).sum() / num_tokens

    def token_mean(x):
        return float((x.detach() * mask).sum() / num_tokens)
    stats = {"policy_loss": token_mean(pg_loss), "kl": token_mean(kl), "clipfrac": token_mean((pg_loss2 > pg_loss1).float()),
             "approx_kl": token_mean((ratio - 1.0) - log_ratio)}
    return loss, stats


def completion_log_probs(model, prompts: list[list[int]], completions: list[list[int]], pad_id: int,
                         temperature: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-probs [B, C] of each completion token given its prompt, and the mask [B, C].

    Rows are laid out as left-padded prompt + right-padded completion, so every completion starts
    at the same column and only the logits of the C positions that predict a completion token
    (P - 1 .. P + C - 2) are computed.
    """
    P, C = max(map(len, prompts)), max(map(len, completions))
    ids = torch.full((len(prompts), P + C), pad_id, dtype=torch.long)
    attention = torch.zeros_like(ids)
    for i, (p, c) in enumerate(zip(prompts, completions)):
        ids[i, P - len(p): P + len(c)] = torch.tensor(p + c)
        attention[i, P - len(p): P + len(c)] = 1
    ids, attention = ids.to(model.device), attention.to(model.device)
    positions = (attention.cumsum(1) - 1).clamp(min=0)
    predicting = torch.arange(P - 1, P + C - 1, device=model.device)
    logits = model(input_ids=ids, attention_mask=attention, position_ids=positions, logits_to_keep=predicting).logits
    return token_log_probs(logits, ids[:, P:], temperature), attention[:, P:].float()


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


def plan_micro_batches(groups: list[int], G: int, lengths: list[int], mini_batches: int, size: int) -> list[list[list[int]]]:
    """Split the kept groups into mini-batches (one optimizer step each) of micro-batches of
    sequence indices (one forward/backward each; similar lengths together, less padding)."""
    plan = []
    for mini in np.array_split(np.array(groups, dtype=int), mini_batches):
        seqs = sorted((g * G + j for g in mini for j in range(G)), key=lambda i: lengths[i])
        if seqs:
            plan.append([seqs[k:k + size] for k in range(0, len(seqs), size)])
    return plan


def update(policy, ref_model, optimizer, prompts, completions, sampled_log_probs, advantages, plan, args) -> dict:
    """Old and reference log-probs once, then one optimizer step per mini-batch; returns mean stats.

    Old log-probs are those of the sampling policy, before this step's updates. The first
    mini-batch runs before any update, so its old log-probs are its live ones (detached). The
    later mini-batches take the log-probs recorded while sampling (--old-log-probs sampled) or
    recompute them with a forward pass up front (recomputed, as veRL does). In float32 the two
    agree to 3e-5 on SmolLM2; under bfloat16 autocast only to 0.03 on average (kernels of other
    shapes round differently), so "auto" recomputes there."""
    model, pad = policy.model, policy.tokenizer.pad_token_id
    old, ref = {}, {}
    t0 = time.time()
    with torch.inference_mode(), amp(policy.device, args.precision):
        for index, mini in enumerate(plan):
            for micro in mini:
                key = tuple(micro)
                p, c = [prompts[i] for i in micro], [completions[i] for i in micro]
                if index == 0:
                    old[key] = None
                elif args.old_log_probs == "sampled":
                    old[key] = recorded_log_probs([sampled_log_probs[i] for i in micro], policy.device)
                else:
                    old[key] = completion_log_probs(model, p, c, pad, args.temperature)[0]
                ref[key] = completion_log_probs(ref_model, p, c, pad, args.temperature)[0] if ref_model else None
    t1 = time.time()
    model.train()
    totals = {"policy_loss": 0.0, "kl": 0.0, "clipfrac": 0.0, "approx_kl": 0.0, "grad_norm": 0.0}
    for mini in plan:
        num_tokens = sum(len(completions[i]) for micro in mini for i in micro)
        optimizer.zero_grad(set_to_none=True)
        for micro in mini:
            with amp(policy.device, args.precision):
                log_probs, mask = completion_log_probs(model, [prompts[i] for i in micro],
                                                       [completions[i] for i in micro], pad, args.temperature)
            old_log_probs = log_probs.detach() if old[tuple(micro)] is None else old[tuple(micro)]
            loss, stats = policy_loss(log_probs, old_log_probs, ref[tuple(micro)], advantages[micro].to(mask.device),
                                      mask, clip_low=args.clip_low, clip_high=args.clip_high, kl_coef=args.kl_coef,
                                      kl_type=args.kl_type, num_tokens=num_tokens, clip_ratio_c=args.clip_ratio_c)
            loss.backward()
            for k, v in stats.items():
                totals[k] += v / len(plan)
        grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm))
        totals["grad_norm"] += grad_norm / len(plan)
        if math.isfinite(grad_norm):  # as veRL: a non-finite gradient skips the step
            optimizer.step()
    model.eval()
    return {**{f"losses/{k}": v for k, v in totals.items()}, "time/logprob_s": t1 - t0, "time/backward_s": time.time() - t1}


def validate(policy, records: list[dict], args) -> float:
    """Mean 0/1 reward of one sample per held-out prompt (the authors' validation sampling).

    It draws from a forked RNG, so validating or not never changes the training run."""
    with torch.random.fork_rng(devices=[policy.device] if policy.device.type == "cuda" else []), \
            amp(policy.device, args.precision):
        completions = policy.generate_tokens([r["ids"] for r in records], temperature=args.val_temperature,
                                             top_p=args.val_top_p, max_new_tokens=args.max_response_tokens,
                                             micro_batch=args.gen_micro_batch)
    replies = [policy.tokenizer.decode(c, skip_special_tokens=True) for c in completions]
    rates = program_pass_rates(replies, [r["test_cases"] for r in records], thinking=args.thinking, timeout=args.test_timeout)
    return float(np.mean([validation_reward(r) for r in rates]))


# ================================================================ main

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Stage 3 of Cobalt: contextual-bandit GRPO on partial-trajectory prompts.")
    p.add_argument("--prompts", required=True, help="training prompts, JSONL from split.py")
    p.add_argument("--val-prompts", default=None, help="held-out prompts (split.py --validation) for the 0/1 validation reward")
    p.add_argument("--output-dir", required=True, help="output folder: metrics.jsonl, checkpoint/, final/, curves.png")
    p.add_argument("--model", default=None, help="starting model: folder, .gguf or cached hub name (default: embedded SmolLM2)")
    p.add_argument("--resume", action="store_true", help="continue exactly from OUTPUT_DIR/checkpoint")
    p.add_argument("--group-size", type=int, default=16, help="G, completions sampled per prompt")
    p.add_argument("--prompts-per-step", type=int, default=128, help="prompts per step (the paper: 128)")
    p.add_argument("--mini-batches", type=int, default=2, help="optimizer steps per step, each on a share of the groups")
    p.add_argument("--micro-batch", type=int, default=4, help="sequences per forward/backward (gradient accumulation)")
    p.add_argument("--epochs", type=int, default=2, help="passes over the prompts")
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: all epochs)")
    p.add_argument("--lr", type=float, default=1e-6, help="AdamW learning rate (constant)")
    p.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay")
    p.add_argument("--max-grad-norm", type=float, default=1.0, help="gradient-norm clip")
    p.add_argument("--clip-low", type=float, default=0.2, help="ratio clipped below at 1 - CLIP_LOW")
    p.add_argument("--clip-high", type=float, default=0.4, help="ratio clipped above at 1 + CLIP_HIGH")
    p.add_argument("--clip-ratio-c", type=float, default=3.0,
                   help="dual-clip: a negative-advantage token's loss is at most -A * C (veRL's clip_ratio_c; inf: off)")
    p.add_argument("--kl-coef", type=float, default=1e-4, help="weight of the KL term (0: no reference model is kept)")
    p.add_argument("--kl-type", choices=["mse", "k3"], default="mse", help="mse: 0.5*(logp-logp_ref)^2; k3: exp(d)-d-1")
    p.add_argument("--temperature", type=float, default=1.0, help="sampling temperature of the groups")
    p.add_argument("--old-log-probs", choices=["auto", "sampled", "recomputed"], default="auto",
                   help="the sampling policy's log-probs for the ratio: recorded while sampling, or recomputed "
                        "by a forward pass before the updates (veRL's way; one more no-grad pass); "
                        "auto: sampled in float32, recomputed under bfloat16 autocast")
    p.add_argument("--max-prompt-tokens", type=int, default=10240, help="longer prompts are dropped")
    p.add_argument("--max-response-tokens", type=int, default=6144, help="new tokens per completion")
    p.add_argument("--gen-micro-batch", type=int, default=16, help="sequences generated at once")
    p.add_argument("--skip-zero-variance", action="store_true", help="leave groups whose rewards are all equal out of the update")
    p.add_argument("--thinking", action="store_true", help="thinking model: code after </think> and the format term")
    p.add_argument("--test-timeout", type=float, default=4.0, help="seconds per test in the sandbox")
    p.add_argument("--eval-every", type=int, default=10, help="validate every N steps (and before training)")
    p.add_argument("--save-every", type=int, default=10, help="checkpoint every N steps (and at the end)")
    p.add_argument("--val-temperature", type=float, default=0.6, help="sampling temperature of validation")
    p.add_argument("--val-top-p", type=float, default=0.95, help="top-p of validation")
    p.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in backward (less memory)")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="bf16: bfloat16 autocast for sampling, log-probs and backward (float32 weights and optimizer); "
                        "auto: bf16 where bfloat16 is native (GPU, CPU with AVX512-BF16 or AMX), else fp32")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    p.add_argument("--seed", type=int, default=0, help="seed of sampling and data order")
    p.add_argument("--plot", action="store_true", help="draw OUTPUT_DIR/curves.png at every checkpoint")
    args = p.parse_args(argv)
    if args.group_size < 2:
        p.error("--group-size must be at least 2 (advantages are relative to the group)")
    if not args.clip_ratio_c > 1.0:
        p.error("--clip-ratio-c must be greater than 1 (veRL's bound; inf turns dual-clip off)")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    metrics_path, checkpoint = os.path.join(args.output_dir, "metrics.jsonl"), os.path.join(args.output_dir, "checkpoint")
    if args.resume and not os.path.exists(checkpoint):
        raise SystemExit(f"train_bandit.py: --resume but {checkpoint} does not exist")
    if not args.resume and os.path.exists(metrics_path):
        raise SystemExit(f"train_bandit.py: {args.output_dir} already holds a run; pass --resume or choose another --output-dir")
    os.makedirs(args.output_dir, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    policy = load_policy(checkpoint if args.resume else args.model, dtype="float32", device=args.device)
    drop_gguf_marker(policy.model)
    ref_model = None
    if args.kl_coef > 0:  # the frozen starting model, never the checkpoint
        ref_model = load_policy(args.model, dtype="float32", device=args.device).model if args.resume else copy.deepcopy(policy.model)
        ref_model.requires_grad_(False).eval()
    if args.gradient_checkpointing:
        policy.model.gradient_checkpointing_enable()
    try:
        prompts, too_long = read_prompts(args.prompts, policy, args.max_prompt_tokens)
        val_prompts = read_prompts(args.val_prompts, policy, args.max_prompt_tokens)[0] if args.val_prompts else []
    except (BadInputError, OSError) as e:
        print(f"train_bandit.py: {e}", file=sys.stderr)
        raise SystemExit(2)
    if not prompts:
        raise SystemExit(f"train_bandit.py: no prompt of {args.prompts} fits in {args.max_prompt_tokens} tokens")
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    args.old_log_probs = old_log_probs_source(args.old_log_probs, policy.device, args.precision)
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
                                   timeout=args.test_timeout)
        rewards = torch.tensor([reward(text, rate, r["prev_best_pass_rate"], thinking=args.thinking, count_tokens=count_tokens)
                                for text, rate, r in zip(replies, rates, records)]).view(len(batch), G)
        t2 = time.time()
        # 3. group advantages; groups whose rewards are all equal carry no gradient
        advantages = group_advantages(rewards).flatten()
        zero_variance = (rewards.max(dim=1).values == rewards.min(dim=1).values).tolist()
        groups = [g for g in range(len(batch)) if not (args.skip_zero_variance and zero_variance[g])]
        lengths = [len(p) + len(c) for p, c in zip(seq_prompts, completions)]
        plan = plan_micro_batches(groups, G, lengths, args.mini_batches, args.micro_batch)
        # 4. the clipped policy-gradient updates
        stats = update(policy, ref_model, optimizer, seq_prompts, completions, sampled_log_probs, advantages,
                       plan, args) if plan else {}
        record = {"step": step, "epoch": epoch, "charts/reward_mean": float(rewards.mean()),
                  "charts/pass_rate": float(np.mean([r or 0.0 for r in rates])),
                  "charts/solved": float(np.mean([r == 1.0 for r in rates])),
                  "charts/no_code": float(np.mean([r is None for r in rates])),
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
    final = os.path.join(args.output_dir, "final")
    policy.model.save_pretrained(final)
    policy.tokenizer.save_pretrained(final)
    print(f"final model -> {final}")


if __name__ == "__main__":
    main()
