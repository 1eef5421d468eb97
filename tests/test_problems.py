"""problems.py: readers on fixtures written here, every bad-input case, HumanEval, perturbation."""
import base64
import json
import os
import pickle
import subprocess
import sys
import zlib

import pytest

import problems
from problems import BadInputError, load_problems, parse_test_cases, perturb_problems

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_jsonl(path, records):
    with open(path, "w") as f:
        for r in records:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return str(path)


def cases_json(inputs, outputs, **extra):
    return json.dumps({"inputs": inputs, "outputs": outputs, **extra})


def taco_record(id="taco-1", **changes):
    rec = {"id": id, "question": "Print the sum of two integers.", "difficulty": "EASY",
           "instruction": "Please solve:\nPrint the sum of two integers.",
           "public_test_cases": cases_json(["1 2\n", "3 4\n"], ["3\n", "7\n"]),
           "hidden_test_cases": cases_json(["0 0\n"], ["0\n"]),
           "test_cases": cases_json(["1 2\n", "3 4\n", "0 0\n"], ["3\n", "7\n", "0\n"])}
    rec.update(changes)
    return rec


def packed(obj):
    """What LiveCodeBench stores: base64 of zlib of a pickle."""
    return base64.b64encode(zlib.compress(pickle.dumps(obj))).decode()


def lcb_record(id="lcb-1", private=None, **changes):
    private_tests = [{"input": "[1, 2]\n3", "output": "[0, 1]", "testtype": "functional"},
                     {"input": "[5, 5]\n10", "output": "[0, 1]", "testtype": "functional"}]
    rec = {"question_id": id, "question_title": "Two indices",
           "question_content": "Return the two indices whose values add to target.\n\nExample 1:\n\nInput: nums = [2,7]",
           "platform": "leetcode", "contest_date": "2024-03-02T00:00:00", "difficulty": "easy",
           "starter_code": "class Solution:\n    def twoSum(self, nums, target):\n        ",
           "public_test_cases": json.dumps([{"input": "[2, 7]\n9", "output": "[0, 1]", "testtype": "functional"}]),
           "private_test_cases": packed(json.dumps(private_tests)) if private is None else private,
           "metadata": json.dumps({"func_name": "twoSum"})}
    rec.update(changes)
    return rec


def lcb_stdin_record(id="lcb-2", **changes):
    rec = {"question_id": id, "question_content": "Read n and print n + 1.\n\nSample Input 1\n\n1\n",
           "contest_date": "2023-06-01T00:00:00", "difficulty": "medium", "platform": "atcoder", "starter_code": "",
           "public_test_cases": json.dumps([{"input": "1\n", "output": "2\n", "testtype": "stdin"}]),
           "private_test_cases": json.dumps([{"input": "5\n", "output": "6\n", "testtype": "stdin"}]),
           "metadata": "{}"}
    rec.update(changes)
    return rec


# ------------------------------------------------------------------ readers


