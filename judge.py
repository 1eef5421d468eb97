"""How one test's run is judged: the output compared with the expected one, and the feedback.

    judge(report, test_input, expected, fn_name=None, compare="exact", timeout=4.0, check=False)
        -> (passing, feedback)
    outputs_match(output, expected, compare="exact") -> bool
    expected_field(expected) -> the "Expected Output:" part of a feedback, as judge writes it

compare="exact" is the paper's rule (whole outputs equal after stripping); "tolerant" compares
line by line, trailing whitespace ignored, numbers within relative 1e-5 / absolute 1e-9.
Call-based results are JSON compared by value, so an object that claims to equal everything
cannot pass. A `check` test (HumanEval's own check(candidate), run in the sandbox) passes when
check() returned. Feedback, each field cut to 400 characters as head ... tail, shows what the
authors' sandbox shows (verl/remote_reward_server.py):
    wrong output   Input / Program's Output / Expected Output
    crash          Input / Program's Output (so far) / Error (the traceback, program frames only)
    time-out       Input / the time limit line
The expected output is shown only for a wrong output: a crash or a time-out never reveals it
(with perturbed public tests the expected output is the wrong one a program could copy).
Used by sandbox.run_tests.
"""
import json
import math

COMPARISONS = ("exact", "tolerant")
FIELD_CHARS = 400  # each feedback field is cut to this many characters
REL_TOL, ABS_TOL = 1e-5, 1e-9  # float tolerance of compare="tolerant"


def outputs_match(output, expected, compare="exact"):
    """exact: the whole outputs equal after .strip() (the paper's rule). tolerant: line by line,
    trailing whitespace ignored, tokens equal or both numbers within rel 1e-5 / abs 1e-9."""
    if compare == "exact":
        return output.strip() == expected.strip()
    got, want = output.strip().splitlines(), expected.strip().splitlines()
    return len(got) == len(want) and all(_lines_match(g.rstrip(), w.rstrip()) for g, w in zip(got, want))


def _lines_match(got, want):
    if got == want:
        return True
    a, b = got.split(), want.split()
    return len(a) == len(b) and all(x == y or _numbers_close(x, y) for x, y in zip(a, b))


def _numbers_close(x, y):
    if x.lstrip("+-").isdigit() and y.lstrip("+-").isdigit():
        return False  # two different integers: no tolerance
    try:
        return math.isclose(float(x), float(y), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    except ValueError:
        return False


def _json_match(got, want, tolerant):
    """Equality of JSON values; true/false are not numbers, numbers compare by value."""
    if isinstance(got, bool) or isinstance(want, bool):
        return got is want
    if isinstance(got, (int, float)) and isinstance(want, (int, float)):
        return got == want or (tolerant and not (isinstance(got, int) and isinstance(want, int))
                               and math.isclose(got, want, rel_tol=REL_TOL, abs_tol=ABS_TOL))
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_json_match(g, w, tolerant) for g, w in zip(got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_json_match(got[k], want[k], tolerant) for k in got)
    return type(got) is type(want) and got == want


def cut(text, limit=FIELD_CHARS):
    """At most `limit` characters: head ... tail."""
    if len(text) <= limit:
        return text
    head = (limit - 5 + 1) // 2
    return text[:head] + " ... " + text[len(text) - (limit - 5 - head):]


def _shown(text):
    """A feedback field: without its final newline, cut to FIELD_CHARS."""
    return cut(text.rstrip("\r\n"))


def expected_field(expected):
    """The "Expected Output:" part of a wrong-output feedback (evaluate.py looks for it)."""
    return "Expected Output:\n" + _shown(expected)


def judge(report, test_input, expected, *, fn_name=None, compare="exact", timeout=4.0, check=False):
    """(passing, feedback) of one test from its run_program report (see the module docstring)."""
    output = report["result"] if fn_name and not check else report["stdout"]
    shown = f"Input:\n{_shown(test_input)}\n"
    if report["status"] == "timeout":
        return False, shown + f"Time limit exceeded ({timeout:g} s)"
    if report["status"] != "ok":  # a crash, a non-zero exit, too much output: no expected output
        return False, shown + f"Program's Output:\n{_shown(report['stdout'])}\nError:\n{_shown(report['error'])}"
    if check:
        return True, ""  # check() returned: every assert held (the sandbox reports "error" otherwise)
    if fn_name:
        try:
            passing = _json_match(json.loads(output), json.loads(expected), compare == "tolerant")
        except (TypeError, ValueError):
            passing = isinstance(output, str) and output.strip() == expected.strip()
    else:
        passing = outputs_match(output, expected, compare)
    if passing:
        return True, ""
    return False, shown + f"Program's Output:\n{_shown(output or '')}\n{expected_field(expected)}"
