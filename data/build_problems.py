"""Build the bundled problem set: data/bundled_train.jsonl and data/bundled_test.jsonl.

Reads the definitions in data/problem_defs.py (statement, reference solution, seeded input
generator, edge cases, difficulty). For every problem it draws up to 12 small inputs, of which
the 4 public tests are chosen to show as many different answers as possible, and the hidden
inputs (the edge cases, then larger random ones, HIDDEN_TESTS in all; no input twice), runs
the reference solution on them through sandbox.run_program to get the expected outputs, and
writes problem records (schema: see problems.py) with id "bundled/<name>" and source
"bundled". A fixed, seeded ~75/25 split within each difficulty keeps the difficulty mix.
The output is deterministic: running the script again reproduces the files byte for byte.

    python data/build_problems.py            # (re)write the two files
    python data/build_problems.py --check    # rebuild in memory; exit 1 if the files differ
"""
import argparse
import json
import os
import random
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import problems  # noqa: E402
import sandbox  # noqa: E402
from problem_defs import PROBLEMS  # noqa: E402

PUBLIC_TESTS = 4
PUBLIC_CANDIDATES = 12  # small inputs drawn; the public tests are 4 of them
HIDDEN_TESTS = 10
TEST_FRACTION = 0.25
SEED = 0
OUT = {"train": os.path.join(HERE, "bundled_train.jsonl"), "test": os.path.join(HERE, "bundled_test.jsonl")}


def draw_inputs(defn, seed=SEED):
    """(public candidates, hidden inputs) of one problem, all distinct, from its seeded generator."""
    rng = random.Random(f"{seed}:{defn['id']}")
    taken = set(defn["edges"])
    if len(taken) != len(defn["edges"]):
        raise RuntimeError(f"{defn['id']}: repeated edge-case input")

    def draw(small, n, at_least):
        out = []
        for _ in range(200):
            x = defn["gen"](rng, small)
            if x not in taken:
                taken.add(x)
                out.append(x)
                if len(out) == n:
                    break
        if len(out) < at_least:
            raise RuntimeError(f"{defn['id']}: generator gives too few distinct inputs")
        return out

    candidates = draw(True, PUBLIC_CANDIDATES, PUBLIC_TESTS)
    needed = HIDDEN_TESTS - len(defn["edges"])
    hidden = list(defn["edges"]) + draw(False, needed, needed)
    return candidates, hidden


def pick_public(outputs):
    """Indices of the PUBLIC_TESTS candidates to show: round robin over the different expected
    outputs (so a yes/no problem shows both answers, about equally often, and the perturbed set
    can swap two different outputs), earliest drawn first."""
    groups = {}
    for i, out in enumerate(outputs):
        groups.setdefault(out.strip(), []).append(i)
    chosen = []
    while len(chosen) < PUBLIC_TESTS:
        for group in groups.values():
            if group and len(chosen) < PUBLIC_TESTS:
                chosen.append(group.pop(0))
    return sorted(chosen)


def build_record(defn):
    candidates, hidden = draw_inputs(defn)
    results = sandbox.run_program(defn["solution"], candidates + hidden, timeout=10.0)
    for inp, res in zip(candidates + hidden, results):
        if res["status"] != "ok":
            raise RuntimeError(f"{defn['id']}: reference solution {res['status']} on input {inp!r}: {res['error']}")
    outputs = [res["stdout"] for res in results]
    public = pick_public(outputs[:len(candidates)])
    return problems.make_record(f"bundled/{defn['id']}", defn["statement"],
                                {"inputs": [candidates[i] for i in public], "outputs": [outputs[i] for i in public]},
                                {"inputs": hidden, "outputs": outputs[len(candidates):]},
                                defn["difficulty"], "bundled")


def split_ids(defs, seed=SEED):
    """The ids in the test split: a seeded TEST_FRACTION of each difficulty."""
    test = set()
    for difficulty in sorted({d["difficulty"] for d in defs}):
        ids = sorted(d["id"] for d in defs if d["difficulty"] == difficulty)
        random.Random(f"{seed}:split:{difficulty}").shuffle(ids)
        test.update(ids[:round(len(ids) * TEST_FRACTION)])
    return test


def build():
    """{"train": text, "test": text}: the two JSONL files' contents."""
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        records = list(pool.map(build_record, PROBLEMS))
    test_ids = split_ids(PROBLEMS)
    texts = {"train": [], "test": []}
    for defn, record in zip(PROBLEMS, records):
        texts["test" if defn["id"] in test_ids else "train"].append(json.dumps(record, ensure_ascii=False) + "\n")
    return {k: "".join(v) for k, v in texts.items()}


def main():
    parser = argparse.ArgumentParser(description="Build data/bundled_train.jsonl and data/bundled_test.jsonl.")
    parser.add_argument("--check", action="store_true",
                        help="rebuild in memory and compare with the files on disk instead of writing them")
    args = parser.parse_args()
    texts = build()
    if args.check:
        differ = []
        for split, path in OUT.items():
            with open(path, encoding="utf-8") as f:
                if f.read() != texts[split]:
                    differ.append(path)
        print("differ: " + ", ".join(differ) if differ else "identical")
        return 1 if differ else 0
    for split, path in OUT.items():
        with open(path, "w", encoding="utf-8") as f:
            f.write(texts[split])
        print(f"wrote {texts[split].count(chr(10))} problems to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