def test_taco_cobalt_record_is_read_with_its_instruction(tmp_path):
    path = write_jsonl(tmp_path / "taco.jsonl", [taco_record()])
    [p] = load_problems(path)
    assert p["id"] == "taco-1" and p["source"] == "taco-cobalt" and p["difficulty"] == "EASY"
    assert p["instruction"].startswith("Please solve")
    assert json.loads(p["public_test_cases"]) == {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", "7\n"]}
    assert json.loads(p["hidden_test_cases"]) == {"inputs": ["0 0\n"], "outputs": ["0\n"]}
    assert json.loads(p["test_cases"])["inputs"] == ["1 2\n", "3 4\n", "0 0\n"]


def test_record_with_only_test_cases_shows_the_first_four(tmp_path):
    rec = {"id": 7, "question": "q", "test_cases": cases_json([str(i) for i in range(6)], [str(i) for i in range(6)])}
    [p] = load_problems(write_jsonl(tmp_path / "t.jsonl", [rec]))
    assert p["id"] == "7" and p["difficulty"] == "unknown"
    assert json.loads(p["public_test_cases"])["inputs"] == ["0", "1", "2", "3"]
    assert json.loads(p["hidden_test_cases"])["inputs"] == ["4", "5"]


def test_our_records_round_trip_through_convert(tmp_path):
    src = write_jsonl(tmp_path / "lcb.jsonl", [lcb_record(), lcb_stdin_record()])
    out = tmp_path / "ours.jsonl"
    assert problems.main(["convert", src, str(out)]) == 0
    assert load_problems(str(out)) == load_problems(src)


def test_livecodebench_functional_tests_stay_call_based(tmp_path):
    [p] = load_problems(write_jsonl(tmp_path / "lcb.jsonl", [lcb_record()]))
    assert p["id"] == "lcb-1" and p["source"] == "livecodebench" and p["difficulty"] == "easy"
    assert p["starter_code"].startswith("class Solution")
    public, hidden, every = (json.loads(p[k]) for k in ("public_test_cases", "hidden_test_cases", "test_cases"))
    assert public == {"inputs": ["[2, 7]\n9"], "outputs": ["[0, 1]"], "fn_name": "twoSum"}
    assert hidden["inputs"] == ["[1, 2]\n3", "[5, 5]\n10"] and hidden["fn_name"] == "twoSum"
    assert every["inputs"] == public["inputs"] + hidden["inputs"]
    assert p["question"] == "Return the two indices whose values add to target."


def test_livecodebench_stdin_record_and_options(tmp_path):
    path = write_jsonl(tmp_path / "lcb.jsonl", [lcb_record(), lcb_stdin_record()])
    a, b = load_problems(path)
    assert "fn_name" not in json.loads(b["test_cases"]) and "starter_code" not in b
    assert b["question"] == "Read n and print n + 1."
    [kept] = load_problems(path, keep_examples=True, start_date="2024-01-01")
    assert kept["id"] == "lcb-1" and "Example 1:" in kept["question"]
    assert [p["id"] for p in load_problems(path, end_date="2023-06-01")] == ["lcb-2"]
    assert load_problems(path, start_date="2025-01-01") == []


def test_livecodebench_many_private_tests_keep_4_shortest_and_16_longest(tmp_path):
    private = [{"input": "x" * n, "output": str(n), "testtype": "stdin"} for n in range(1, 31)]
    rec = lcb_stdin_record(private_test_cases=packed(json.dumps(private)))
    [p] = load_problems(write_jsonl(tmp_path / "lcb.jsonl", [rec]))
    outputs = json.loads(p["hidden_test_cases"])["outputs"]
    assert outputs == [str(n) for n in [1, 2, 3, 4] + list(range(15, 31))]


class Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned_marker",))


def test_malicious_pickle_is_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_jsonl(tmp_path / "lcb.jsonl", [lcb_record(private=packed(Evil()))])
    with pytest.raises(BadInputError, match=r"line 1, field 'private_test_cases': refused pickle.*global"):
        load_problems(path)
    assert not os.path.exists(tmp_path / "pwned_marker")


def test_pickle_extension_registry_is_refused_too():
    """EXT1 fetches a callable from copyreg's registry without a GLOBAL opcode."""
    import copyreg
    copyreg.add_extension("os", "system", 240)
    evil = (pickle.PROTO + b"\x02" + pickle.EXT1 + b"\xf0" + pickle.BINUNICODE + (4).to_bytes(4, "little")
            + b"true" + pickle.TUPLE1 + pickle.REDUCE + pickle.STOP)
    blob = base64.b64encode(zlib.compress(evil)).decode()
    try:
        with pytest.raises(BadInputError, match="refused pickle.*os.system"):
            problems.decode_private_tests(blob, "x.jsonl, line 1")
    finally:
        copyreg.remove_extension("os", "system", 240)


# ------------------------------------------------------------------ bad input


BAD_CASES = {
    "malformed JSON": ('{"id": "a", "question": ', r"line 2: not valid JSON"),
    "missing field": (taco_record(question=None), r"line 2, field 'question': missing"),
    "missing id": ({k: v for k, v in taco_record().items() if k != "id"}, r"line 2, field 'id': missing"),
    "lengths differ": (taco_record(public_test_cases=cases_json(["1"], ["1", "2"])),
                       r"line 2, field 'public_test_cases': 1 inputs but 2 outputs"),
    "non-string tests": (taco_record(hidden_test_cases=cases_json([1, 2], ["1", "2"])),
                         r"line 2, field 'hidden_test_cases': every input and output must be a string"),
    "tests not JSON": (taco_record(public_test_cases="{oops"), r"line 2, field 'public_test_cases': not valid JSON"),
    "no public tests": (taco_record(public_test_cases=cases_json([], [])), r"line 2, field 'public_test_cases': no public"),
    "corrupt base64": (lcb_record(private="!!not base64!!"), r"line 2, field 'private_test_cases': corrupt base64"),
    "corrupt zlib": (lcb_record(private=base64.b64encode(b"not zlib at all").decode()),
                     r"line 2, field 'private_test_cases': corrupt zlib"),
    "truncated zlib": (lcb_record(private=base64.b64encode(zlib.compress(pickle.dumps("[]"))[:-4]).decode()),
                       r"line 2, field 'private_test_cases': corrupt zlib"),
    "corrupt pickle": (lcb_record(private=base64.b64encode(zlib.compress(b"garbage")).decode()),
                       r"line 2, field 'private_test_cases': corrupt pickle"),
    "pickle with globals": (lcb_record(private=packed(Evil())), r"line 2, field 'private_test_cases': refused pickle"),
    "pickle not a string": (lcb_record(private=packed([1, 2])), r"line 2, field 'private_test_cases': pickle does not hold"),
    "functional without func_name": (lcb_record(metadata="{}"), r"line 2, field 'metadata': functional tests need"),
    "lcb missing field": ({k: v for k, v in lcb_record().items() if k != "public_test_cases"},
                          r"line 2, field 'public_test_cases': missing"),
    "not an object": ("[1, 2, 3]", r"line 2: not a JSON object"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_names_file_line_and_field(tmp_path, case, capsys):
    bad, message = BAD_CASES[case]
    first = lcb_record(id="ok") if "lcb" in case or "zlib" in case or "pickle" in case or "base64" in case \
        or "func_name" in case else taco_record(id="ok")
    path = write_jsonl(tmp_path / "bad.jsonl", [first, bad])
    with pytest.raises(BadInputError, match=message) as e:
        load_problems(path)
    assert str(e.value).startswith(path) and "\n" not in str(e.value)
    kept = load_problems(path, skip_bad=True)
    assert [p["id"] for p in kept] == ["ok"]
    assert "skipped 1 bad record" in capsys.readouterr().err


def test_empty_file_and_missing_file(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(BadInputError, match=r"empty\.jsonl: file is empty"):
        load_problems(str(empty))
    with pytest.raises(BadInputError, match="no such file"):
        load_problems(str(tmp_path / "nope.jsonl"))


def test_decompressed_size_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(problems, "MAX_DECOMPRESSED_BYTES", 1000)
    big = json.dumps([{"input": "1\n" * 5000, "output": "1\n", "testtype": "stdin"}])
    path = write_jsonl(tmp_path / "lcb.jsonl", [lcb_stdin_record(private_test_cases=packed(big))])
    with pytest.raises(BadInputError, match="exceeds 1000 bytes"):
        load_problems(path)


def test_duplicate_ids_are_refused(tmp_path):
    path = write_jsonl(tmp_path / "dup.jsonl", [taco_record(), taco_record()])
    with pytest.raises(BadInputError, match="duplicate id 'taco-1'"):
        load_problems(path)


def test_cli_prints_one_line_and_exits_2(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [taco_record(), "{broken"])
    run = subprocess.run([sys.executable, os.path.join(ROOT, "problems.py"), "show", path],
                         capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "line 2" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, os.path.join(ROOT, "problems.py"), "show", path, "--skip-bad"],
                         capture_output=True, text=True)
    assert run.returncode == 0 and "skipped 1 bad record" in run.stderr and "1 problems" in run.stdout


def test_parse_test_cases_accepts_dict_and_string():
    t = {"inputs": ["1"], "outputs": ["2"], "fn_name": "f"}
    assert parse_test_cases(t) == parse_test_cases(json.dumps(t)) == t
    with pytest.raises(BadInputError):
        parse_test_cases({"inputs": "1", "outputs": ["2"]})


# ------------------------------------------------------------------ HumanEval


def test_humaneval_conversion_on_the_package_data(capsys):
    records = load_problems("humaneval")
    message = capsys.readouterr().err
    assert "164 problems, 140 as call-based tests, 24 through HumanEval's check()" in message
    assert len(records) == 164
    by_id = {r["id"]: r for r in records}
    p = by_id["HumanEval/0"]
    public, hidden = json.loads(p["public_test_cases"]), json.loads(p["hidden_test_cases"])
    assert public["fn_name"] == hidden["fn_name"] == "has_close_elements"
    assert public["inputs"][0] == "[1.0, 2.0, 3.9, 4.0, 5.0, 2.2]\n0.3" and public["outputs"][0] == "true"
    assert len(public["inputs"]) == 3 and len(hidden["inputs"]) == 4
    assert p["starter_code"].lstrip().startswith("from typing import List")
    checked = [r for r in records if "check" in json.loads(r["test_cases"])]
    assert len(checked) == 24 and "HumanEval/32" in {r["id"] for r in checked}  # find_zero: a random loop
    for r in records:
        t = json.loads(r["test_cases"])
        if "check" in t:  # one test: HumanEval's own check code, labelled for the feedback; no hidden tests
            assert t["inputs"] == [f"check({t['fn_name']})"] and t["outputs"] == [""]
            assert t["check"].lstrip().startswith(("METADATA", "def check", "import"))
            assert json.loads(r["hidden_test_cases"])["inputs"] == []
            continue
        assert t["fn_name"] and len(json.loads(r["hidden_test_cases"])["inputs"]) >= 1
        for inp, out in zip(t["inputs"], t["outputs"]):  # every test decodes as JSON arguments and a JSON result
            [json.loads(a) for a in inp.split("\n")]
            json.loads(out)
    assert json.loads(by_id["HumanEval/2"]["public_test_cases"])["check"].count("assert") == 3


def test_humaneval_canonical_solutions_pass_and_stubs_fail_all_164(capsys):
    """Published HumanEval figures are over all 164: each canonical solution passes every test here
    and a stub returning None fails (the benchmark's own check for the 24 that are not plain asserts)."""
    import gzip

    import sandbox
    source = {json.loads(line)["task_id"]: json.loads(line) for line in gzip.open(problems.humaneval_path(), "rt")}
    records = load_problems("humaneval")
    canonical = [(source[r["id"]]["prompt"] + source[r["id"]]["canonical_solution"], r["test_cases"]) for r in records]
    stubs = [(source[r["id"]]["prompt"] + "    return None\n", r["test_cases"]) for r in records]
    assert [r["id"] for r, res in zip(records, sandbox.run_tests_batch(canonical, workers=2))
            if not all(res["passing"])] == []
    assert [r["id"] for r, res in zip(records, sandbox.run_tests_batch(stubs, workers=2)) if all(res["passing"])] == []


def test_a_check_test_must_name_its_function_and_define_check():
    with pytest.raises(BadInputError, match="f.json, field 'test_cases': check must be a string of test code"):
        parse_test_cases({"inputs": ["x"], "outputs": [""], "check": "def check(c): pass"}, where="f.json", field="test_cases")
    with pytest.raises(BadInputError, match="check must define check"):
        parse_test_cases({"inputs": ["x"], "outputs": [""], "fn_name": "f", "check": "x = 1"})
    with pytest.raises(BadInputError, match="check is not valid Python"):
        parse_test_cases({"inputs": ["x"], "outputs": [""], "fn_name": "f", "check": "def check(:"})


def test_humaneval_tests_are_parsed_not_run():
    src = "def check(candidate):\n    assert candidate(__import__('os').getpid()) == 1\n"
    assert isinstance(problems.humaneval_tests(src, "f"), str)
    src = "def check(candidate):\n    assert candidate((1, 2)) == (3, 4)\n    assert candidate([1]) == (2,)\n"
    assert isinstance(problems.humaneval_tests(src, "f"), str)  # a tuple argument has no JSON form
    src = "def check(candidate):\n    assert candidate([1], 'a') == (3, 4)\n    assert True\n    assert -1 == candidate([], '')\n"
    assert problems.humaneval_tests(src, "f") == (['[1]\n"a"', '[]\n""'], ["[3, 4]", "-1"])


# ------------------------------------------------------------------ perturbation


def perturbable(id="p", outputs=("1\n", "2\n", "2\n", "3\n"), fn_name=None):
    inputs = [f"in{i}\n" for i in range(len(outputs))]
    extra = {"fn_name": fn_name} if fn_name else {}
    return problems.make_record(id, "q", {"inputs": inputs, "outputs": list(outputs), **extra},
                                {"inputs": ["h\n"], "outputs": ["9\n"], **extra}, "easy", "test")


def test_perturbation_swaps_two_different_outputs_and_puts_them_first():
    original = perturbable()
    truth = dict(zip(json.loads(original["public_test_cases"])["inputs"],
                     json.loads(original["public_test_cases"])["outputs"]))
    for seed in range(20):
        [p] = perturb_problems([original], seed)
        shown = json.loads(p["perturbed_public_test_cases"])
        modified = json.loads(p["modified_test_cases"])
        assert modified == {"inputs": shown["inputs"][:2], "outputs": shown["outputs"][:2]}
        (a, b), (oa, ob) = modified["inputs"], modified["outputs"]
        assert oa == truth[b] and ob == truth[a] and truth[a].strip() != truth[b].strip()
        assert sorted(shown["inputs"]) == sorted(truth)  # same tests, the rest unchanged
        assert all(truth[i] == o for i, o in zip(shown["inputs"][2:], shown["outputs"][2:]))
        for field in ("public_test_cases", "hidden_test_cases", "test_cases"):
            assert p[field] == original[field]


def test_perturbation_is_seeded_and_drops_all_equal_outputs():
    problems_ = [perturbable("a"), perturbable("b", outputs=("7\n", "7 \n", "7\n")), perturbable("c")]
    out = perturb_problems(problems_, 3)
    assert [p["id"] for p in out] == ["a", "c"]
    assert out == perturb_problems(problems_, 3)
    assert perturb_problems(problems_[::-1], 3)[::-1] == out  # a problem's choice does not depend on order
    assert len({perturb_problems(problems_, s)[0]["perturbed_public_test_cases"] for s in range(10)}) > 1


def test_perturbed_loader_option_and_call_based_problems(tmp_path):
    src = [perturbable("a", fn_name="f"), perturbable("b", outputs=("1", "1"))]
    path = write_jsonl(tmp_path / "p.jsonl", src)
    out = tmp_path / "perturbed.jsonl"
    assert problems.main(["perturb", path, str(out), "--seed", "5"]) == 0
    [p] = load_problems(str(out), perturbed=True)
    assert p["perturbed_test_indices"] == [0, 1]
    assert p["public_test_cases"] == p["perturbed_public_test_cases"] != src[0]["public_test_cases"]
    assert json.loads(p["public_test_cases"])["fn_name"] == "f"
    assert p["test_cases"] == src[0]["test_cases"] and p["hidden_test_cases"] == src[0]["hidden_test_cases"]
    # a set without perturbed tests is perturbed on the fly (seed 0), the same as the CLI would
    on_the_fly = load_problems(path, perturbed=True)
    assert [q["id"] for q in on_the_fly] == ["a"]
    assert on_the_fly[0]["public_test_cases"] == perturb_problems(src, 0)[0]["perturbed_public_test_cases"]
    # plain loading of the perturbed file keeps the true public tests
    assert load_problems(str(out))[0]["public_test_cases"] == src[0]["public_test_cases"]


def test_perturbed_fields_partly_missing_is_bad_input(tmp_path):
    [p] = perturb_problems([perturbable("a")], 0)
    path = write_jsonl(tmp_path / "mixed.jsonl", [p, perturbable("b")])
    with pytest.raises(BadInputError, match="perturbed_public_test_cases"):
        load_problems(path, perturbed=True)


def test_limit(tmp_path):
    path = write_jsonl(tmp_path / "five.jsonl", [perturbable(str(i)) for i in range(5)])
    assert [p["id"] for p in load_problems(path, limit=2)] == ["0", "1"]
