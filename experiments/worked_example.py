"""The worked example of METHOD.md, computed by the project's own code so that it stays true.

One problem -> two trajectories of a scripted reference model (rollout.rollout, real sandbox)
-> the prompts split.py cuts from them -> a group of G = 4 completions for one prompt ->
their pass rates (sandbox) and rewards (reward.py) -> group advantages (grpo.py) ->
which way the loss pushes each completion's probability.

    python experiments/worked_example.py            # prints the example (Markdown)
    python experiments/worked_example.py --write    # replaces the example in METHOD.md

tests/test_method_doc.py checks that METHOD.md holds exactly what this prints.
"""
import argparse
import json
import os
import sys

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import rollout  # noqa: E402
import split  # noqa: E402
import grpo  # noqa: E402
from problems import make_record  # noqa: E402
from reward import program_pass_rates, reward  # noqa: E402

METHOD_MD = os.path.join(ROOT, "METHOD.md")
START, END = "<!-- worked example: start -->", "<!-- worked example: end -->"

READ = "n = int(input())\nxs = list(map(int, input().split()))\n"
PROGRAMS = {  # the programs of the example, by name
    "from zero": READ + "best = 0\nfor x in xs:\n    if x > best:\n        best = x\nprint(best)",
    "max": READ + "print(max(xs))",
    "count": READ + "print(n)",
    "min": READ + "print(min(xs))",
}
PROBLEM = make_record(
    "max-of-list", "Read n, then n integers on the next line. Print the largest of them.",
    public={"inputs": ["3\n1 5 2\n", "2\n-3 -7\n"], "outputs": ["5", "-3"]},
    hidden={"inputs": ["1\n4\n", "4\n-1 -2 -3 -4\n", "5\n9 9 1 0 3\n", "3\n-5 10 -5\n"], "outputs": ["4", "-1", "9", "10"]},
    difficulty="easy", source="worked example")
TRAJECTORIES = [["from zero", "max", "max"],  # sample 0: fixes its program after the first feedback
                ["count", "min", "max"]]      # sample 1: two wrong programs, then the right one
GROUP = ["max", "min", "from zero", None]      # G = 4 completions for one prompt (None: no code block)


def reply(name: str | None) -> str:
    return "I have no program yet." if name is None else f"My program:\n```python\n{PROGRAMS[name]}\n```"


class ScriptedModel:
    """A reference model that writes the programs of TRAJECTORIES, turn by turn."""

    def generate(self, conversations, **sampling):
        return [reply(TRAJECTORIES[s][sum(m["role"] == "assistant" for m in c)]) for s, c in enumerate(conversations)]


