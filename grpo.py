"""The GRPO update both trainers share: group advantages, the clipped policy loss with its KL term,
log-probs of completion tokens, and the mini-batch update.

    group_advantages(rewards)            [groups, G] rewards -> (r - group mean) / (group std + 1e-6)
    policy_loss(log_probs, old, ref, A, mask, ...)   the clipped surrogate + KL, token-mean aggregated
    completion_log_probs(model, prompts, completions, pad_id, T)   log pi(token | prompt, earlier tokens)
    plan_micro_batches(groups, lengths, mini_batches, size)        which sequences go into which step
    sampling_log_probs(...), reference_log_probs(...)   the log-probs the loss holds fixed, before any update
    optimizer_steps(...)                 one AdamW step per mini-batch, micro-batches accumulated
    update(...)                          the last three in order, timed
    add_update_arguments(parser), parse_update_arguments(parser, argv), start_run(args, script), save_final(args, policy)
                                         the flags, the start and the end both trainers share

train_bandit.py (Cobalt: one completion per partial-trajectory prompt) and train_online.py
(multi-turn online GRPO: every assistant turn of an episode) feed it (prompt, completion) pairs
with one advantage each; what differs between them is where the pairs and advantages come from.
METHOD.md gives the equations beside these functions.
"""
import argparse
import copy
import math
import os
import random
import time

import numpy as np
import torch

from checkpoints import drop_gguf_marker
from policy import load_policy
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
    # log pi(y_t | x, y_<t) = log_softmax(logits_t / T)[y_t], that is
    #     (logits.float() / temperature).log_softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    # (speedups.plain_token_log_probs); token_log_probs gives the same values and gradients without a
    # float32 copy of the [B, C, vocabulary] logits (tests/test_speedups.py).
    return token_log_probs(logits, ids[:, P:], temperature), attention[:, P:].float()


# ================================================================ the mini-batch update


def plan_micro_batches(groups: list[list[int]], lengths: list[int], mini_batches: int, size: int) -> list[list[list[int]]]:
    """Split the groups (each a list of sequence indices) into mini-batches (one optimizer step
    each) of micro-batches of sequence indices (one forward/backward each; similar lengths
    together, less padding). A group never straddles two mini-batches."""
    plan = []
    for mini in np.array_split(np.arange(len(groups)), mini_batches):
        seqs = sorted((i for g in mini for i in groups[g]), key=lambda i: lengths[i])
        if seqs:
            plan.append([seqs[k:k + size] for k in range(0, len(seqs), size)])
    return plan


def sampling_log_probs(policy, plan, prompts, completions, sampled_log_probs, source: str, *, temperature: float,
                       precision: str) -> dict[tuple, torch.Tensor | None]:
    """The sampling policy's log-probs (pi_old of the ratio) of every micro-batch, fixed before any update.

    The first mini-batch runs before any update, so pi_old is the live model there: its entry is
    None and optimizer_steps takes the live log-probs, detached (the same numbers, no extra pass).
    The later mini-batches run after one or more updates, so they need pi_old's own numbers: the
    log-probs recorded while sampling (source "sampled") or a forward pass now, before the first
    update (source "recomputed", as veRL does). In float32 the two agree to 3e-5 on SmolLM2; under
    bfloat16 autocast only to 0.03 on average (kernels of other shapes round differently), so
    --old-log-probs auto recomputes there."""
    old = {}
    with torch.inference_mode(), amp(policy.device, precision):
        for index, mini in enumerate(plan):
            for micro in mini:
                if index == 0:
                    old[tuple(micro)] = None
                elif source == "sampled":
                    old[tuple(micro)] = recorded_log_probs([sampled_log_probs[i] for i in micro], policy.device)
                else:
                    old[tuple(micro)] = completion_log_probs(policy.model, [prompts[i] for i in micro],
                                                             [completions[i] for i in micro],
                                                             policy.tokenizer.pad_token_id, temperature)[0]
    return old


def reference_log_probs(ref_model, pad_id: int, plan, prompts, completions, *, temperature: float,
                        precision: str) -> dict[tuple, torch.Tensor | None]:
    """The frozen starting model's log-probs (pi_ref of the KL term) of every micro-batch; all None
    without a reference model (--kl-coef 0)."""
    ref = {}
    with torch.inference_mode(), amp(ref_model.device if ref_model else torch.device("cpu"), precision):
        for mini in plan:
            for micro in mini:
                ref[tuple(micro)] = completion_log_probs(ref_model, [prompts[i] for i in micro],
                                                         [completions[i] for i in micro], pad_id,
                                                         temperature)[0] if ref_model else None
    return ref


def trained_mask(masks: list[list[int]] | None, micro: list[int], like: torch.Tensor) -> torch.Tensor:
    """[B, C] 1 on the completion tokens the loss trains on: all of them (masks None), or those
    marked 1 in `masks` (train_online.py: the assistant tokens of an episode, not the feedback)."""
    if masks is None:
        return like
    out = torch.zeros_like(like)
    for row, i in enumerate(micro):
        out[row, :len(masks[i])] = torch.tensor(masks[i], dtype=like.dtype)
    return out


