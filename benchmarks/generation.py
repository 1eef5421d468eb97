"""Benchmark: generation speed on the one-command run's workload, today's path against the new one.

On the embedded SmolLM2-135M-Instruct, 192 new tokens a reply (the one-command run's workload before
pipeline.py was resized to 160 tokens and 16 held-out problems; kept, so that the ratios compare):
  0. the one-command run's real workload, each turn one generate call as rollout makes it for a
     chunk, the way it ran before (policy.HFPolicy.generate_lockstep: `model.generate` on
     micro-batches of 16 rows, every prompt prefilled in full) and the new default (micro-batches
     of rollout.MICRO_BATCH rows, the prompts' shared prefix and repeated prompts prefilled once
     by batching.prefill_shared and their own tokens in groups of similar length
     (batching.prefill_rests), at turn 1 the KV of each turn-0 prompt and reply kept from turn 0,
     so that only the feedback message is prefilled (policy.HFPolicy.reusing_kv), and on a CPU in
     float32 every large linear layer multiplying by a copy of its weight laid out for the batch
     (speedups.packed_linears)):
       - a collect turn: turn 0 of the first 6 bundled-train problems x 4 samples, temperature 0.6,
         top-p 0.95 (the draws may differ between the two ways, so tokens/s is the measure);
       - an evaluation: turn 0 of the first 25 bundled-test problems, 1 sample each, decoded
         greedily, then turn 1 (each conversation with the path's own turn-0 reply and the
         sandbox's feedback); the two ways should give the very same tokens (counted and printed).
     Printed: tokens/s of each, their ratio, and the share of the rows computed in the forward
     passes that were padding or sequences that had already stopped.
  1. tokens/s of replies generated one at a time (batch 1) and of `--batch` replies generated
     in one batch (left padding, KV cache), alternating for `--rounds` rounds so that a change
     in the machine's load hits both; printed as a ratio (goal >= 4x). Only real tokens count
     (never padding), so sequences that stop early cost the batch.
  2. a small collection (`--problems` problems x `--n-samples` trajectories, turn 0 plus one
     feedback turn) through rollout.rollout with the real sandbox: the share of the wall time
     that generation sat waiting for sandbox results (goal < 10%), beside the time the sandbox
     was busy in total (what a loop without overlap would wait). A small model with a short
     token budget rarely closes a code block, so every reply gets the problem's reference
     program (data/problem_defs.py) appended: every program then runs all its tests.
  3. where bfloat16 is native (speedups.bfloat16_is_native: a GPU, a CPU with AVX512-BF16 or AMX),
     batch tokens/s of the model loaded in bfloat16 (the default there) against float32,
     alternating for `--rounds` rounds.
Ratios are within one run, so a busy machine affects numerator and denominator alike; the CPU
and whether bfloat16 is native are printed first.

Run:  python benchmarks/generation.py                   (about 10 minutes on 2 idle cores)
      python benchmarks/generation.py --workload-only   (part 0 alone, about 9 minutes)
"""
import argparse
import contextlib
import os
import platform
import subprocess
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "data")]
import rollout  # noqa: E402
import conversation  # noqa: E402
from policy import load_policy  # noqa: E402
import sandbox  # noqa: E402
from problem_defs import PROBLEMS  # noqa: E402
from problems import load_problems  # noqa: E402
from speedups import bfloat16_is_native  # noqa: E402


class WithReferenceProgram:
    """The embedded model's replies, each followed by its problem's reference program."""

    def __init__(self, policy, problems):
        solutions = {f"bundled/{d['id']}": d["solution"] for d in PROBLEMS}
        self.policy, self.programs = policy, {p["question"].strip(): solutions[p["id"]] for p in problems}

    @property
    def generated_tokens(self):
        return self.policy.generated_tokens

    def generate(self, conversations, **sampling):
        replies = self.policy.generate(conversations, **sampling)
        questions = [c[1]["content"].split("Problem:\n", 1)[1] for c in conversations]
        return [f"{r}\n```python\n{self.programs[q]}```" for r, q in zip(replies, questions)]


def timed_generation(policy, prompts, *, micro_batch, max_new_tokens):
    """(seconds, tokens generated)"""
    start = time.perf_counter()
    completions = policy.generate_tokens(prompts, temperature=0.6, top_p=0.95, max_new_tokens=max_new_tokens,
                                         micro_batch=micro_batch)
    return time.perf_counter() - start, sum(len(c) for c in completions)


