"""How well the log-probs recorded while sampling agree with a forward pass's, in float32 and bfloat16.

train_bandit.py's ratio needs the sampling policy's log-probs for the mini-batches after the
first. It can record them while sampling (speedups.SampledLogProbs) or recompute them with a
forward pass (--old-log-probs sampled / recomputed; auto picks sampled in float32 only). This
measures the difference that choice makes: turn-0 prompts of bundled training problems,
--samples completions each at temperature 1.0 from the model (float32 weights, as the trainer
keeps them), then completion_log_probs on the same tokens, once in float32 and once under
bfloat16 autocast. Prints, per precision, the mean and largest |sampled - recomputed| over
completion tokens, the share above 0.05, and the share whose ratio exp(difference) already
lies outside the clip range [1 - 0.2, 1 + 0.4] before any update.

    python experiments/old_log_probs.py [--model PATH] [--problems 4 --samples 4 --max-new-tokens 128]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from conversation import build_prompt  # noqa: E402
from policy import load_policy  # noqa: E402
from problems import load_problems  # noqa: E402
from speedups import amp, recorded_log_probs  # noqa: E402
from grpo import completion_log_probs  # noqa: E402


def agreement(policy, prompts, *, bf16: bool, max_new_tokens: int, seed: int) -> dict:
    torch.manual_seed(seed)
    with amp(policy.device, "bf16" if bf16 else "fp32"):
        completions, sampled = policy.generate_tokens(prompts, temperature=1.0, max_new_tokens=max_new_tokens,
                                                      micro_batch=len(prompts), log_probs=True)
        with torch.inference_mode():
            recomputed, mask = completion_log_probs(policy.model, prompts, completions, policy.tokenizer.pad_token_id)
    diff = (recorded_log_probs(sampled, policy.device) - recomputed)[mask.bool()]
    ratio = diff.exp()
    return {"tokens": diff.numel(), "mean": float(diff.abs().mean()), "max": float(diff.abs().max()),
            "over_0.05": float((diff.abs() > 0.05).float().mean()),
            "outside_clip": float(((ratio < 0.8) | (ratio > 1.4)).float().mean())}


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="model (default: the embedded SmolLM2-135M-Instruct)")
    p.add_argument("--problems", type=int, default=4, help="bundled training problems")
    p.add_argument("--samples", type=int, default=4, help="completions per problem")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    policy = load_policy(args.model, dtype="float32", device=args.device)
    problems = load_problems("bundled-train", limit=args.problems)
    prompts = [policy.encode(build_prompt(problem)) for problem in problems for _ in range(args.samples)]
    print(f"{len(prompts)} completions of up to {args.max_new_tokens} tokens, {policy.device}")
    print(f"{'precision':>10}{'tokens':>8}{'mean |d|':>10}{'max |d|':>10}{'|d| > 0.05':>12}{'ratio outside clip':>20}")
    for name, bf16 in (("float32", False), ("bfloat16", True)):
        r = agreement(policy, prompts, bf16=bf16, max_new_tokens=args.max_new_tokens, seed=args.seed)
        print(f"{name:>10}{r['tokens']:>8}{r['mean']:>10.2e}{r['max']:>10.2e}{r['over_0.05']:>12.1%}{r['outside_clip']:>20.2%}")


if __name__ == "__main__":
    main()
