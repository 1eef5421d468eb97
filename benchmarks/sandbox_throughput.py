"""Tests per second of sandbox.py against the authors' design and against a bare interpreter spawn.

    python benchmarks/sandbox_throughput.py [--programs 40] [--tests 10] [--timeout 0.5]

One fixed workload: PROGRAMS programs x TESTS stdin/stdout tests (a+b): 60% correct, 20% wrong,
10% crashing, 10% looping forever on their first test (time-outs). Three executors run it, each
with one thread per core working through the programs:
  (a) ours:      sandbox.run_tests (warm bubblewrap sandboxes reused across programs, a fork per
                 test), starting with no warm sandbox and stopping them all before (b) and (c);
  (b) authors':  per test a multiprocessing Manager and worker Process, which writes the program to
                 a file and spawns bubblewrap + a fresh interpreter (the authors' design: README,
                 "Where we differ from the paper or the authors' code", "Sandbox");
  (c) floor:     per test a bare `python -I -S` spawn, no sandbox, no limits.
Prints tests/s and CPU seconds of each (CPU includes the looping programs' 4 x timeout, the
same for all three), ours / authors', and ours' time per test relative to the floor. Ours limits
CPU time (a busy machine cannot time a test out), so each looping test costs it the full timeout
of CPU: the benchmark prints the ceiling that this alone puts on ours / authors'. All three
run in the same process one after the other; on a shared machine the absolute numbers are noisy,
the ratios less so: it prints the load average before and after. Needs bubblewrap for (a) and (b).
"""
import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import sandbox  # noqa: E402

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
KINDS = {
    "correct": "a, b = map(int, input().split())\nprint(a + b)\n",
    "wrong": "a, b = map(int, input().split())\nprint(a + b + 1)\n",
    "crash": "a, b = map(int, input().split())\nprint(int('x' + str(a)))\n",
    "loop": "a, b = map(int, input().split())\nwhile a == 0:\n    pass\nprint(a + b)\n",
}


def workload(programs, tests, mix=(6, 2, 1, 1)):
    """[(code, {"inputs", "outputs"})]: kinds correct:wrong:crash:loop in the proportions `mix`; the
    first input is "0 0"."""
    cycle = [kind for kind, count in zip(KINDS, mix) for _ in range(count)]
    kinds = cycle * (programs // len(cycle) + 1)
    inputs = ["0 0\n"] + [f"{i} {2 * i + 1}\n" for i in range(1, tests)]
    outputs = [str(sum(map(int, x.split()))) for x in inputs]
    return [(KINDS[kind], {"inputs": inputs, "outputs": outputs}) for kind in kinds[:programs]]


def _authors_worker(code, test_input, timeout, results):
    """In the worker process: write the program to a file, run it in bubblewrap with a fresh interpreter."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "prog.py"
        path.write_text(code)
        argv = [sandbox.BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                "--ro-bind", str(path), "/tmp/prog.py", "--unshare-all", "--die-with-parent",
                PYTHON, "-I", "-S", "/tmp/prog.py"]
        try:
            out = subprocess.run(argv, input=test_input, capture_output=True, text=True, timeout=timeout)
            results.append(out.returncode == 0 and out.stdout)
        except subprocess.TimeoutExpired:
            results.append(False)


def authors_program(code, tests, timeout):
    passing = []
    for test_input, expected in zip(tests["inputs"], tests["outputs"]):
        with multiprocessing.Manager() as manager:
            results = manager.list()
            worker = multiprocessing.Process(target=_authors_worker, args=(code, test_input, timeout, results))
            worker.start()
            worker.join(timeout + 1)
            if worker.is_alive():
                worker.kill()
                worker.join()
            passing.append(bool(results) and results[0] is not False and results[0].strip() == expected.strip())
    return passing


def floor_program(code, tests, timeout):
    passing = []
    for test_input, expected in zip(tests["inputs"], tests["outputs"]):
        try:
            out = subprocess.run([PYTHON, "-I", "-S", "-c", code], input=test_input, capture_output=True,
                                 text=True, timeout=timeout)
            passing.append(out.returncode == 0 and out.stdout.strip() == expected.strip())
        except subprocess.TimeoutExpired:
            passing.append(False)
    return passing


def cpu_seconds():
    """CPU time of this process and of its reaped descendants."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def timed(run_one, jobs, timeout, workers):
    """(wall seconds, CPU seconds, tests passed). CPU counts every process involved, once reaped:
    hence the shutdown of our warm sandboxes (and the benchmark's own threads count too)."""
    sandbox.shutdown()  # ours starts cold
    start, cpu = time.perf_counter(), cpu_seconds()
    with ThreadPoolExecutor(workers) as pool:
        passing = list(pool.map(lambda job: run_one(job[0], job[1], timeout), jobs))
    seconds = time.perf_counter() - start
    sandbox.shutdown()
    return seconds, cpu_seconds() - cpu, sum(map(sum, passing))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", type=int, default=40, help="number of programs (default 40)")
    parser.add_argument("--tests", type=int, default=10, help="tests per program (default 10)")
    parser.add_argument("--timeout", type=float, default=0.5, help="seconds per test (default 0.5)")
    parser.add_argument("--mix", default="6:2:1:1",
                        help="proportions of correct:wrong:crashing:looping programs (default 6:2:1:1; "
                             "6:2:2:0 leaves out the time-outs, whose cost is the same for all three)")
    args = parser.parse_args()
    if sandbox._isolation_problem(sandbox.BWRAP) is not None:
        sys.exit(f"sandbox_throughput.py: needs bubblewrap: {sandbox._isolation_problem(sandbox.BWRAP)}")
    jobs, workers = workload(args.programs, args.tests, [int(x) for x in args.mix.split(":")]), os.cpu_count() or 1
    n = args.programs * args.tests
    print(f"workload: {args.programs} programs ({args.mix}) x {args.tests} tests = {n} tests, timeout {args.timeout:g} s, "
          f"{workers} worker threads, interpreter {PYTHON}")

    def ours(code, tests, timeout):
        return sandbox.run_tests(code, tests, timeout=timeout)["passing"]

    results, cpu = {}, {}
    print("load average before: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for name, run_one in (("ours", ours), ("authors", authors_program), ("floor", floor_program)):
        results[name], cpu[name], passed = timed(run_one, jobs, args.timeout, workers)
        print(f"{name:>8}: {n / results[name]:8.1f} tests/s  {1000 * results[name] / n:7.2f} ms/test (wall)  "
              f"{results[name]:6.2f} s  {cpu[name]:6.2f} CPU s  {passed} tests passed")
    print(f"ours vs authors' design: {results['authors'] / results['ours']:.1f}x the throughput (goal >= 10x), "
          f"{cpu['authors'] / cpu['ours']:.1f}x less CPU")
    loops = sum(code == KINDS["loop"] for code, _ in jobs)  # each times out on one test
    floor_s = loops * args.timeout / workers
    if loops:
        print(f"time-outs: {loops} tests x {args.timeout:g} CPU s / {workers} cores = {floor_s:.2f} s that any executor "
              f"giving each test its full CPU budget must spend; the most it can reach is "
              f"{results['authors'] / floor_s:.1f}x the authors' design on this workload")
    print(f"ours vs bare interpreter spawn: {results['ours'] / results['floor']:.2f}x its time per test "
          f"(goal <= 2x), {cpu['ours'] / cpu['floor']:.2f}x its CPU")
    print("load average after: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")  # the authors' workers are forked (the Linux default)
    main()