def optimizer_steps(policy, optimizer, plan, prompts, completions, advantages, old, ref, args, masks=None) -> dict:
    """One AdamW step per mini-batch of `plan`: the loss of each micro-batch, divided by the
    mini-batch's count of trained tokens, is backpropagated and accumulated, the gradient norm
    clipped, then the step taken. Returns the stats averaged over the mini-batches.
    masks: per completion, 1 on the tokens to train on (None: every completion token)."""
    model, pad = policy.model, policy.tokenizer.pad_token_id
    model.train()
    totals = {"policy_loss": 0.0, "kl": 0.0, "clipfrac": 0.0, "approx_kl": 0.0, "grad_norm": 0.0}
    for mini in plan:
        num_tokens = sum(len(completions[i]) if masks is None else sum(masks[i]) for micro in mini for i in micro)
        optimizer.zero_grad(set_to_none=True)
        for micro in mini:
            with amp(policy.device, args.precision):
                log_probs, mask = completion_log_probs(model, [prompts[i] for i in micro],
                                                       [completions[i] for i in micro], pad, args.temperature)
            mask = trained_mask(masks, micro, mask)
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
    return {f"losses/{k}": v for k, v in totals.items()}


def update(policy, ref_model, optimizer, prompts, completions, sampled_log_probs, advantages, plan, args,
           masks=None) -> dict:
    """The log-probs the loss holds fixed (pi_old, pi_ref), then the optimizer steps; returns their stats and times.
    masks: per completion, 1 on the tokens to train on (None: all; see optimizer_steps).

    `args` needs: old_log_probs ("sampled" or "recomputed"), temperature, precision, clip_low,
    clip_high, clip_ratio_c, kl_coef, kl_type, max_grad_norm (train_bandit.parse_args's flags)."""
    t0 = time.time()
    old = sampling_log_probs(policy, plan, prompts, completions, sampled_log_probs, args.old_log_probs,
                             temperature=args.temperature, precision=args.precision)
    ref = reference_log_probs(ref_model, policy.tokenizer.pad_token_id, plan, prompts, completions,
                              temperature=args.temperature, precision=args.precision)
    t1 = time.time()
    stats = optimizer_steps(policy, optimizer, plan, prompts, completions, advantages, old, ref, args, masks)
    return {**stats, "time/logprob_s": t1 - t0, "time/backward_s": time.time() - t1}


# ================================================================ what both trainers' command lines and runs share


def add_update_arguments(p) -> None:
    """The flags of the model, the sampling of the groups, the loss and the optimizer (train_bandit.py
    and train_online.py take the same ones, with the paper's values as defaults)."""
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
    p.add_argument("--max-response-tokens", type=int, default=6144, help="new tokens per completion")
    p.add_argument("--gen-micro-batch", type=int, default=16, help="sequences generated at once")
    p.add_argument("--thinking", action="store_true", help="thinking model: code after </think> and the format term")
    p.add_argument("--test-timeout", type=float, default=4.0, help="seconds per test in the sandbox")
    p.add_argument("--workers", type=int, help="sandbox processes at once (default: one per core)")
    p.add_argument("--save-every", type=int, default=10, help="checkpoint every N steps (and at the end)")
    p.add_argument("--gradient-checkpointing", action="store_true", help="recompute activations in backward (less memory)")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto",
                   help="bf16: bfloat16 autocast for sampling, log-probs and backward (float32 weights and optimizer); "
                        "auto: bf16 where bfloat16 is native (GPU, CPU with AVX512-BF16 or AMX), else fp32")
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    p.add_argument("--seed", type=int, default=0, help="seed of sampling and data order")


def parse_update_arguments(p: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """p.parse_args(argv), with the bounds of the shared flags checked."""
    args = p.parse_args(argv)
    if args.group_size < 2:
        p.error("--group-size must be at least 2 (advantages are relative to the group)")
    if not args.clip_ratio_c > 1.0:
        p.error("--clip-ratio-c must be greater than 1 (veRL's bound; inf turns dual-clip off)")
    return args


def start_run(args, script: str):
    """Check OUTPUT_DIR (a new run, or --resume with a checkpoint), seed the RNGs, load the policy
    (the checkpoint's with --resume) in float32, the frozen reference model (the starting model,
    never the checkpoint; None with --kl-coef 0) and AdamW; settle --old-log-probs auto.
    Returns (policy, ref_model, optimizer)."""
    checkpoint = os.path.join(args.output_dir, "checkpoint")
    if args.resume and not os.path.exists(checkpoint):
        raise SystemExit(f"{script}: --resume but {checkpoint} does not exist")
    if not args.resume and os.path.exists(os.path.join(args.output_dir, "metrics.jsonl")):
        raise SystemExit(f"{script}: {args.output_dir} already holds a run; pass --resume or choose another --output-dir")
    os.makedirs(args.output_dir, exist_ok=True)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    policy = load_policy(checkpoint if args.resume else args.model, dtype="float32", device=args.device)
    drop_gguf_marker(policy.model)
    ref_model = None
    if args.kl_coef > 0:
        ref_model = load_policy(args.model, dtype="float32", device=args.device).model if args.resume else copy.deepcopy(policy.model)
        ref_model.requires_grad_(False).eval()
    if args.gradient_checkpointing:
        policy.model.gradient_checkpointing_enable()
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    args.old_log_probs = old_log_probs_source(args.old_log_probs, policy.device, args.precision)
    return policy, ref_model, optimizer


def save_final(args, policy) -> None:
    """OUTPUT_DIR/final: the trained model and tokenizer, loadable by policy.load_policy, evaluate.py and transformers."""
    final = os.path.join(args.output_dir, "final")
    policy.model.save_pretrained(final)
    policy.tokenizer.save_pretrained(final)
    print(f"final model -> {final}")
