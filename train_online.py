"""Multi-turn online RL, the baseline Cobalt is compared with: GRPO over whole episodes.

Every step takes `--prompts-per-step` problems and rolls out G episodes of each with the
current policy, the sandbox in the loop, as collect.py rolls out: turn 0 answers the problem;
each program runs on the problem's tests, and while its public tests fail and fewer than
`--turns` feedback turns have passed, the first failing public test comes back as the next
user message (conversation.py's feedback text) and the model writes a new program. The episode
ends when a program passes all public tests (the model is told nothing more it could act on)
or after turn T. Each episode gets one reward, from its last program:

    --reward sparse   the paper's reward (reward.py) of the last program's pass rate on all tests
                      (public + hidden), with no previous best: 1.0 if it passes every test, 0.2 at
                      half or more, 0.0 above none, -0.1 at none, -1 without a code block. All
                      tests, as Cobalt's training reward, so the two arms are rewarded alike; the
                      last program, because that is what the episode delivers.
    --reward dense    our reading of VeRPO's dense reward (arXiv 2601.03525), `dense_rewards`: each
                      test's weight is how many of the group's last programs fail it, so harder
                      tests weigh more; the dense term is the weighted share of tests passed, added
                      to the all-tests outcome.

Advantages are normalised within the G episodes of a problem (grpo.group_advantages) and applied
to every token of every assistant turn of the episode; the user and feedback tokens are not
trained on. The loss is Cobalt's: the same clip, dual-clip, KL to the starting model and token
mean over the mini-batch (grpo.policy_loss). An episode enters the update as one sequence, the
turn-0 prompt then every reply and feedback, masked to the reply tokens the policy sampled
(`training_sequences`).

Reads:  --problems, our problem records (a file, or a set name; problems.py).
Writes: OUTPUT_DIR/metrics.jsonl, one record per step, appended as the step ends:
          {"step", "epoch", "charts/reward_mean", "charts/solved" (share of episodes whose last program
           passes all tests), "charts/turns_mean" (programs per episode), "charts/no_code",
           "charts/zero_variance_groups", "charts/groups", "charts/completion_tokens" (tokens generated),
           "charts/programs" (programs run in the sandbox), "losses/...", "time/generation_s",
           "time/sandbox_s", "time/logprob_s", "time/backward_s", "time/step_s"}
        OUTPUT_DIR/checkpoint/ every --save-every steps (--resume continues exactly) and OUTPUT_DIR/final/,
        as train_bandit.py writes them.

    python train_online.py --problems bundled-train --output-dir runs/online --turns 2 \
        --prompts-per-step 8 --group-size 8 --max-response-tokens 512 --lr 1e-5
"""
import argparse
import json
import os
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

import sandbox
from checkpoints import restore, save_checkpoint
from conversation import build_prompt, feedback_message, history_text, pass_rate, reply_code, token_counter
from grpo import (add_update_arguments, parse_update_arguments, group_advantages, plan_micro_batches, save_final,
                  start_run, update)
from problems import BadInputError, load_problems, parse_test_cases
from reward import reward
from speedups import amp

DENSE_WEIGHT = 0.5  # lambda: weight of the dense term beside the 0/1 outcome


@dataclass
class Episode:
    """One multi-turn episode: the conversation so far and, per turn, what the update needs."""
    problem: dict
    public_tests: int                                             # public_count(problem)
    messages: list[dict]
    contexts: list[list[int]] = field(default_factory=list)       # [turn] prompt token ids it was sampled from
    replies: list[list[int]] = field(default_factory=list)        # [turn] generated token ids (stop token kept)
    log_probs: list[list[float]] = field(default_factory=list)    # [turn] their sampled log-probs
    texts: list[str] = field(default_factory=list)                # [turn] reply text
    passing: list[bool] | None = None                             # the last program on all tests (None: no code)
    done: bool = False


# ================================================================ the episodes


