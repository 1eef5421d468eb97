"""The bundled problem set in data/ and the HumanEval conversion, checked in the sandbox."""
import json
import os
import subprocess
import sys
from collections import Counter

import problems
import sandbox

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "data"))
from problem_defs import PROBLEMS  # noqa: E402

DEFS = {f"bundled/{d['id']}": d for d in PROBLEMS}
TRAIN = problems.load_problems("bundled-train")
TEST = problems.load_problems("bundled-test")


def test_ids_unique_and_every_definition_built_once():
    ids = [p["id"] for p in TRAIN + TEST]
    assert len(ids) == len(set(ids)) >= 80
    assert sorted(ids) == sorted(DEFS)


def test_records_follow_the_schema():
    for p in TRAIN + TEST:
        d = DEFS[p["id"]]
        assert p["source"] == "bundled" and p["difficulty"] == d["difficulty"] in ("trivial", "easy", "medium")
        assert p["question"] == d["statement"] and "Input" in p["question"] and "Output" in p["question"]
        public, hidden, every = (json.loads(p[k]) for k in ("public_test_cases", "hidden_test_cases", "test_cases"))
        assert len(public["inputs"]) == 4 and len(hidden["inputs"]) >= 8
        assert every["inputs"] == public["inputs"] + hidden["inputs"]
        assert every["outputs"] == public["outputs"] + hidden["outputs"]
        assert all(e in hidden["inputs"] for e in d["edges"])


def test_public_and_hidden_tests_do_not_overlap():
    for p in TRAIN + TEST:
        inputs = json.loads(p["test_cases"])["inputs"]
        assert len({i.strip() for i in inputs}) == len(inputs), p["id"]


def test_public_tests_show_different_answers_so_perturbation_keeps_every_problem():
    for p in TRAIN + TEST:
        outputs = json.loads(p["public_test_cases"])["outputs"]
        assert len({o.strip() for o in outputs}) >= 2, p["id"]
    assert len(problems.perturb_problems(TRAIN + TEST, 0)) == len(TRAIN + TEST)


def test_split_is_about_75_25_within_each_difficulty():
    train, test = Counter(p["difficulty"] for p in TRAIN), Counter(p["difficulty"] for p in TEST)
    assert set(train) == set(test) == {"trivial", "easy", "medium"}
    for difficulty in train:
        assert 0.18 <= test[difficulty] / (train[difficulty] + test[difficulty]) <= 0.32


def test_data_stays_small():
    size = sum(os.path.getsize(problems.BUNDLED[name]) for name in problems.BUNDLED)
    assert size < 1_000_000


def test_every_reference_solution_passes_all_its_tests():
    records = TRAIN + TEST
    results = sandbox.run_tests_batch([(DEFS[p["id"]]["solution"], p["test_cases"]) for p in records])
    failing = [p["id"] for p, r in zip(records, results) if not all(r["passing"])]
    assert failing == []


def test_humaneval_canonical_solutions_pass_their_converted_tests():
    import gzip
    with gzip.open(problems.humaneval_path(), "rt") as f:
        originals = {r["task_id"]: r for r in map(json.loads, f)}
    records = problems.load_problems("humaneval")
    jobs = [(originals[p["id"]]["prompt"] + originals[p["id"]]["canonical_solution"], p["test_cases"]) for p in records]
    results = sandbox.run_tests_batch(jobs)
    failing = [p["id"] for p, r in zip(records, results) if not all(r["passing"])]
    assert failing == []


def test_build_reproduces_the_files_byte_for_byte():
    run = subprocess.run([sys.executable, os.path.join(ROOT, "data", "build_problems.py"), "--check"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and "identical" in run.stdout, run.stdout + run.stderr
