"""Stage 1 of Cobalt: collect multi-turn trajectories with a reference model.

A model solves each problem over several turns. Turn 0 samples `--n-samples` programs from
the problem prompt; every later turn runs each trajectory's newest program on the public
tests, shows the first failing test (or "all public tests passed") as a new user message,
and samples one complete fixed program per trajectory. There is no early stop. Every
program is also run on all tests (public + hidden), so split.py needs nothing else.
The turn loop is rollout.py's (evaluate.py runs the same loop on held-out problems), the chat
prompts and the feedback text are conversation.py's, the model is policy.py's.

Reads:  problems (`--problems`: a file, or "bundled-train", "bundled-test", "humaneval"; see problems.py)
Writes: `--output`, JSON Lines, one trajectory record per problem, appended and flushed as
        each problem finishes; a rerun skips finished problems (a torn last line is cut away).
    Every field of the problem record (id, question, public_test_cases, hidden_test_cases,
    test_cases, difficulty, source, ...), plus, for n samples and T feedback turns:
    "conversations":     [sample] -> messages: system, user (the problem), then per turn the
                         assistant reply and the user feedback on its program; the last message
                         is the feedback on the last program (with --thinking an assistant
                         message keeps only the answer after </think>, cut to 6000 characters)
    "raw_responses":     [turn][sample] -> the model's full reply (thinking included)
    "public_pass_rates": [turn][sample] -> fraction of public tests passed
    "all_pass_rates":    [sample][turn] -> fraction of all tests (public + hidden) passed
    "hidden_pass_rates": [sample][turn] -> fraction of hidden tests passed
    "exec_results":      [sample][turn] -> {"has_code": bool, "public_passing": [bool],
                                            "all_passing": [bool]}
    A reply without a code block fails every test. With --perturbed, public results are
    against the perturbed public tests; all tests and hidden tests are the true ones.

Which loop runs: rollout.rollout drives the chunks with speedups.overlapped_turns (one chunk
generates while another's programs run); read rollout.plain_turns for the method: the records are
the same (tests/test_speedups.py::test_overlapped_turns_give_the_records_of_the_plain_loop).

Run:
    python collect.py --problems bundled-train --output runs/default/trajectories.jsonl
  (defaults: embedded SmolLM2-135M-Instruct, 16 samples, T=2 feedback turns so 3 programs per
  trajectory, temperature 0.6, top-p 0.95, 512 new tokens a reply; the paper uses 6144)
"""
import argparse
import time

import torch

from policy import load_policy
from rollout import add_rollout_arguments, load_problem_set, rollout_options, totals_line, write_trajectories


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_rollout_arguments(parser, turns=2, problems="bundled-train")
    parser.add_argument("--output", default="runs/default/trajectories.jsonl", help="trajectory JSONL (appended)")
    args = parser.parse_args(argv)
    problems = load_problem_set(args)
    torch.manual_seed(args.seed)
    policy = load_policy(args.model, dtype=args.dtype, device=args.device)
    start = time.perf_counter()
    stats = write_trajectories(policy, problems, args.output, **rollout_options(args))
    print(f"collect: {totals_line(stats, time.perf_counter() - start)} -> {args.output}")


if __name__ == "__main__":
    main()