def public_count(problem: dict) -> int:
    """How many of test_cases' first tests are the public tests (all of them; 0 if they are not a prefix)."""
    public, every = parse_test_cases(problem["public_test_cases"]), parse_test_cases(problem["test_cases"])
    n = len(public["inputs"])
    same = all(public[k] == every[k][:n] for k in ("inputs", "outputs"))
    return n if same else 0


def roll_out(policy, problems: list[dict], args, counts: dict) -> list[Episode]:
    """G episodes per problem, turn by turn in lockstep: generate, run the programs, give feedback.

    `counts` gathers "tokens" (generated), "programs" (run in the sandbox), "generation_s" and
    "sandbox_s". --hide-feedback, the control: every feedback message is the same sentence and no
    episode stops early (an early stop would tell that the program passed). A program that comes
    back for the same tests within the rollout (episodes of a group often repeat one, at any
    turn) runs once, as reward.program_pass_rates runs a group's repeats once."""
    episodes = [Episode(p, n, build_prompt(p)) for p in problems for n in [public_count(p)] for _ in range(args.group_size)]
    results = {}  # (code, test_cases) -> the sandbox's result, for the whole rollout
    sampled = args.old_log_probs == "sampled"
    feedback = hidden_feedback_message if args.hide_feedback else feedback_message
    for turn in range(args.turns + 1):
        t0 = time.time()
        active = [e for e in episodes if not e.done]
        if not active:
            break
        # 1. every unfinished episode's model writes its next program
        contexts = [policy.encode(e.messages) for e in active]
        with amp(policy.device, args.precision):
            generated = policy.generate_tokens(contexts, temperature=args.temperature, max_new_tokens=args.max_response_tokens,
                                               micro_batch=args.gen_micro_batch, log_probs=sampled)
        tokens, log_probs = generated if sampled else (generated, [None] * len(active))
        counts["tokens"] += sum(map(len, tokens))
        t1 = time.time()
        for e, context, reply, lp in zip(active, contexts, tokens, log_probs):
            text = policy.tokenizer.decode(reply, skip_special_tokens=True)
            e.contexts.append(context), e.replies.append(reply), e.log_probs.append(lp), e.texts.append(text)
            e.messages.append({"role": "assistant", "content": history_text(text, args.thinking)})
        # 2. the programs run on all tests; the public tests are the first of them (else a second run)
        codes = [reply_code(e.texts[-1], args.thinking) for e in active]
        jobs = list(dict.fromkeys(job for e, code in zip(active, codes) if code is not None
                                  for job in [(code, e.problem["test_cases"])]
                                  + ([] if e.public_tests else [(code, e.problem["public_test_cases"])])
                                  if job not in results))
        counts["programs"] += sum(code is not None for code in codes)
        results.update(zip(jobs, sandbox.run_tests_batch(jobs, timeout=args.test_timeout, workers=args.workers)))
        counts["generation_s"], counts["sandbox_s"] = counts["generation_s"] + t1 - t0, counts["sandbox_s"] + time.time() - t1
        # 3. the feedback on the public tests starts the next turn, unless they all passed or this was turn T
        for e, code in zip(active, codes):
            if code is None:
                e.passing, public = None, None
            else:
                every = results[code, e.problem["test_cases"]]
                n = e.public_tests
                public = ({k: every[k][:n] for k in ("passing", "feedback")} if n
                          else results[code, e.problem["public_test_cases"]])
                e.passing = every["passing"]
            passed_public = public is not None and all(public["passing"]) and not args.hide_feedback
            if passed_public or turn == args.turns:
                e.done = True
            else:
                e.messages.append({"role": "user", "content": feedback(public)})
    return episodes


