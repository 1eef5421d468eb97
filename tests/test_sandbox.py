"""sandbox.py: feedback, comparison and exit rules, call-based tests, batch, CLI, reduced isolation.

The hostile battery (processes, memory, files, network, signals) is in test_sandbox_hostile.py.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import judge
import sandbox

ROOT = Path(__file__).resolve().parent.parent
ISOLATED = sandbox._isolation_problem(sandbox.BWRAP) is None
SUM = "a, b = map(int, input().split())\nprint(a + b)\n"


def run(code, inputs, outputs, **options):
    return sandbox.run_tests(code, {"inputs": inputs, "outputs": outputs}, **options)


def test_passing_and_failing_feedback_format():
    result = run(SUM, ["1 2\n", "3 4\n"], ["3\n", "8\n"])
    assert result == {"passing": [True, False],
                      "feedback": ["", "Input:\n3 4\nProgram's Output:\n7\nExpected Output:\n8"]}


def test_test_cases_as_json_string_and_no_tests():
    assert sandbox.run_tests(SUM, json.dumps({"inputs": ["1 1"], "outputs": ["2"]})) == {"passing": [True], "feedback": [""]}
    assert sandbox.run_tests(SUM, {"inputs": [], "outputs": []}) == {"passing": [], "feedback": []}


def test_bad_test_cases_raise_value_error():
    for bad in ("{not json", {"inputs": ["1"]}, {"inputs": ["1"], "outputs": []}, {"inputs": [1], "outputs": ["1"]}):
        with pytest.raises(ValueError, match="test_cases"):
            sandbox.run_tests(SUM, bad)
    with pytest.raises(ValueError, match="compare"):
        run(SUM, ["1 1"], ["2"], compare="fuzzy")


def test_crash_feedback_is_the_output_so_far_and_the_cleaned_traceback_without_the_expected_output():
    # As the authors' sandbox: input, what the program printed, the traceback; never the expected output.
    code = "import json\n\ndef parse(s):\n    return int(s)\n\nprint('parsing')\nprint(parse(input()))\n"
    result = run(code, ["x\n"], ["SECRET\n"])
    assert result["feedback"][0] == (
        "Input:\nx\nProgram's Output:\nparsing\nError:\nTraceback (most recent call last):\n"
        '  File "solution.py", line 7, in <module>\n    print(parse(input()))\n          ^^^^^^^^^^^^^^\n'
        '  File "solution.py", line 4, in parse\n    return int(s)\n           ^^^^^^\n'
        "ValueError: invalid literal for int() with base 10: 'x'")
    assert "SECRET" not in result["feedback"][0] and "Expected Output" not in result["feedback"][0]


def test_traceback_has_no_host_paths_and_no_runner_frames():
    code = "import json\njson.loads('{')\n"  # raised deep inside the standard library
    feedback = run(code, [""], ["1"])["feedback"][0]
    assert 'File "solution.py", line 2, in <module>' in feedback
    assert "json.decoder.JSONDecodeError: Expecting property name" in feedback
    for leak in ("/usr/lib", "/root", "/work", "sandbox_child", "run_child", "exec(", str(ROOT)):
        assert leak not in feedback


def test_syntax_error_fails_every_test_with_its_line():
    result = run("x = 1\nprint(x +)\n", ["", ""], ["1", "1"])
    assert result["passing"] == [False, False]
    assert result["feedback"][1] == ('Input:\n\nProgram\'s Output:\n\nError:\n  File "solution.py", line 2\n'
                                     "    print(x +)\n             ^\nSyntaxError: invalid syntax")


def test_time_out_feedback_is_the_input_and_one_line_with_the_limit():
    # As the authors' "TimeoutError: Program timed out after 4 seconds.": no output, no expected output.
    result = run("print('started')\nwhile True:\n    pass\n", ["5\n"], ["SECRET\n"], timeout=0.5)
    assert result == {"passing": [False], "feedback": ["Input:\n5\nTime limit exceeded (0.5 s)"]}


def test_the_limit_is_cpu_time_with_a_wall_clock_backstop():
    # Waiting costs no CPU: 0.3 s of work plus 0.4 s asleep fits a 0.5 s limit, as it would on a
    # machine so busy that 0.3 s of CPU took 0.7 s of wall time.
    work_then_wait = ("import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end:\n    pass\n"
                      "time.sleep(0.4)\nprint(input())\n")
    assert run(work_then_wait, ["7\n"], ["7"], timeout=0.5)["passing"] == [True]
    # A program that waits for ever is stopped by the backstop (WALL_FACTOR x the limit).
    report = sandbox.run_program("import time\ntime.sleep(60)\n", [""], timeout=0.5)[0]
    assert report["status"] == "timeout" and report["seconds"] >= sandbox.WALL_FACTOR * 0.5
    # CPU time of every thread counts.
    threads = ("import threading\ndef spin():\n    while True:\n        pass\n"
               "for _ in range(2):\n    threading.Thread(target=spin, daemon=True).start()\nspin()\n")
    assert sandbox.run_program(threads, [""], timeout=0.5)[0]["status"] == "timeout"


def test_every_feedback_field_is_cut_to_400_characters_head_and_tail():
    long_input = "".join(str(i % 10) for i in range(1000))
    result = run("s = input()\nprint(s[::-1])\n", [long_input], [long_input])
    output = long_input[::-1]
    assert result["feedback"][0] == (f"Input:\n{long_input[:198]} ... {long_input[-197:]}\n"
                                     f"Program's Output:\n{output[:198]} ... {output[-197:]}\n"
                                     f"Expected Output:\n{long_input[:198]} ... {long_input[-197:]}")
    assert judge.cut("x" * 1000) == "x" * 198 + " ... " + "x" * 197
    assert len(judge.cut("y" * 401)) == 400 and judge.cut("z" * 400) == "z" * 400


def test_exact_comparison_is_the_whole_output_stripped():
    assert judge.outputs_match("1 2 \n", "1 2")
    assert judge.outputs_match("\n 3\n\n", "3")
    assert not judge.outputs_match("1 2 \n3\n", "1 2\n3")  # inner trailing space
    assert not judge.outputs_match("1\r\n2\r\n", "1\n2\n")  # inner CR
    assert not judge.outputs_match("0.3333333", "0.3333333333")


def test_tolerant_comparison_rule():
    assert judge.outputs_match("1 2 \n3\n", "1 2\n3", "tolerant")
    assert judge.outputs_match("1\r\n2\r\n", "1\n2\n", "tolerant")
    assert judge.outputs_match("0.3333333", "0.3333333333", "tolerant")  # relative 1e-5
    assert judge.outputs_match("1e-12", "0", "tolerant")  # absolute 1e-9
    assert judge.outputs_match("2.0", "2", "tolerant")
    assert not judge.outputs_match("0.334", "0.333", "tolerant")
    assert not judge.outputs_match("100000000000000000001", "100000000000000000000", "tolerant")  # integers exact
    assert not judge.outputs_match("1 2\n3", "1 2 3", "tolerant")  # lines still matter
    assert not judge.outputs_match("yes", "YES", "tolerant")


def test_comparison_option_reaches_run_tests():
    code = "print('%.7f' % (1/3))\nprint('1 2 ')\nprint('x')\n"
    expected = "0.333333333\n1 2\nx\n"
    assert run(code, [""], [expected])["passing"] == [False]
    assert run(code, [""], [expected], compare="tolerant")["passing"] == [True]


def test_unicode_and_crlf():
    code = "s = input()\nprint(s.upper(), len(s))\n"
    assert run(code, ["straße ü\r\n"], ["STRASSE Ü 8"])["passing"] == [True]  # input's \r stripped by input()
    assert run("print('a\\r\\nb')", [""], ["a\nb"])["passing"] == [False]
    assert run("print('a\\r\\nb')", [""], ["a\nb"], compare="tolerant")["passing"] == [True]


def test_nonzero_exit_fails_even_when_the_output_matches():
    result = run("import sys\nprint(3)\nsys.exit(2)\n", ["1 2"], ["3"])
    assert result == {"passing": [False], "feedback": ["Input:\n1 2\nProgram's Output:\n3\nError:\nExit code 2"]}
    result = run("import sys\nprint(3)\nsys.exit('bad input')\n", [""], ["3"])
    assert result["feedback"][0] == "Input:\n\nProgram's Output:\n3\nError:\nbad input\nExit code 1"


def test_exit_and_quit_work_as_in_python():
    for code in ("print(3)\nexit()\nprint(4)", "print(3)\nquit(0)", "import sys\nprint(3)\nsys.exit(0)"):
        assert run(code, [""], ["3"])["passing"] == [True], code
    assert run("print(3)\nexit(1)", [""], ["3"])["feedback"][0].endswith("Error:\nExit code 1")


def test_os_write_output_counts_and_keeps_order_with_print():
    code = "import os, sys\nos.write(1, b'a\\n')\nprint('b', flush=True)\nos.write(1, 'é\\n'.encode())\n"
    assert run(code, [""], ["a\nb\né"])["passing"] == [True]


def test_non_utf8_output_fails_with_readable_feedback():
    result = run("import os\nos.write(1, b'ok\\xff\\xfe\\n')\n", ["1"], ["ok"])
    assert result == {"passing": [False], "feedback": [
        "Input:\n1\nProgram's Output:\nok\\xff\\xfe\nError:\nOutput is not valid UTF-8: b'ok\\xff\\xfe\\n'"]}


def test_input_past_eof_and_reading_stdin_twice():
    result = run("a = input()\nb = input()\nprint(a, b)\n", ["1\n"], ["1 2"])
    assert result["feedback"][0] == (
        "Input:\n1\nProgram's Output:\n\nError:\nTraceback (most recent call last):\n"
        '  File "solution.py", line 2, in <module>\n    b = input()\n        ^^^^^^^\n'
        "EOFError: EOF when reading a line")
    code = "import sys\nfirst = sys.stdin.read()\nsecond = sys.stdin.read()\nprint(len(first), repr(second))\n"
    assert run(code, ["1 2\n3\n"], ["6 ''"])["passing"] == [True]
    assert run("print('no input needed')", ["ignored\n" * 50000], ["no input needed"])["passing"] == [True]


def test_large_input_and_output_do_not_deadlock():
    code = "import sys\ndata = sys.stdin.read()\nsys.stdout.write(data)\n"
    big = "1234567 " * 100000 + "\n"  # 800 kB each way, far beyond a pipe buffer
    assert run(code, [big], [big])["passing"] == [True]


def test_recursion_error_and_legitimate_deep_recursion():
    result = run("def f(n):\n    return f(n + 1)\nf(0)\n", [""], ["0"])
    feedback = result["feedback"][0]
    assert result["passing"] == [False]
    assert feedback.startswith('Input:\n\nProgram\'s Output:\n\nError:\nTraceback (most recent call last):\n'
                               '  File "solution.py", line 3')
    assert "[Previous line repeated" in feedback
    assert feedback.endswith("RecursionError: maximum recursion depth exceeded")
    deep = ("import sys, threading\nsys.setrecursionlimit(10**6)\nthreading.stack_size(1 << 26)\n"
            "def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
            "threading.Thread(target=lambda: print(depth(int(input())))).start()\n")
    assert run(deep, ["200000"], ["200000"])["passing"] == [True]


def test_files_written_by_one_test_are_gone_in_the_next():
    code = "import os\nprint(os.path.exists('state.txt'))\nopen('state.txt', 'w').write('x')\n"
    assert run(code, ["", ""], ["False", "False"])["passing"] == [True, True]


def test_call_based_function_and_class_solution():
    tests = {"inputs": ["[2, 7, 11, 15]\n9", "[3, 3]\n6"], "outputs": ["[0, 1]", "[0, 1]"], "fn_name": "twoSum"}
    function = ("def twoSum(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n"
                "        if target - x in seen:\n            return (seen[target - x], i)\n        seen[x] = i\n")
    assert sandbox.run_tests(function, tests) == {"passing": [True, True], "feedback": ["", ""]}
    solution = "class Solution:\n    def twoSum(self, nums, target):\n        print('debug output is ignored')\n        return [0, 1]\n"
    assert sandbox.run_tests(solution, tests)["passing"] == [True, True]
    wrong = "class Solution:\n    def twoSum(self, nums, target):\n        return [1, 0]\n"
    assert sandbox.run_tests(wrong, tests)["feedback"][1] == (
        "Input:\n[3, 3]\n6\nProgram's Output:\n[1, 0]\nExpected Output:\n[0, 1]")


def test_call_based_object_claiming_equality_cannot_pass():
    tests = {"inputs": ["1"], "outputs": ["42"], "fn_name": "f"}
    cheat = ("class Anything:\n    def __eq__(self, other):\n        return True\n"
             "def f(x):\n    return Anything()\n")
    result = sandbox.run_tests(cheat, tests)
    assert result["passing"] == [False]
    assert "TypeError: Object of type Anything is not JSON serializable" in result["feedback"][0]
    assert "solution.py" not in result["feedback"][0].split("Error:\n")[1].split("TypeError")[0]  # no runner frames
    cheat_int = "class Liar(int):\n    def __eq__(self, other):\n        return True\ndef f(x):\n    return Liar(7)\n"
    assert sandbox.run_tests(cheat_int, tests)["passing"] == [False]


def test_call_based_types_and_tolerance():
    def check(value, expected, **options):
        code = f"def f():\n    return {value}\n"
        return sandbox.run_tests(code, {"inputs": [""], "outputs": [expected], "fn_name": "f"}, **options)["passing"][0]

    assert check("True", "true") and not check("1", "true") and not check("True", "1")
    assert check("3.0", "3") and check("{'a': [1, 'x', None]}", '{"a": [1, "x", null]}')
    assert not check("0.1 + 0.2", "0.3") and check("0.1 + 0.2", "0.3", compare="tolerant")
    assert not check("'3'", "3") and not check("[1, 2]", "[1, 2, 3]")


def test_call_based_missing_function_and_early_exit():
    tests = {"inputs": ["1"], "outputs": ["1"], "fn_name": "solve"}
    assert "KeyError: 'solve'" in sandbox.run_tests("x = 1\n", tests)["feedback"][0]
    assert "exited before solve() returned" in sandbox.run_tests("exit(0)\n", tests)["feedback"][0]


def test_run_program_raw_results():
    reports = sandbox.run_program("print(int(input()) * 2)", ["2", "x"])
    assert [r["status"] for r in reports] == ["ok", "error"]
    assert reports[0]["stdout"] == "4\n" and reports[0]["exit_code"] == 0 and reports[0]["error"] == ""
    assert reports[1]["exit_code"] == 1 and reports[1]["error"].endswith("ValueError: invalid literal for int() with base 10: 'x'\n")
    called = sandbox.run_program("def f(a, b):\n    print('hi')\n    return [a, b]\n", ['1\n"x"'], fn_name="f")
    assert called[0]["result"] == '[1, "x"]' and called[0]["stdout"] == "hi\n"
    assert sandbox.run_program("while True: pass", ["", ""], timeout=0.3)[1]["status"] == "timeout"


def test_batch_runs_concurrently_and_keeps_input_order():
    jobs = [(f"print({i})", {"inputs": [""], "outputs": [str(i if i % 3 else -1)]}) for i in range(12)]
    results = sandbox.run_tests_batch(jobs, workers=4, timeout=2)
    assert [r["passing"] for r in results] == [[bool(i % 3)] for i in range(12)]
    assert sandbox.run_tests_batch([]) == []


def test_cli_prints_a_table_and_a_summary(tmp_path):
    (tmp_path / "p.py").write_text(SUM)
    (tmp_path / "t.json").write_text(json.dumps({"inputs": ["1 2", "2 2", "x"], "outputs": ["3", "5", "0"]}))
    out = subprocess.run([sys.executable, str(ROOT / "sandbox.py"), str(tmp_path / "p.py"), str(tmp_path / "t.json"),
                          "--timeout", "2"], capture_output=True, text=True)
    lines = out.stdout.splitlines()
    assert out.returncode == 1
    assert lines[1].split()[:2] == ["0", "pass"]
    assert lines[2].split()[:3] == ["1", "wrong", "answer"] and "got '4', expected '5'" in lines[2]
    assert lines[3].split()[:2] == ["2", "error"] and "ValueError" in lines[3]
    assert lines[4].startswith("1/3 tests passed (")
    missing = subprocess.run([sys.executable, str(ROOT / "sandbox.py"), str(tmp_path / "p.py"), str(tmp_path / "none.json")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "none.json" in missing.stderr


def test_cli_help_names_the_tolerant_rule():
    out = subprocess.run([sys.executable, str(ROOT / "sandbox.py"), "--help"], capture_output=True, text=True)
    text = " ".join(out.stdout.split())
    assert out.returncode == 0
    assert "tolerant" in text and "trailing whitespace ignored" in text and "1e-5" in text and "1e-9" in text
    assert "--require-isolation" in text


@pytest.fixture
def without_bwrap(monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", None)
    monkeypatch.setattr(sandbox, "_warned", False)


def test_without_bwrap_warns_once_and_keeps_the_limits(without_bwrap, capsys):
    assert run(SUM, ["1 2"], ["3"])["passing"] == [True]
    assert run("while True: pass", [""], ["1"], timeout=0.5)["feedback"][0] == \
        "Input:\n\nTime limit exceeded (0.5 s)"
    hog = run("x = bytearray(1 << 30)\nprint(1)", [""], ["1"], memory_mb=256)["feedback"][0]
    assert hog.endswith("MemoryError")
    flood = run("print('y' * 100, end='')\nwhile True: print('y' * 1000)", [""], ["y"])["feedback"][0]
    assert flood.startswith("Input:\n\nProgram's Output:\n" + "y" * 198 + " ... ")
    assert flood.endswith("\nError:\nOutput limit exceeded (1 MiB)")  # a crash: no expected output
    warnings = capsys.readouterr().err
    assert warnings.count("WARNING") == 1 and "WITHOUT isolation" in warnings and "not installed" in warnings


def test_without_bwrap_require_isolation_refuses(without_bwrap, tmp_path):
    with pytest.raises(sandbox.SandboxError, match="isolation is required"):
        run(SUM, ["1 2"], ["3"], require_isolation=True)
    (tmp_path / "p.py").write_text(SUM)
    (tmp_path / "t.json").write_text(json.dumps({"inputs": ["1 2"], "outputs": ["3"]}))
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import sandbox; sandbox.BWRAP = None; "
            f"sys.exit(sandbox.main([{str(tmp_path / 'p.py')!r}, {str(tmp_path / 't.json')!r}, '--require-isolation']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2 and "isolation is required but unavailable" in out.stderr


def test_a_killed_runner_is_restarted_for_the_remaining_tests(without_bwrap):
    # Without bubblewrap the program can kill the process that forks it; the runner must carry on.
    code = "import os, signal\nx = input()\nif x == 'kill':\n    os.kill(os.getppid(), signal.SIGKILL)\nprint(x)\n"
    result = run(code, ["1", "kill", "2"], ["1", "kill", "2"])
    assert result["passing"] == [True, False, True]
    assert "was killed" in result["feedback"][1]


@pytest.mark.skipif(not ISOLATED, reason="bubblewrap isolation is unavailable here")
def test_isolated_programs_run_as_an_unprivileged_user_under_the_system_python():
    code = "import os, sys\nprint(os.getuid() != 0, os.getppid(), sys.executable.startswith('/usr/'), sys.flags.isolated)"
    assert sandbox.run_program(code, [""])[0]["stdout"] == "True 1 True 1\n"  # forked by pid 1 of its namespace


@pytest.mark.skipif(not ISOLATED, reason="bubblewrap isolation is unavailable here")
def test_a_warm_sandbox_takes_the_next_program_and_is_replaced_after_its_quota(monkeypatch):
    monkeypatch.setattr(sandbox, "PROGRAMS_PER_SANDBOX", 2)
    sandbox.shutdown()
    pids = [int(sandbox.run_program("import os\nprint(os.getpid())", [""] * 2)[1]["stdout"]) for _ in range(3)]
    assert pids == [3, 5, 3]  # 2 tests in a new sandbox (pids 2, 3), 2 more in the same one, then a new one
    sandbox.shutdown()


# ---------------------------------------------------------------- a benchmark's own check(candidate)

FRAC_CHECK = ("def check(candidate):\n"
              "    assert abs(candidate(1.5) - 0.5) < 1e-6\n"
              "    for x in range(3):\n"
              "        assert candidate(x + 0.25) == 0.25\n")
FRAC_TESTS = {"inputs": ["check(frac)"], "outputs": [""], "fn_name": "frac", "check": FRAC_CHECK}


def test_check_test_passes_when_check_returns():
    assert sandbox.run_tests("def frac(x):\n    return x % 1\n", FRAC_TESTS) == {"passing": [True], "feedback": [""]}


def test_check_test_feedback_shows_the_failing_assert_of_the_check_code():
    half = sandbox.run_tests("def frac(x):\n    print('called', x)\n    return 0.5\n", FRAC_TESTS)
    assert half == {"passing": [False], "feedback": [
        "Input:\ncheck(frac)\nProgram's Output:\ncalled 1.5\ncalled 0.25\nError:\nTraceback (most recent call last):\n"
        '  File "check.py", line 4, in check\n    assert candidate(x + 0.25) == 0.25\n'
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^\nAssertionError"]}
    stub = sandbox.run_tests("def frac(x):\n    return None\n", FRAC_TESTS)["feedback"][0]
    assert stub.endswith("TypeError: unsupported operand type(s) for -: 'NoneType' and 'float'")
    assert 'File "check.py", line 2, in check' in stub


def test_check_test_fails_a_program_that_exits_before_the_check_or_lacks_the_function():
    early = sandbox.run_tests("import sys\ndef frac(x):\n    return x % 1\nsys.exit(0)\n", FRAC_TESTS)
    assert early["passing"] == [False] and early["feedback"][0].endswith("The program exited before check() returned")
    assert "KeyError: 'frac'" in sandbox.run_tests("def other(x):\n    return x % 1\n", FRAC_TESTS)["feedback"][0]
    with pytest.raises(ValueError, match="needs the fn_name"):
        sandbox.run_program("pass", [""], check=FRAC_CHECK)
