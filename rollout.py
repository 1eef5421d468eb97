"""The multi-turn loop that collect.py (stage 1) and evaluate.py (stage 4) both run.

For every problem, n trajectories: turn 0 samples a program from the problem prompt; every later
turn runs each trajectory's newest program on the public tests, shows the first failing test (or
"all public tests passed") as a new user message, and samples one complete fixed program per
trajectory, from turn 0 to turn T, with no early stop. Every program is also run on all tests
(public + hidden). The records it yields are collect.py's trajectory records (collect.py's
docstring gives the schema).

Read `plain_turns` for the method: generate -> run the programs -> scores and feedback -> next
turn. What runs by default is `rollout` with speedups.overlapped_turns (one chunk generates while
another's programs run); the records are the same
(tests/test_speedups.py::test_overlapped_turns_give_the_records_of_the_plain_loop).
"""
import argparse
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass
from typing import Iterator

from tqdm import tqdm

import sandbox
from conversation import build_prompt, feedback_message, history_text, pass_rate, reply_code
from problems import BadInputError, load_problems, parse_test_cases
from speedups import overlapped_turns

# ---------------------------------------------------------------------------------------------
# The rollout engine: n trajectories per problem, advanced turn by turn in lockstep.

@dataclass
class RolloutStats:
    """Running totals of a rollout (the benchmark reads them)."""
    problems: int = 0
    programs: int = 0
    tokens: int = 0
    generate_s: float = 0.0
    sandbox_wait_s: float = 0.0  # time generation sat idle waiting for sandbox results


class Chunk:
    """The trajectories of a few problems, advanced in lockstep: all of them generate a turn
    together (`conversations`, then `add_replies`), then all their programs go to the sandbox
    together (`add_results`), from turn 0 to turn T."""

    def __init__(self, problems: list[dict], *, n_samples: int, turns: int, thinking: bool):
        self.turns, self.thinking, self.turn, self.records, self.tests = turns, thinking, 0, [], []
        for problem in problems:
            self.records.append({**problem, "conversations": [build_prompt(problem) for _ in range(n_samples)],
                                 "raw_responses": [], "public_pass_rates": [],
                                 **{key: [[] for _ in range(n_samples)]
                                    for key in ("all_pass_rates", "hidden_pass_rates", "exec_results")}})
            public, every = parse_test_cases(problem["public_test_cases"]), parse_test_cases(problem["test_cases"])
            # One sandbox run serves both purposes when the public tests are the first tests of
            # test_cases; in perturbed sets they are not (two expected outputs are wrong).
            prefix = {key: value[:len(public["inputs"])] if isinstance(value, list) else value
                      for key, value in every.items()}
            self.tests.append((public, every, public == prefix))
        self.job_indices = []  # [problem][sample] -> (public job, all-tests job), or None without code

    @property
    def done(self) -> bool:
        return self.turn > self.turns

    def conversations(self) -> list[list[dict]]:
        return [conversation for record in self.records for conversation in record["conversations"]]

    def add_replies(self, replies: list[str]) -> list[tuple[str, dict]]:
        """Record this turn's replies (one per trajectory, in `conversations()` order); return the sandbox jobs."""
        jobs, self.job_indices, replies = [], [], iter(replies)
        for record, (public, every, shared) in zip(self.records, self.tests):
            record["raw_responses"].append([next(replies) for _ in record["conversations"]])
            self.job_indices.append([])
            for conversation, reply in zip(record["conversations"], record["raw_responses"][-1]):
                conversation.append({"role": "assistant", "content": history_text(reply, self.thinking)})
                code = reply_code(reply, self.thinking)
                if code is None:
                    self.job_indices[-1].append(None)
                    continue
                every_job = public_job = len(jobs)
                jobs.append((code, every))
                if not shared:  # the public tests need a run of their own
                    public_job = len(jobs)
                    jobs.append((code, public))
                self.job_indices[-1].append((public_job, every_job))
        return jobs

    def add_results(self, results: list[dict]) -> None:
        """Record the sandbox results of this turn's programs and append the feedback messages."""
        for record, (public, every, shared), job_indices in zip(self.records, self.tests, self.job_indices):
            n_public, public_rates = len(public["inputs"]), []
            for s, jobs in enumerate(job_indices):
                if jobs is None:
                    public_result, all_passing = None, [False] * len(every["inputs"])
                    public_passing = [False] * n_public
                else:
                    public_result, all_passing = results[jobs[0]], results[jobs[1]]["passing"]
                    if shared:
                        public_result = {key: public_result[key][:n_public] for key in ("passing", "feedback")}
                    public_passing = public_result["passing"]
                # test_cases lists the public tests first; with no hidden tests, "hidden" means all tests.
                hidden_passing = all_passing[n_public:] or all_passing
                public_rates.append(pass_rate(public_passing))
                record["all_pass_rates"][s].append(pass_rate(all_passing))
                record["hidden_pass_rates"][s].append(pass_rate(hidden_passing))
                record["exec_results"][s].append({"has_code": jobs is not None, "public_passing": list(public_passing),
                                                  "all_passing": list(all_passing)})
                record["conversations"][s].append({"role": "user", "content": feedback_message(public_result)})
            record["public_pass_rates"].append(public_rates)
        self.turn += 1