def training_sequences(e: Episode) -> list[tuple[list[int], list[int], list[int], list[float] | None]]:
    """What the update trains on for one episode: (prompt, completion, mask, sampled log-probs).

    Usually one sequence: the turn-0 prompt, then every reply and the feedback between them, with
    the mask 1 on the reply tokens (the tokens the policy sampled) and 0 on the feedback. That holds
    when each turn's context starts with the previous context and the reply's own tokens; where
    re-rendering the conversation tokenised a reply differently, each turn becomes its own
    (context, reply) pair, so every token is still scored in the context it was sampled in."""
    sequence = list(e.contexts[0])
    for t in range(1, len(e.contexts)):
        sequence += e.replies[t - 1]
        if e.contexts[t][:len(sequence)] != sequence:
            return [(c, r, [1] * len(r), lp) for c, r, lp in zip(e.contexts, e.replies, e.log_probs)]
        sequence = list(e.contexts[t])
    completion, mask, log_probs = [], [], []
    for t, (context, reply, lp) in enumerate(zip(e.contexts, e.replies, e.log_probs)):
        gap = context[len(e.contexts[0]) + len(completion):]  # the feedback turn before reply t (none at turn 0)
        completion += gap + reply
        mask += [0] * len(gap) + [1] * len(reply)
        log_probs += [0.0] * len(gap) + (lp or [])
    return [(e.contexts[0], completion, mask, log_probs if e.log_probs[0] is not None else None)]


# ================================================================ one reward per episode


def sparse_rewards(episodes: list[Episode], count_tokens, thinking: bool) -> list[float]:
    """The paper's reward of each episode's last program, on all tests, with no previous best."""
    return [reward(e.texts[-1], None if e.passing is None else pass_rate(e.passing), 0.0, thinking=thinking,
                   count_tokens=count_tokens) for e in episodes]


def dense_rewards(episodes: list[Episode]) -> list[float]:
    """Our reading of VeRPO's dense reward for one group of episodes (one problem), last programs only.

    With P[i, j] = 1 when episode i's last program passes test j (all tests, public and hidden):
        rho_j = mean_i P[i, j]                  how often the group passes test j
        w_j   = 1 - rho_j                       harder tests weigh more; a test all pass weighs 0
        d_i   = sum_j w_j P[i, j] / sum_j w_j   the weighted share of tests passed (0 when sum w = 0)
        r_i   = 1[all tests pass] + 0.5 d_i     the outcome, plus the dense term (lambda = 0.5)
        r_i   = -1                              no code block, as in the paper's reward
    Example: 2 tests, programs passing {1, 2}, {1}, {}, {}: rho = (.5, .25), w = (.5, .75);
    d = (1, .4, 0, 0); r = (1.5, .2, 0, 0)."""
    n_tests = len(parse_test_cases(episodes[0].problem["test_cases"])["inputs"])
    P = np.array([e.passing if e.passing is not None else [False] * n_tests for e in episodes], dtype=float)
    w = 1.0 - P.mean(axis=0)
    dense = P @ w / w.sum() if w.sum() > 0 else np.zeros(len(episodes))
    return [-1.0 if e.passing is None else float(P[i].all()) + DENSE_WEIGHT * float(dense[i])
            for i, e in enumerate(episodes)]