def cpu_name() -> str:
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


# plain prefill, plain weights, 16 rows (the former defaults); the new defaults, and the KV kept between turns
PATHS = {"today": dict(shared_prefill=False, packed_linears=False, micro_batch=16),
         "new": dict(shared_prefill=True, packed_linears=True, micro_batch=rollout.MICRO_BATCH)}


def workload_run(policy, prompts, *, shared_prefill, packed_linears, micro_batch, **sampling):
    """(seconds, completions, wasted share) of generating `prompts` in one lockstep call, as rollout
    does for a chunk's turn, with or without batching.prefill_shared and speedups.packed_linears
    (and, in a policy.reusing_kv block, the KV its earlier call kept)."""
    defaults = policy.shared_prefill, policy.packed_linears
    policy.shared_prefill, policy.packed_linears = shared_prefill, packed_linears
    policy.row_counts.computed, policy.row_counts.kept = 0, 0
    start = time.perf_counter()
    completions = policy.generate_tokens(prompts, micro_batch=micro_batch, **sampling)
    seconds = time.perf_counter() - start
    policy.shared_prefill, policy.packed_linears = defaults
    return seconds, completions, policy.row_counts.wasted_share


def turn_one_prompts(policy, problems, replies):
    """The evaluation's turn-1 prompts: each conversation with its turn-0 reply and the sandbox's feedback."""
    chunk = rollout.Chunk(problems, n_samples=1, turns=1, thinking=False)
    chunk.add_results(sandbox.run_tests_batch(chunk.add_replies(replies)))
    return [policy.encode(c) for c in chunk.conversations()]


def evaluation_turns(policy, problems, path, max_new_tokens):
    """[(seconds, completions, wasted share)] of turns 0 and 1 of a greedy evaluation, as rollout runs
    them (one generate call a turn); the new path keeps turn 0's KV for turn 1 (policy.reusing_kv)."""
    options = dict(max_new_tokens=max_new_tokens, temperature=0.0, **PATHS[path])
    with policy.reusing_kv() if path == "new" else contextlib.nullcontext():
        turn0 = workload_run(policy, [policy.encode(conversation.build_prompt(p)) for p in problems], **options)
        replies = [policy.tokenizer.decode(c, skip_special_tokens=True) for c in turn0[1]]
        turn1 = workload_run(policy, turn_one_prompts(policy, problems, replies), **options)
    return [turn0, turn1]


def report_line(name, runs, greedy):
    rates = {path: sum(map(len, completions)) / seconds for path, (seconds, completions, _) in runs.items()}
    print(f"{name}: today {rates['today']:.1f} tok/s ({runs['today'][0]:.0f} s, {runs['today'][2]:.0%} of rows "
          f"padding or stopped), new {rates['new']:.1f} tok/s ({runs['new'][0]:.0f} s, {runs['new'][2]:.0%}); "
          f"ratio {rates['new'] / rates['today']:.2f}x (goal >= 2x)", flush=True)
    if greedy:
        same = sum(a == b for a, b in zip(runs["today"][1], runs["new"][1]))
        print(f"  greedy outputs identical: {same} of {len(runs['today'][1])}", flush=True)


def workload(policy, max_new_tokens):
    """Part 0: the one-command run's collect turn and evaluation (turns 0 and 1), today's path and the new one."""
    train, test = load_problems("bundled-train", limit=6), load_problems("bundled-test", limit=25)
    prompts = [policy.encode(conversation.build_prompt(p)) for p in train for _ in range(4)]
    runs = {}
    for path, options in PATHS.items():
        torch.manual_seed(0)
        runs[path] = workload_run(policy, prompts, max_new_tokens=max_new_tokens, temperature=0.6, top_p=0.95, **options)
    report_line("collect turn 0 (6 problems x 4 samples, T 0.6, top-p 0.95)", runs, greedy=False)
    evaluation = {path: evaluation_turns(policy, test, path, max_new_tokens) for path in PATHS}
    for turn, name in enumerate(["evaluation turn 0 (25 problems x 1 sample, greedy)",
                                 "evaluation turn 1 (each path's turn-0 reply and its sandbox feedback, greedy)"]):
        report_line(name, {path: evaluation[path][turn] for path in PATHS}, greedy=True)
    rate = {path: sum(len(c) for _, completions, _ in turns for c in completions) / sum(s for s, _, _ in turns)
            for path, turns in evaluation.items()}
    print(f"evaluation, both turns: today {rate['today']:.1f} tok/s, new {rate['new']:.1f} tok/s; "
          f"ratio {rate['new'] / rate['today']:.2f}x (goal >= 2x)")