CHUNK_TRAJECTORIES = 64  # a chunk's trajectories by default: 4 problems x 16 samples, or 64 problems x 1
# Rows in a forward pass at most. A decoding step on a CPU costs mostly a fixed read of the weights
# (embedded SmolLM2, 2 AVX2 cores: 200 ms at 8 rows, 310 ms at 16, 424 ms at 32), so wider is faster.
MICRO_BATCH = 32


def rollout(policy, problems: list[dict], *, n_samples: int = 16, turns: int = 2, temperature: float = 0.6,
            top_p: float = 0.95, max_new_tokens: int = 512, micro_batch: int = MICRO_BATCH, thinking: bool = False,
            chunk_problems: int | None = None, run_batch=None, sandbox_options: dict | None = None,
            stats: RolloutStats | None = None, progress: bool = False, overlap: bool = True) -> Iterator[dict]:
    """Yield one trajectory record per problem (collect.py's docstring gives the schema).

    `policy` needs `.generate(conversations, temperature=, top_p=, max_new_tokens=, micro_batch=)`
    returning one reply per conversation. `run_batch(jobs, **sandbox_options)` runs
    (code, test_cases) jobs and returns run_tests results in order (default: sandbox.run_tests_batch).
    Problems go in chunks of `chunk_problems` (default: enough for CHUNK_TRAJECTORIES trajectories),
    whose trajectories advance turn by turn together: all of a chunk's replies of a turn come from one
    generate call (with HFPolicy.continuous, a reply that ends early frees its place: batching.py).
    overlap=False is the plain loop below; overlap=True (the default) gives the same records, but
    generates one chunk's next turn while another chunk's programs run (speedups.overlapped_turns).
    """
    run_batch = run_batch or sandbox.run_tests_batch
    stats = stats if stats is not None else RolloutStats()
    sampling = dict(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens, micro_batch=micro_batch)
    token_bar = tqdm(desc="generating", unit="tok", disable=not progress, leave=False, dynamic_ncols=True)

    def generate(chunk: Chunk) -> list[str]:
        """One reply per trajectory of the chunk, timed and counted."""
        token_bar.set_postfix_str(f"turn {chunk.turn}/{turns}")
        tokens_before, start = getattr(policy, "generated_tokens", 0), time.perf_counter()
        replies = policy.generate(chunk.conversations(), **sampling)
        stats.generate_s += time.perf_counter() - start
        new_tokens = getattr(policy, "generated_tokens", 0) - tokens_before
        stats.tokens, stats.programs = stats.tokens + new_tokens, stats.programs + len(replies)
        token_bar.update(new_tokens)
        return replies

    def run(jobs: list[tuple[str, dict]]) -> list[dict]:
        return run_batch(jobs, **(sandbox_options or {})) if jobs else []

    chunk_problems = chunk_problems or max(1, CHUNK_TRAJECTORIES // n_samples)
    chunks = (Chunk(problems[i:i + chunk_problems], n_samples=n_samples, turns=turns, thinking=thinking)
              for i in range(0, len(problems), chunk_problems))
    if overlap:
        finished = overlapped_turns(chunks, generate, run, stats)
    else:
        finished = plain_turns(chunks, generate, run)
    # The weights are fixed for the whole rollout, so each reply's KV can serve the next turn (policy.py)
    with policy.reusing_kv() if hasattr(policy, "reusing_kv") else contextlib.nullcontext():
        for chunk in finished:
            for record in chunk.records:
                stats.problems += 1
                yield record
    token_bar.close()


def plain_turns(chunks, generate, run) -> Iterator[Chunk]:
    """The multi-turn loop, one chunk of problems at a time, from turn 0 to turn T."""
    for chunk in chunks:
        while not chunk.done:
            replies = generate(chunk)            # 1. every trajectory's model writes its next program
            jobs = chunk.add_replies(replies)    # 2. the programs go to the sandbox: public tests and all tests
            chunk.add_results(run(jobs))         # 3. scores, and the feedback message that starts the next turn
        yield chunk


# ---------------------------------------------------------------------------------------------
# Output: JSON Lines appended record by record; a rerun resumes.

def finished_problem_ids(path: str, *, n_samples: int, turns: int) -> set[str]:
    """Ids of the problems already in `path`. A torn last line (a run killed mid-write) is cut
    away so the file can be appended to; it is redone. Records of another shape are an error."""
    if not os.path.exists(path):
        return set()
    ids, good_end = set(), 0
    with open(path, "rb+") as f:
        for number, line in enumerate(f, 1):
            if not line.endswith(b"\n"):
                print(f"{path}, line {number}: incomplete last line (a killed write), cut away; that problem is redone")
                f.truncate(good_end)
                break
            good_end += len(line)
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                raise BadInputError(f"{path}, line {number}: not valid JSON ({e.msg})") from None
            responses = record.get("raw_responses") or [[]]
            if "id" not in record:
                raise BadInputError(f"{path}, line {number}, field 'id': missing")
            if (len(responses), len(responses[0])) != (turns + 1, n_samples):
                raise BadInputError(f"{path}, line {number}, field 'raw_responses': {len(responses)} turns x "
                                    f"{len(responses[0])} samples, this run makes {turns + 1} x {n_samples}; "
                                    f"choose another --output")
            ids.add(record["id"])
    return ids


def write_trajectories(policy, problems: list[dict], output: str, *, n_samples: int, turns: int,
                       progress: bool = False, stats: RolloutStats | None = None, **options) -> RolloutStats:
    """Roll out every problem not yet in `output` and append its record as soon as it is done
    (`options`: those of `rollout`)."""
    done = finished_problem_ids(output, n_samples=n_samples, turns=turns)
    todo = [p for p in problems if p["id"] not in done]
    if done:
        print(f"{output}: {len(done)} problems already done, {len(todo)} to go")
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    stats = stats if stats is not None else RolloutStats()
    with open(output, "a", encoding="utf-8") as f, tqdm(total=len(todo), desc="problems", unit="problem",
                                                        disable=not progress) as bar:
        for record in rollout(policy, todo, n_samples=n_samples, turns=turns, progress=progress, stats=stats,
                              **options):
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            bar.update(1)
    return stats


# ---------------------------------------------------------------------------------------------
# Command line: the flags collect.py and evaluate.py share.

def add_rollout_arguments(parser: argparse.ArgumentParser, *, turns: int, problems: str) -> None:
    """The flags of the model, the problems, the sampling, the multi-turn loop and the sandbox."""
    add = parser.add_argument
    add("--model", metavar="MODEL", help="model folder, .gguf file or cached hub name (default: the embedded "
                                         "SmolLM2-135M-Instruct)")
    add("--problems", metavar="SOURCE", default=problems, help=f"problem file or set name (default: {problems})")
    add("--limit", metavar="N", type=int, help="use only the first N problems")
    add("--perturbed", action="store_true", help="feedback from the perturbed public tests (two expected outputs "
                                                 "swapped); scores still use the true tests")
    add("--n-samples", metavar="N", type=int, default=16, help="trajectories per problem (paper: 16)")
    add("--turns", metavar="T", type=int, default=turns, help=f"feedback turns after turn 0, so T+1 programs per "
                                                              f"trajectory (default: {turns})")
    add("--temperature", metavar="X", type=float, default=0.6, help="sampling temperature (paper: 0.6)")
    add("--top-p", metavar="X", type=float, default=0.95, help="nucleus sampling mass (paper: 0.95)")
    add("--max-new-tokens", metavar="N", type=int, default=512, help="tokens per reply (paper: 6144; 512 keeps "
                                                                     "a CPU run short)")
    add("--micro-batch", metavar="N", type=int, default=MICRO_BATCH, help="sequences per model.generate call (fit it to "
                                                                 "memory)")
    add("--chunk-problems", metavar="N", type=int, help=f"problems generated together (default: enough for "
                                                        f"{CHUNK_TRAJECTORIES} trajectories); two chunks alternate, "
                                                        f"one generating while the other's programs run")
    add("--thinking", action="store_true", help="thinking model: keep only the text after </think> in the "
                                                "history, cut to 6000 characters")
    add("--timeout", metavar="SECONDS", type=float, default=4.0, help="time limit per test (paper: 4)")
    add("--match", choices=["exact", "tolerant"], default="exact", help="output comparison: exact (stripped text "
                                                                        "equal, the paper's) or tolerant (floats, "
                                                                        "spacing)")
    add("--workers", metavar="N", type=int, help="sandbox processes (default: one per core)")
    add("--dtype", metavar="DTYPE", help="model dtype (default: bfloat16 on a GPU or a CPU with native bfloat16, else float32)")
    add("--device", metavar="DEVICE", help="cuda, cpu, ... (default: cuda if available)")
    add("--seed", metavar="N", type=int, default=0, help="torch seed for sampling")
    add("--quiet", action="store_true", help="no progress bars")


def rollout_options(args) -> dict:
    return dict(n_samples=args.n_samples, turns=args.turns, temperature=args.temperature, top_p=args.top_p,
                max_new_tokens=args.max_new_tokens, micro_batch=args.micro_batch, thinking=args.thinking,
                chunk_problems=args.chunk_problems, progress=not args.quiet,
                sandbox_options=dict(timeout=args.timeout, compare=args.match, workers=args.workers))


def load_problem_set(args) -> list[dict]:
    """The problems named on the command line; a bad input file ends the program with its one-line error."""
    try:
        return load_problems(args.problems, perturbed=args.perturbed, limit=args.limit)
    except BadInputError as e:
        print(e, file=sys.stderr)
        raise SystemExit(2)


def totals_line(stats: RolloutStats, wall_s: float) -> str:
    return (f"{stats.problems} problems, {stats.programs} programs, {stats.tokens} tokens in {wall_s:.0f} s "
            f"({stats.tokens / max(stats.generate_s, 1e-9):.1f} tok/s while generating); "
            f"generation waited {stats.sandbox_wait_s:.1f} s on the sandbox "
            f"({stats.sandbox_wait_s / max(wall_s, 1e-9):.1%})")