def example() -> str:
    out = []
    say = out.append
    (record,) = rollout.rollout(ScriptedModel(), [PROBLEM], n_samples=2, turns=2, chunk_problems=1)
    public, hidden = (json.loads(PROBLEM[f]) for f in ("public_test_cases", "hidden_test_cases"))
    say(f"**The problem** `{PROBLEM['id']}`: \"{PROBLEM['question']}\" {len(public['inputs'])} public tests, "
        f"{len(hidden['inputs'])} hidden tests (6 in all). Its programs read `n` and the list `xs`; "
        f"then \"from zero\" keeps the largest value above 0 (wrong when every value is negative), "
        f"\"max\" prints `max(xs)`, \"count\" prints `n`, \"min\" prints `min(xs)`.\n")
    say("**Stage 1, collect** (`rollout.rollout`, 2 samples, turn 0 + 2 feedback turns; each program is run on the "
        "public tests for feedback and on all tests for its pass rate):\n")
    say("| sample | turn | program | public tests passed | all-test pass rate |")
    say("| --- | --- | --- | --- | --- |")
    for s, names in enumerate(TRAJECTORIES):
        for t, name in enumerate(names):
            passing = record["exec_results"][s][t]["public_passing"]
            say(f"| {s} | {t} | {name} | {sum(passing)}/{len(passing)} | {record['all_pass_rates'][s][t]:.3f} |")
    feedback = record["conversations"][0][3]["content"].split("\n\n")[1]
    say(f"\nThe feedback after sample 0's turn-0 program, the first failing public test:\n\n```\n{feedback}\n```\n")

    prompts = split.split_problem(record, "example")
    say("**Stage 2, split** (`split.split_problem`): not too easy (no turn-0 program passes all tests); both "
        "trajectories improve and reach 1.0, so both are candidates (diff = max - min: "
        + ", ".join(f"sample {s} {max(r) - min(r):.3f}" for s, r in enumerate(record["all_pass_rates"]))
        + "); with at most m = 4 candidates all are kept. The prompts:\n")
    say("| prompt | context | prev_best_pass_rate | why |")
    say("| --- | --- | --- | --- |")
    for p in sorted(prompts, key=lambda p: p["example_id"]):
        programs = (len(p["conversation"]) - 2) // 2
        reason = ("asks for turn 0's program, once per problem" if programs == 0 else
                  f"asks for turn {programs}'s program after turn{'s 0-' if programs > 1 else ' '}{programs - 1} "
                  f"and {'their' if programs > 1 else 'its'} feedback")
        say(f"| `{p['example_id']}` | system + problem{f' + {programs} x (program, feedback)' if programs else ''} "
            f"| {p['prev_best_pass_rate']:.3f} | {reason} |")
    last = {s: max(p["turn"] for p in prompts if p["example_id"].endswith(f"/s{s}")) for s in (0, 1)}
    say(f"\nSample 0 has no turn-{last[0] + 1} prompt: its programs at turns {last[0]} and {last[0] + 1} both pass "
        "every test (the \"solved\" stop rule), so the reference model already keeps a passing program and the "
        f"prompt would teach nothing new. Sample 1's turn-{last[1]} prompt is kept although its turn-{last[1] - 1} "
        "program already passes every test: the collection ended there, no later program shows the reference model "
        f"keeping it, and with prev_best_pass_rate {max(record['all_pass_rates'][1][:last[1]]):.3f} only a program "
        "that passes every test earns a positive reward.\n")

    chosen = next(p for p in prompts if p["example_id"] == "max-of-list/t2/s1")
    rates = program_pass_rates([reply(n) for n in GROUP], [chosen["test_cases"]] * len(GROUP))
    rewards = torch.tensor([[reward(reply(n), r, chosen["prev_best_pass_rate"]) for n, r in zip(GROUP, rates)]])
    advantages = grpo.group_advantages(rewards)[0]
    say(f"**Stage 3, one group** for the prompt `{chosen['example_id']}` (prev_best_pass_rate "
        f"{chosen['prev_best_pass_rate']:.3f}), G = {len(GROUP)}: rewards by `reward.reward`, advantages by "
        f"`grpo.group_advantages` (group mean {rewards.mean():.3f}, standard deviation {rewards.std():.3f}):\n")
    say("| completion | pass rate | reward | why | advantage | the loss pushes its probability |")
    say("| --- | --- | --- | --- | --- | --- |")
    prev = chosen["prev_best_pass_rate"]
    for name, rate, r, a in zip(GROUP, rates, rewards[0].tolist(), advantages.tolist()):
        if rate is None:
            reason = "no code block"
        elif rate == 1.0:
            reason = "passes every test"
        elif rate > prev:
            reason = f"tier {0.2 if rate >= 0.5 else 0.0:g} + 0.1 x ({rate:.3f} - {prev:.3f}) / (1 - {prev:.3f})"
        else:
            reason = f"no better than {prev:.3f}: -0.1 + 0.1 x ({rate:.3f} - {prev:.3f}) / {prev:.3f}"
        direction = "up" if a > 0 else "down" if a < 0 else "nowhere"
        say(f"| {name or 'no code'} | {'-' if rate is None else f'{rate:.3f}'} | {r:+.3f} | {reason} | {a:+.3f} | {direction} |")
    say("\nAt the first update the ratio is 1, so each token's loss is -A (clipping is inactive) and gradient "
        "descent raises the log-probability of every token of a completion with A > 0 and lowers it for A < 0, "
        "in proportion to |A| / (tokens in the mini-batch).")
    return "\n".join(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help="replace the example between its markers in METHOD.md")
    args = p.parse_args(argv)
    text = example()
    if not args.write:
        print(text)
        return
    with open(METHOD_MD, encoding="utf-8") as f:
        doc = f.read()
    head, rest = doc.split(START, 1)
    tail = rest.split(END, 1)[1]
    with open(METHOD_MD, "w", encoding="utf-8") as f:
        f.write(f"{head}{START}\n{text}\n{END}{tail}")
    print(f"worked example -> {METHOD_MD}")


if __name__ == "__main__":
    main()