def alternating_rates(rounds, runs):
    """{name: (tokens/s, tokens)} of each run in `runs` ({name: function(round) -> (seconds, tokens)}),
    the runs alternating for `rounds` rounds so that a change in the machine's load hits all alike."""
    totals = {name: [0.0, 0] for name in runs}
    for r in range(rounds):
        for name, run in runs.items():
            seconds, tokens = run(r)
            totals[name][0] += seconds
            totals[name][1] += tokens
    return {name: (tokens / seconds, tokens) for name, (seconds, tokens) in totals.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-new-tokens", type=int, default=64, help="tokens per reply")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (one reply alone, one batch)")
    parser.add_argument("--batch", type=int, default=16, help="replies generated in one batch")
    parser.add_argument("--problems", type=int, default=2, help="problems in the collection run")
    parser.add_argument("--n-samples", type=int, default=8, help="trajectories per problem in the collection run")
    parser.add_argument("--workload-tokens", type=int, default=192, help="tokens per reply in part 0")
    parser.add_argument("--workload-only", action="store_true", help="run part 0 alone")
    args = parser.parse_args()

    torch.manual_seed(0)
    start = time.perf_counter()
    policy = load_policy()
    print(f"{cpu_name()}, {torch.backends.cpu.get_cpu_capability()} kernels, bfloat16 "
          f"{'native' if bfloat16_is_native('cpu') else 'not native (emulated, so float32)'}")
    print(f"embedded model loaded in {time.perf_counter() - start:.0f} s ({policy.model.dtype}, "
          f"{policy.model.config._attn_implementation} attention); {torch.get_num_threads()} torch threads")
    workload(policy, args.workload_tokens)
    if args.workload_only:
        return
    problems = load_problems("bundled-train", limit=max(args.problems, args.batch))
    prompts = [policy.encode(conversation.build_prompt(p)) for p in problems[:args.batch]]

    def batch_of(model):
        return lambda r: timed_generation(model, prompts, micro_batch=args.batch, max_new_tokens=args.max_new_tokens)

    rates = alternating_rates(args.rounds, {
        "alone": lambda r: timed_generation(policy, prompts[r % len(prompts):][:1], micro_batch=1,
                                            max_new_tokens=args.max_new_tokens),
        "batched": batch_of(policy)})
    (one, one_tokens), (many, many_tokens) = rates["alone"], rates["batched"]
    print(f"one at a time: {one:.1f} tok/s ({one_tokens} tokens); batch {args.batch}: {many:.1f} tok/s "
          f"({many_tokens} tokens); ratio {many / one:.1f}x (goal >= 4x)")

    busy = [0.0]

    def timed_run_tests_batch(jobs, **options):
        begin = time.perf_counter()
        results = sandbox.run_tests_batch(jobs, **options)
        busy[0] += time.perf_counter() - begin
        return results

    policy_with_programs = WithReferenceProgram(policy, problems)
    stats = rollout.RolloutStats()
    start = time.perf_counter()
    for _ in rollout.rollout(policy_with_programs, problems[:args.problems], n_samples=args.n_samples, turns=1,
                             max_new_tokens=args.max_new_tokens, chunk_problems=max(1, args.problems // 2),
                             run_batch=timed_run_tests_batch, stats=stats):
        pass
    wall = time.perf_counter() - start
    print(f"collection: {stats.programs} programs, {stats.tokens} tokens in {wall:.0f} s; "
          f"sandbox busy {busy[0]:.1f} s "
          f"({busy[0] / wall:.1%} of the wall time); generation waited on it {stats.sandbox_wait_s:.1f} s "
          f"({stats.sandbox_wait_s / wall:.1%}, goal < 10%)")

    if policy.model.dtype == torch.bfloat16:
        rates = alternating_rates(args.rounds, {"bfloat16": batch_of(policy),
                                                "float32": batch_of(load_policy(dtype="float32"))})
        bf16, fp32 = rates["bfloat16"][0], rates["float32"][0]
        print(f"batch {args.batch}: bfloat16 {bf16:.1f} tok/s, float32 {fp32:.1f} tok/s; ratio {bf16 / fp32:.2f}x")


if __name__ == "__main__":
    main()