# ================================================================ main


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Multi-turn online GRPO: whole episodes with the sandbox in the loop.")
    p.add_argument("--problems", required=True, help="problem file or set name (problems.py)")
    p.add_argument("--output-dir", required=True, help="output folder: metrics.jsonl, checkpoint/, final/")
    p.add_argument("--turns", type=int, default=2, help="T: feedback turns after turn 0, so at most T+1 programs an episode")
    p.add_argument("--reward", choices=["sparse", "dense"], default="sparse",
                   help="sparse: the paper's reward of the last program; dense: our reading of VeRPO's (dense_rewards)")
    add_update_arguments(p)  # the model, the groups, the loss, the optimizer (grpo.py)
    p.add_argument("--hide-feedback", action="store_true",
                   help="a control: every feedback message says only that the program was run, and every episode "
                        "runs all T+1 turns (nothing to act on)")
    return parse_update_arguments(p, argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    try:
        problems = load_problems(args.problems)
    except (BadInputError, OSError) as e:
        print(f"train_online.py: {e}", file=sys.stderr)
        raise SystemExit(2)
    if not problems:
        raise SystemExit(f"train_online.py: {args.problems} holds no problem")
    policy, ref_model, optimizer = start_run(args, "train_online.py")  # the policy, the frozen starting model, AdamW

    B, G = min(args.prompts_per_step, len(problems)), args.group_size
    steps_per_epoch = len(problems) // B
    total = args.epochs * steps_per_epoch if args.max_steps <= 0 else min(args.max_steps, args.epochs * steps_per_epoch)
    order = [random.Random(args.seed + e).sample(range(len(problems)), len(problems)) for e in range(args.epochs)]
    start = 0
    if args.resume:
        start, order, _ = restore(args.output_dir, optimizer)
    print(f"{len(problems)} problems; {total} steps of {B} problems x {G} episodes of up to {args.turns + 1} turns; "
          f"reward {args.reward}; old log-probs {args.old_log_probs}")
    count_tokens = token_counter(policy.tokenizer)
    with open(os.path.join(args.output_dir, "metrics.jsonl"), "a", encoding="utf-8") as metrics:
        for step in tqdm(range(start + 1, total + 1), initial=start, total=total, desc="train", unit="step"):
            t0 = time.time()
            epoch, k = divmod(step - 1, steps_per_epoch)
            batch = [problems[i] for i in order[epoch][k * B:(k + 1) * B]]
            # 1. G episodes per problem, rolled out by the current policy with the sandbox in the loop
            counts = {"tokens": 0, "programs": 0, "generation_s": 0.0, "sandbox_s": 0.0}
            episodes = roll_out(policy, batch, args, counts)
            # 2. one reward per episode
            groups_of_episodes = [episodes[g * G:(g + 1) * G] for g in range(len(batch))]
            if args.reward == "dense":
                rewards = torch.tensor([r for group in groups_of_episodes for r in dense_rewards(group)])
            else:
                rewards = torch.tensor(sparse_rewards(episodes, count_tokens, args.thinking))
            rewards = rewards.view(len(batch), G)
            # 3. group advantages over the G episodes of a problem, given to every assistant turn of an episode
            episode_advantages = group_advantages(rewards).flatten()
            prompts, completions, masks, sampled_log_probs, advantages, groups = [], [], [], [], [], []
            for g, group in enumerate(groups_of_episodes):
                groups.append([])
                for j, e in enumerate(group):
                    for prompt, completion, mask, lp in training_sequences(e):
                        groups[-1].append(len(prompts))
                        prompts.append(prompt), completions.append(completion), masks.append(mask)
                        sampled_log_probs.append(lp), advantages.append(episode_advantages[g * G + j])
            lengths = [len(p) + len(c) for p, c in zip(prompts, completions)]
            plan = plan_micro_batches(groups, lengths, args.mini_batches, args.micro_batch)
            # 4. the clipped policy-gradient updates, Cobalt's loss, on the assistant tokens only
            stats = update(policy, ref_model, optimizer, prompts, completions, sampled_log_probs,
                           torch.stack(advantages), plan, args, masks=masks)
            zero_variance = (rewards.max(dim=1).values == rewards.min(dim=1).values).tolist()
            record = {"step": step, "epoch": epoch, "charts/reward_mean": float(rewards.mean()),
                      "charts/solved": float(np.mean([e.passing is not None and all(e.passing) for e in episodes])),
                      "charts/turns_mean": float(np.mean([len(e.replies) for e in episodes])),
                      "charts/no_code": float(np.mean([e.passing is None for e in episodes])),
                      "charts/zero_variance_groups": int(sum(zero_variance)), "charts/groups": len(batch),
                      "charts/completion_tokens": counts["tokens"], "charts/programs": counts["programs"],
                      **stats, "time/generation_s": counts["generation_s"], "time/sandbox_s": counts["sandbox_s"]}
            record["time/step_s"] = time.time() - t0
            metrics.write(json.dumps(record) + "\n")
            metrics.flush()
            if step % args.save_every == 0 or step == total:
                save_checkpoint(args.output_dir, policy, optimizer, step, order)
    save_final(args, policy)


HIDDEN_FEEDBACK = "Your program was run on the public tests."


def hidden_feedback_message(public_result: dict | None) -> str:
    """--hide-feedback: the same message whatever happened, so no turn can act on the one before."""
    return HIDDEN_FEEDBACK


if __name__ == "__main__":
    main()
