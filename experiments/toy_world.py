"""A toy world in which Cobalt's claim can be seen: learning to use execution feedback.

Every toy problem reads one lowercase word and must print one of K = 3 operations of it:
upper-cased ("abc" -> "ABC"), reversed ("cba") or its length ("3"). The statement names none of
them, so at turn 0 no policy can beat 1/3 on held-out problems. The feedback that collect.py
writes after a failed program (the first failing public test: input, the program's output, the
expected output) tells which one the tests want: capitals, a number or small letters.

The reference model is a tiny Llama (4 layers, 128 wide) with a tokenizer built for this world:
collect.py's fixed texts, the three programs and the comment lines below are one token each,
everything else one character a token, so a three-turn conversation is ~60 tokens, not ~2,500.
A supervised warm-up on conversations built as collect.py builds them (feedback from real
sandbox runs) teaches it to answer every feedback with a program whose first line is a comment
reading the feedback correctly ("# The expected output is in capitals.", or "# All public tests
passed with the program that reverses the word.") and then one of the three programs drawn
uniformly, whatever the comment says. It reads the feedback and does not act on it, so its
Pass@1 is about 1/3 at every turn; acting on it is what training has to teach.

Then the four real stages run unchanged, with the toy problems as `--problems` files and the
warmed-up model as `--model`, for five arms from the same start (`--arms` picks some):
    base          the warmed-up model itself
    turn0         train_bandit.py on split.py --max-turn 0 prompts (the paper's single-turn GRPO baseline)
    cobalt        train_bandit.py on split.py's partial trajectories (the prompts for turns 0, 1, 2)
    online-grpo   train_online.py: multi-turn online GRPO, episodes of up to 3 turns rolled out by the
                  policy being trained, the paper's reward of the last program
    online-verpo  train_online.py --reward dense: the same with our reading of VeRPO's dense reward
with the same steps, prompts per step, group size, learning rate, KL and seed. Turn-0 training cannot learn this
world: at turn 0 nothing says which program is right, so its reward is noise with respect to the
context. Cobalt also trains on the turn-1 and turn-2 contexts in which the reference model's
earlier program failed (or passed), where the feedback says which program is right.

Writes into --out (default runs/toy); a rerun continues where it stopped (stages with a
done-marker are skipped; the world is built once and shared by all seeds, which vary
collection, training and evaluation sampling):
    world/train.jsonl, world/test.jsonl      toy problems (our problem records), disjoint ids and words
    world/model/                             the warmed-up reference model (tokenizer: collect.py's
                                             fixed texts are single tokens, everything else characters)
    seedS/trajectories.jsonl                 collect.py, the reference model on the training problems
    seedS/prompts-{cobalt,turn0}.jsonl       split.py
    seedS/train-{cobalt,turn0}/              train_bandit.py
    seedS/train-online-{grpo,verpo}/         train_online.py
    seedS/eval/ARM.jsonl                     evaluate.py on the held-out problems (+ .summary.json)
    logs/                                    each stage's output
    summary.json                             [{"arm", "seed", "turn", "pass_at_1"}], held-out problems
    cost.json                                [{"arm", "seed", "generated_tokens", "sandbox_programs",
                                             "train_wall_s"}] per trained arm and seed, training only
                                             (the sum of the steps' time/step_s); cobalt and turn0 also
                                             "collection_generated_tokens", "collection_sandbox_programs"
                                             and "collection_wall_s" (collect.py and split.py, once)
    pass_at_1.png                            Pass@1 against turn, one line per arm, error bars over seeds

    python experiments/toy_world.py [--seeds 0 1 2] [--out runs/toy] [--arms base turn0 cobalt online-grpo online-verpo]
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import conversation  # noqa: E402
import sandbox  # noqa: E402
from pipeline import mark_stage_done, stage_command, stage_done  # noqa: E402
from problems import make_record, read_jsonl, read_trajectories, write_jsonl  # noqa: E402

# ---------------------------------------------------------------- the problems

OPERATIONS = {  # name -> the program that performs it
    "upper": "print(input().upper())",
    "reverse": "print(input()[::-1])",
    "length": "print(len(input()))",
}
STATEMENT = "Read one lowercase word from standard input and print the answer for it. (Task {number}.)"
PUBLIC_TESTS, HIDDEN_TESTS = 2, 4


DOES = {"upper": "upper-cases the word", "reverse": "reverses the word", "length": "prints its length"}


def analysis(feedback: str | None, previous: str | None) -> str:
    """The reference model's one-line analysis of the last feedback (collect.py asks for one before
    the code): what the expected output shown looks like, or, when the public tests passed, which
    program passed (`previous`). Nothing at turn 0 (feedback None)."""
    if feedback is None:
        return ""
    if "Expected Output:\n" not in feedback:
        return f"# All public tests passed with the program that {DOES[previous]}.\n"
    expected = feedback.split("Expected Output:\n", 1)[1].split("\n", 1)[0]
    return f"# The expected output is {looks(expected)}.\n"


KINDS = ("a number", "in capitals", "in small letters")  # what an output looks like, one per operation


def looks(output: str) -> str:
    """The kind of a toy output: "a number", "in capitals" or "in small letters" (one per operation)."""
    return "a number" if output.isdigit() else "in capitals" if output.isupper() else "in small letters"


def analyses() -> list[str]:
    """Every analysis line the reference model writes."""
    return ([f"# The expected output is {kind}.\n" for kind in KINDS]
            + [analysis("", op) for op in OPERATIONS])


def reply(operation: str, feedback: str | None = None, previous: str | None = None) -> str:
    """The reference model's whole reply, in collect.py's fenced format: a comment with its
    analysis of the last feedback on its `previous` program (none at turn 0), then the program."""
    return f"```python\n{analysis(feedback, previous)}{OPERATIONS[operation]}\n```"


def answer(operation: str, word: str) -> str:
    return {"upper": word.upper(), "reverse": word[::-1], "length": str(len(word))}[operation]


def random_words(rng: random.Random, n: int) -> list[str]:
    """n distinct lowercase words of 3-7 letters, none a palindrome (its reverse would pass for it)."""
    words = set()
    while len(words) < n:
        word = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 7)))
        if word != word[::-1]:
            words.add(word)
    return sorted(words)


def make_problems(n_train: int, n_test: int, seed: int = 0, operations: tuple[str, ...] = tuple(OPERATIONS),
                  pool: int = 0) -> tuple[list[dict], list[dict]]:
    """Training and held-out problems: disjoint ids and test words; each of `operations` (all K = 3
    by default, a subset for a smaller world) is used by an equal share of each set (so a policy
    that always picks one operation scores 1/K).
    pool > 0 (experiments/toy_hacking.py): every problem's test words are drawn instead from one
    pool of that many words, shared by both sets (the problems stay disjoint in id and statement)."""
    rng = random.Random(seed)
    tests_per_problem = PUBLIC_TESTS + HIDDEN_TESTS
    if pool:
        shared = random_words(rng, pool)
        words = [w for _ in range(n_train + n_test) for w in rng.sample(shared, tests_per_problem)]
    else:
        words = random_words(rng, (n_train + n_test) * tests_per_problem)
        rng.shuffle(words)
    numbers = rng.sample(range(100, 1000), n_train + n_test)  # every statement differs, harmlessly
    sets = []
    for name, n, first in (("train", n_train, 0), ("test", n_test, n_train)):
        wanted = [operations[i % len(operations)] for i in range(n)]
        rng.shuffle(wanted)
        problems = []
        for i, operation in enumerate(wanted):
            mine = words[(first + i) * tests_per_problem:(first + i + 1) * tests_per_problem]
            tests = {"inputs": [w + "\n" for w in mine], "outputs": [answer(operation, w) for w in mine]}
            public = {k: v[:PUBLIC_TESTS] for k, v in tests.items()}
            hidden = {k: v[PUBLIC_TESTS:] for k, v in tests.items()}
            problems.append(make_record(f"toy-{name}-{i:03d}", STATEMENT.format(number=numbers[first + i]), public, hidden,
                                        "toy", f"toy:{operation}"))
        sets.append(problems)
    return sets[0], sets[1]


# ---------------------------------------------------------------- the reference model

def fixed_texts() -> tuple[str, ...]:
    """The texts every toy conversation repeats: collect.py's prompts and feedback frame, the
    sandbox's feedback labels, the chat roles, the code fence, the statement, the analysis
    comments and the programs. The toy tokenizer makes each one token (as a tokenizer trained on
    this world's texts would merge them); inputs and outputs stay one character a token."""
    before, after = conversation.FEEDBACK_TEMPLATE.split("{feedback}")
    statement_head, statement_tail = STATEMENT.split("{number}")
    return (conversation.SYSTEM_PROMPT, conversation.STDIO_INSTRUCTION + "\n\nProblem:\n", before, after,
            conversation.ALL_PUBLIC_PASSED_FEEDBACK, conversation.NO_CODE_FEEDBACK, "Input:\n", "\nProgram's Output:\n",
            "\nExpected Output:\n", "Error:\n", statement_head, statement_tail, "```python\n", "\n```",
            "system\n", "user\n", "assistant\n", *analyses(), *OPERATIONS.values())


def public_feedback(problems: list[dict]) -> dict[tuple[str, str], str]:
    """(problem id, operation) -> the user message collect.py writes after that program, from a
    real sandbox run of the program on the problem's public tests."""
    jobs = [(OPERATIONS[op], p["public_test_cases"]) for p in problems for op in OPERATIONS]
    results = iter(sandbox.run_tests_batch(jobs))
    return {(p["id"], op): conversation.feedback_message(next(results)) for p in problems for op in OPERATIONS}


def warm_up_conversation(problem: dict, feedback: dict, rng: random.Random, turns: int, hacking=None,
                         operations: tuple[str, ...] = tuple(OPERATIONS)) -> list[dict]:
    """A conversation as collect.py builds it. Every reply analyses the last feedback correctly,
    but its program is drawn uniformly from `operations`, independently of everything before it:
    the reference model reads the feedback and does not act on it.

    hacking (experiments/toy_hacking.py): a function (problem, last feedback, previous operation,
    rng) -> None, or (reply, the feedback on its program) to write instead of the drawn program;
    its `reply` (same arguments as `reply` here) writes the other replies."""
    messages, last, previous = conversation.build_prompt(problem), None, None
    write = hacking.reply if hacking else reply
    for _ in range(turns + 1):
        operation = rng.choice(operations)
        hack = hacking(problem, last, previous, rng) if hacking else None
        if hack:  # its program keeps the previous operation for every other input
            messages += [{"role": "assistant", "content": hack[0]}]
            last = hack[1]
        else:
            messages += [{"role": "assistant", "content": write(operation, last, previous)}]
            last, previous = feedback[problem["id"], operation], operation
        messages += [{"role": "user", "content": last}]
    return messages[:-1]  # ends with the last reply


def supervised_example(policy, messages: list[dict]) -> tuple[list[int], list[int]]:
    """Token ids of a conversation ending with an assistant reply, and a 0/1 mask on the tokens
    of every assistant reply (its end-of-turn token included), built from the chat template."""
    end = policy.tokenizer.convert_tokens_to_ids("<|im_end|>")
    ids, mask = [], []
    for t in range(2, len(messages), 2):
        prompt = policy.encode(messages[:t])
        assert prompt[:len(ids)] == ids, "the chat template must render a conversation prefix as a token prefix"
        target = policy.tokenizer(messages[t]["content"], add_special_tokens=False)["input_ids"] + [end]
        mask += [0] * (len(prompt) - len(ids)) + [1] * len(target)
        ids = prompt + target
    return ids, mask


def warm_up(path: str, problems: list[dict], *, steps: int, batch: int = 32, lr: float = 3e-3, turns: int = 2,
            seed: int = 0, hacking=None, operations: tuple[str, ...] = tuple(OPERATIONS), log=print) -> None:
    """Supervised warm-up of the model at `path` on fresh random conversations every step
    (`hacking`, `operations`: see warm_up_conversation)."""
    from policy import load_policy

    policy = load_policy(path, dtype="float32", device="cpu")
    feedback = public_feedback(problems)
    rng = random.Random(seed)
    torch.manual_seed(seed)
    model, pad = policy.model, policy.tokenizer.pad_token_id
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    start = time.time()
    for step in range(1, steps + 1):
        examples = [supervised_example(policy, warm_up_conversation(rng.choice(problems), feedback, rng, turns, hacking,
                                                                    operations))
                    for _ in range(batch)]
        length = max(len(ids) for ids, _ in examples)
        ids = torch.tensor([ids + [pad] * (length - len(ids)) for ids, _ in examples])
        mask = torch.tensor([m + [0] * (length - len(m)) for _, m in examples], dtype=torch.float)
        attention = (torch.arange(length)[None, :] < torch.tensor([len(i) for i, _ in examples])[:, None]).long()
        logits = model(input_ids=ids, attention_mask=attention).logits[:, :-1]
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
        loss = (nll * mask[:, 1:]).sum() / mask[:, 1:].sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 25 == 0 or step == steps:
            log(f"warm-up step {step}/{steps}: loss {loss.item():.4f} ({time.time() - start:.0f} s)")
    model.save_pretrained(path)


# ---------------------------------------------------------------- the stages, for every arm and seed

ARMS = ("base", "turn0", "cobalt", "online-grpo", "online-verpo")
OFFLINE_ARMS = ("turn0", "cobalt")  # train_bandit.py on collected prompts
ONLINE_REWARD = {"online-grpo": "sparse", "online-verpo": "dense"}  # train_online.py --reward


# A stage's expected seconds in the default toy run, by the script it runs (RESULTS.md, "The toy
# world"): only for the order stages start in (Stages.priority), never for a result.
STAGE_COST = {"train_online.py": 300, "train_bandit.py": 150, "collect.py": 30, "evaluate.py": 25, "split.py": 8}


class Stages:
    """Stage commands with their dependencies, run as subprocesses, `jobs` at a time (each with one
    torch thread, and toy stages with one sandbox process: `--workers 1`); done-markers as pipeline.py's, so a stage done already is skipped and a rerun continues.

    Of the stages ready to start, the one with the longest chain of expected work still behind it
    starts first (`priority`): the long online trainings early, so that the run does not end with
    one of them running alone on a core while the other core idles."""

    def __init__(self, out: str, jobs: int):
        self.out, self.jobs, self.todo, self.order = out, jobs, {}, []
        os.makedirs(os.path.join(out, "done"), exist_ok=True)
        os.makedirs(os.path.join(out, "logs"), exist_ok=True)

    def add(self, name: str, argv, after: tuple[str, ...] = (), cost: float | None = None) -> None:
        """argv: a command line (script and flags) or a function returning one when the stage starts.
        cost: its expected seconds, for the start order (default: STAGE_COST of its script)."""
        if cost is None:
            cost = STAGE_COST[argv[0]]
        self.todo[name] = (argv, after, cost)
        self.order.append(name)

    def priority(self, name: str) -> float:
        """Expected seconds from this stage's start to the end of the last stage that waits on it."""
        after = [n for n in self.order if name in self.todo[n][1]]
        return self.todo[name][2] + max((self.priority(n) for n in after), default=0.0)

    def done(self, name: str) -> bool:
        return stage_done(self.out, name)

    def run(self) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
        pending = [n for n in self.order if not self.done(n)]
        skipped = len(self.order) - len(pending)
        if skipped:
            print(f"{skipped} of {len(self.order)} stages done already, skipped")
        running, finished, start = {}, skipped, time.time()
        priority = {n: self.priority(n) for n in pending}
        while pending or running:
            ready = sorted((n for n in pending if all(self.done(d) for d in self.todo[n][1])), key=lambda n: -priority[n])
            while ready and len(running) < self.jobs:
                name = ready.pop(0)
                pending.remove(name)
                argv = self.todo[name][0]
                argv = argv() if callable(argv) else argv
                log = open(os.path.join(self.out, "logs", name + ".log"), "w")
                log.write("$ python " + " ".join(argv) + "\n")
                log.flush()
                process = subprocess.Popen(stage_command(argv), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
                running[name] = (process, log, time.time())
                print(f"[{time.time() - start:5.0f} s] start  {name}", flush=True)
            if not running:
                raise SystemExit(f"toy_world: stages {pending} wait on stages that did not finish")
            time.sleep(0.2)
            for name, (process, log, began) in list(running.items()):
                if process.poll() is None:
                    continue
                log.close()
                del running[name]
                if process.returncode != 0:
                    for other, _, _ in running.values():
                        other.terminate()
                    raise SystemExit(f"toy_world: stage {name} failed (exit {process.returncode}), see "
                                     f"{log.name}; rerun to continue from here")
                mark_stage_done(self.out, name, time.time() - began)
                finished += 1
                print(f"[{time.time() - start:5.0f} s] done   {name} in {time.time() - began:.0f} s "
                      f"({finished}/{len(self.order)} stages)", flush=True)


def build_world(out: str, *, n_train: int, n_test: int, hidden: int, layers: int, warm_up_steps: int,
                hacking=None, threads: int = 1) -> str:
    """The problem files and the warmed-up reference model, built once per --out; returns the world folder.
    threads: torch threads of the warm-up (it runs before any stage, so it may use every core).
    hacking (experiments/toy_hacking.py): an object with `problems(n_train, n_test)` (the problem sets),
    `phrases(problems)` (more single tokens), `warm_up_problems(train)` (the problems of the warm-up)
    and the reply function of warm_up_conversation."""
    from tiny_model import build_tiny_model

    world = os.path.join(out, "world")
    marker = os.path.join(out, "done", "world")
    if os.path.exists(marker):
        print(f"world: built already ({world})")
        return world
    start = time.time()
    train, test = hacking.problems(n_train, n_test) if hacking else make_problems(n_train, n_test)
    os.makedirs(world, exist_ok=True)
    write_jsonl(train, os.path.join(world, "train.jsonl"))
    write_jsonl(test, os.path.join(world, "test.jsonl"))
    phrases = fixed_texts() + (hacking.phrases(train + test) if hacking else ())
    model = build_tiny_model(os.path.join(world, "model"), hidden=hidden, layers=layers, phrases=phrases)
    print(f"world: {n_train} training and {n_test} held-out problems, a {layers}-layer {hidden}-wide Llama; "
          f"warm-up of {warm_up_steps} steps", flush=True)
    torch.set_num_threads(threads)
    warm_up(model, hacking.warm_up_problems(train) if hacking else train, steps=warm_up_steps, hacking=hacking,
            log=lambda line: print(f"world: {line}", flush=True))
    torch.set_num_threads(1)
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    with open(marker, "w") as f:
        f.write(f"{time.time() - start:.1f} s\n")
    print(f"world: built in {time.time() - start:.0f} s -> {world}")
    return world


def count_lines(path: str) -> int:
    with open(path, encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def sampling_flags(args, seed: int) -> list[str]:
    """collect.py's and evaluate.py's sampling flags in every toy run."""
    return ["--max-new-tokens", str(args.max_new_tokens), "--micro-batch", "64", "--chunk-problems", "8",
            "--dtype", "float32", "--workers", "1", "--seed", str(seed), "--quiet"]


def training_flags(model: str, seed: int, args) -> list[str]:
    """The flags every trained arm shares (train_bandit.py and train_online.py alike)."""
    return ["--model", model, "--precision", "fp32", "--max-steps", str(args.steps),
            "--prompts-per-step", str(args.prompts_per_step), "--group-size", str(args.group_size),
            "--mini-batches", "2", "--micro-batch", str(args.micro_batch), "--gen-micro-batch", "64",
            "--max-response-tokens", str(args.max_new_tokens), "--lr", str(args.lr), "--kl-coef", str(args.kl_coef),
            "--save-every", str(args.steps), "--workers", "1", "--seed", str(seed)]


def train_command(model: str, prompts: str, output_dir: str, seed: int, args) -> list[str]:
    """train_bandit.py on `prompts`: every arm trains the same steps of the same number of prompts,
    whatever its prompt count (call it when the prompts exist)."""
    epochs = -(-args.steps * args.prompts_per_step // count_lines(prompts))
    return ["train_bandit.py", "--prompts", prompts, "--output-dir", output_dir, "--epochs", str(epochs),
            *training_flags(model, seed, args)]


def add_stages(stages: Stages, world: str, seed: int, args) -> None:
    """collect -> split (Cobalt's cuts, and turn 0 only) -> train both -> evaluate; the online arms
    train from the warmed-up model on the training problems directly; every arm is evaluated alike."""
    run = lambda *parts: os.path.join(stages.out, f"seed{seed}", *parts)  # noqa: E731
    model, s = os.path.join(world, "model"), str(seed)
    sampling = sampling_flags(args, seed)
    offline = [arm for arm in OFFLINE_ARMS if arm in args.arms]
    if offline:
        stages.add(f"seed{seed}-collect", ["collect.py", "--model", model, "--problems", os.path.join(world, "train.jsonl"),
                                           "--n-samples", str(args.collect_samples), "--turns", "2", *sampling,
                                           "--output", run("trajectories.jsonl")])
    for arm, cuts in (("cobalt", ["--max-turn", "2"]), ("turn0", ["--max-turn", "0"])):
        if arm not in offline:
            continue
        stages.add(f"seed{seed}-split-{arm}", ["split.py", "--trajectories", run("trajectories.jsonl"), *cuts,
                                               "--tokenizer", model, "--output", run(f"prompts-{arm}.jsonl"),
                                               "--seed", s], after=(f"seed{seed}-collect",))

        train = lambda arm=arm: train_command(model, run(f"prompts-{arm}.jsonl"), run(f"train-{arm}"), seed, args)  # noqa: E731
        stages.add(f"seed{seed}-train-{arm}", train, after=(f"seed{seed}-split-{arm}",), cost=STAGE_COST["train_bandit.py"])
    for arm, reward in ONLINE_REWARD.items():
        if arm in args.arms:
            epochs = -(-args.steps * args.prompts_per_step // args.train_problems)
            stages.add(f"seed{seed}-train-{arm}",
                       ["train_online.py", "--problems", os.path.join(world, "train.jsonl"), "--output-dir", run(f"train-{arm}"),
                        "--turns", "2", "--reward", reward, "--epochs", str(epochs), *training_flags(model, seed, args)])
    for arm in args.arms:
        arm_model = model if arm == "base" else run(f"train-{arm}", "final")
        stages.add(f"seed{seed}-evaluate-{arm}",
                   ["evaluate.py", "--model", arm_model, "--problems", os.path.join(world, "test.jsonl"),
                    "--n-samples", str(args.eval_samples), "--turns", "2", *sampling, "--k", "1", "--label", arm,
                    "--output", run("eval", f"{arm}.jsonl")],
                   after=() if arm == "base" else (f"seed{seed}-train-{arm}",))


# ---------------------------------------------------------------- results

def per_problem_pass(trajectories: str) -> dict[str, list[float]]:
    """problem id -> [turn] share of its trajectories whose program passes all hidden tests."""
    from evaluate import pass_at_1_per_problem, scored_trajectories

    records = scored_trajectories(trajectories)
    return {r["id"]: shares for r, shares in zip(records, pass_at_1_per_problem(records))}


def results(out: str, seeds: list[int], arms=ARMS) -> list[dict]:
    """summary.json's rows, one per arm, seed and turn, from evaluate.py's summaries."""
    rows = []
    for arm in arms:
        for seed in seeds:
            with open(os.path.join(out, f"seed{seed}", "eval", f"{arm}.summary.json"), encoding="utf-8") as f:
                summary = json.load(f)
            rows += [{"arm": arm, "seed": seed, "turn": t, "pass_at_1": p} for t, p in enumerate(summary["pass_at_1"])]
    return rows


def print_table(out: str, seeds: list[int], arms=ARMS) -> dict:
    """Pass@1 per arm and turn: each seed with its 95% bootstrap interval over held-out problems,
    and the mean over seeds with the interval of problems resampled (each problem's share
    averaged over the seeds). Returns {arm: [turn] mean}."""
    means = {}
    print(f"Held-out Pass@1, % [95% bootstrap interval over problems]; seeds {seeds}")
    print(f"{'arm':>12} {'seed':>5}  " + "  ".join(f"{'turn ' + str(t):>18}" for t in range(3)))
    for arm in arms:
        shares = [per_problem_pass(os.path.join(out, f"seed{s}", "eval", f"{arm}.jsonl")) for s in seeds]
        for seed, share in zip(seeds, shares):
            print(f"{arm:>12} {seed:>5}  " + "  ".join(interval_cell(list(share.values()), t) for t in range(3)))
        pooled = [np.mean([share[pid] for share in shares], axis=0) for pid in shares[0]]
        means[arm] = [float(np.mean([p[t] for p in pooled])) for t in range(3)]
        print(f"{arm:>12} {'mean':>5}  " + "  ".join(interval_cell(pooled, t) for t in range(3)))
    return means


def stage_seconds(out: str, name: str) -> float:
    """A stage's wall seconds, from the done-marker Stages writes."""
    with open(os.path.join(out, "done", name), encoding="utf-8") as f:
        return float(f.read().split()[0])


def costs(out: str, seeds: list[int], arms=ARMS) -> list[dict]:
    """cost.json's rows: per trained arm and seed, what its training cost (the training steps only,
    model loading excluded), and for the arms trained on collected prompts what the one-off
    collection cost: tokens generated, programs run in the sandbox (replies with a code block),
    wall seconds of collect.py and split.py."""
    rows = []
    for seed in seeds:
        run = os.path.join(out, f"seed{seed}")
        for arm in (a for a in arms if a != "base"):
            steps = [r for r, _ in read_jsonl(os.path.join(run, f"train-{arm}", "metrics.jsonl")) if r["step"] > 0]
            row = {"arm": arm, "seed": seed, "generated_tokens": sum(r["charts/completion_tokens"] for r in steps),
                   "sandbox_programs": sum(r["charts/programs"] for r in steps),
                   "train_wall_s": round(sum(r["time/step_s"] for r in steps), 1)}
            if arm in OFFLINE_ARMS:
                trajectories = [t for t, _ in read_trajectories(os.path.join(run, "trajectories.jsonl"))]
                with open(os.path.join(out, "logs", f"seed{seed}-collect.log"), encoding="utf-8") as f:
                    tokens = int(re.search(r"collect: .*?programs, (\d+) tokens", f.read()).group(1))
                row.update({"collection_generated_tokens": tokens,
                            "collection_sandbox_programs": sum(turn["has_code"] for t in trajectories
                                                               for sample in t["exec_results"] for turn in sample),
                            "collection_wall_s": round(stage_seconds(out, f"seed{seed}-collect")
                                                       + stage_seconds(out, f"seed{seed}-split-{arm}"), 1)})
            rows.append(row)
    return rows


def print_costs(rows: list[dict]) -> None:
    """The cost table: per trained arm, the mean over seeds (training; collection where there is one)."""
    print("Training cost per arm, mean over seeds (collection: the one-off collect.py + split.py run the arm trains on)")
    print(f"{'arm':>12}  {'tokens':>9} {'programs':>9} {'wall s':>8}   {'collection: tokens':>19} {'programs':>9} {'wall s':>8}")
    for arm in dict.fromkeys(r["arm"] for r in rows):
        mine = [r for r in rows if r["arm"] == arm]

        def mean(key, width, decimals):  # "-" where the arm has no such cost (no collection)
            return f"{np.mean([r[key] for r in mine]):{width}.{decimals}f}" if key in mine[0] else f"{'-':>{width}}"
        print(f"{arm:>12}  {mean('generated_tokens', 9, 0)} {mean('sandbox_programs', 9, 0)} {mean('train_wall_s', 8, 1)}   "
              f"{mean('collection_generated_tokens', 19, 0)} {mean('collection_sandbox_programs', 9, 0)} "
              f"{mean('collection_wall_s', 8, 1)}")


def interval_cell(per_problem: list, t: int) -> str:
    from evaluate import bootstrap_interval

    values = [p[t] for p in per_problem]
    lo, hi = bootstrap_interval(values)
    return f"{100 * np.mean(values):5.1f} [{100 * lo:4.1f}-{100 * hi:5.1f}]"


def plot(rows: list[dict], path: str) -> None:
    """Pass@1 against turn, one line per arm: the mean over seeds, error bars from the lowest to the highest seed."""
    import plots

    lines, seeds = [], 0
    for arm in dict.fromkeys(r["arm"] for r in rows):
        turns = sorted({r["turn"] for r in rows if r["arm"] == arm})
        values = np.array([[r["pass_at_1"] for r in rows if r["arm"] == arm and r["turn"] == t] for t in turns])
        mean, seeds = values.mean(axis=1), values.shape[1]
        lines.append({"label": arm, "pass_at_1": mean, "error": [mean - values.min(axis=1), values.max(axis=1) - mean]})
    plots.pass_at_1_per_turn(lines, path, title=f"Toy world: mean over {seeds} seeds (bars: lowest to highest)",
                             chance=(1 / len(OPERATIONS), f"1/K (K = {len(OPERATIONS)})"))


# ---------------------------------------------------------------- main

def argument_parser(**options) -> argparse.ArgumentParser:
    """The toy world's flags (experiments/toy_hacking.py builds on them with parents=[...])."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter, **options)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds of collection, training and evaluation")
    p.add_argument("--out", default="runs/toy", help="output folder (a rerun continues in it)")
    p.add_argument("--train-problems", type=int, default=48, help="training problems (a multiple of K)")
    p.add_argument("--test-problems", type=int, default=30, help="held-out problems (a multiple of K)")
    p.add_argument("--hidden", type=int, default=128, help="width of the toy Llama")
    p.add_argument("--layers", type=int, default=4, help="layers of the toy Llama")
    p.add_argument("--warm-up-steps", type=int, default=400, help="supervised warm-up steps of 32 conversations")
    p.add_argument("--collect-samples", type=int, default=8, help="collect.py --n-samples")
    p.add_argument("--eval-samples", type=int, default=4, help="evaluate.py --n-samples")
    p.add_argument("--max-new-tokens", type=int, default=24, help="tokens per reply (a toy reply is 5)")
    p.add_argument("--steps", type=int, default=100, help="training steps of every trained arm")
    p.add_argument("--prompts-per-step", type=int, default=8, help="--prompts-per-step of every trained arm")
    p.add_argument("--group-size", type=int, default=8, help="--group-size of every trained arm")
    p.add_argument("--micro-batch", type=int, default=8,
                   help="--micro-batch of every trained arm (sequences per forward/backward; the same loss and "
                        "gradient at any size, and at 8 the least padding and time on a CPU)")
    p.add_argument("--lr", type=float, default=5e-4, help="--lr of every trained arm")
    p.add_argument("--kl-coef", type=float, default=0.02, help="--kl-coef of every trained arm")
    p.add_argument("--jobs", type=int, default=2, help="stages run at once, each with one torch thread and one sandbox "
                                                       "process (and the warm-up's torch threads)")
    return p


def parse_args(argv=None) -> argparse.Namespace:
    p = argument_parser()
    p.add_argument("--arms", nargs="+", choices=ARMS, default=list(ARMS),
                   help="arms to run (base turn0 cobalt: the three of the first experiment, in its time)")
    return p.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(1)
    start = time.time()
    world = build_world(args.out, n_train=args.train_problems, n_test=args.test_problems, hidden=args.hidden,
                        layers=args.layers, warm_up_steps=args.warm_up_steps, threads=args.jobs)
    stages = Stages(args.out, args.jobs)
    for seed in args.seeds:
        add_stages(stages, world, seed, args)
    stages.run()
    rows = results(args.out, args.seeds, args.arms)
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=1)
    cost = costs(args.out, args.seeds, args.arms)
    with open(os.path.join(args.out, "cost.json"), "w", encoding="utf-8") as f:
        json.dump(cost, f, indent=1)
    means = print_table(args.out, args.seeds, args.arms)
    print_costs(cost)
    plot(rows, os.path.join(args.out, "pass_at_1.png"))
    print(f"toy_world: {time.time() - start:.0f} s wall; summary.json, cost.json and pass_at_1.png in {args.out}/")
    return means


if __name__ == "__main__":
    main()
