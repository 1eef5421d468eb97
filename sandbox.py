"""Run untrusted Python programs against test cases, contained and fast.

Every stage of cobalt runs model-written programs on tests: collect and evaluate to give feedback
and pass rates, train_bandit to compute rewards. They all come here.

    python sandbox.py PROGRAM.py TESTS.json [--timeout 4] [--memory-mb 1024] [--compare exact|tolerant]
                      [--require-isolation]

TESTS.json is {"inputs": [str], "outputs": [str]} for stdin/stdout problems, plus "fn_name" for
call-based problems (each input is newline-separated JSON arguments, each output is JSON; with a
`class Solution` the call is `Solution().<fn_name>(*args)`). Prints one line per test and a
summary; exits 0 when every test passes, 1 when one fails, 2 on unreadable input.

Library (what the stages import):
    run_tests(code, test_cases, *, timeout=4.0, memory_mb=1024, compare="exact", require_isolation=False)
        -> {"passing": [bool], "feedback": [str]}      feedback is "" for a passing test, else
           "Input:\\n...\\nProgram's Output:\\n...\\nExpected Output:\\n..." (or "Error:\\n<traceback>",
           or a "Time limit exceeded (4 s)" line), each field cut to 400 characters (head ... tail)
    run_tests_batch(jobs: [(code, test_cases)], *, workers=None, **same keywords) -> [same], in order
    run_program(code, inputs, *, fn_name=None, timeout=4.0, memory_mb=1024, require_isolation=False)
        -> [{"status": "ok"|"error"|"timeout"|"output_limit", "stdout": str, "exit_code": int|None,
             "error": str, "result": str|None (JSON of the return value, call-based only), "seconds": float}]

How a program is contained. In a bubblewrap sandbox: new user, pid, network, ipc, uts and cgroup
namespaces, no capabilities, no further user namespaces, an empty environment, /usr read-only and
nothing else of the host (no /root, /home, /run, host sockets or /dev/shm), /proc/sys read-only, a
private 64 MiB tmpfs as working directory. When we are root, bubblewrap runs as uid 65534 (nobody),
so the process limit holds; programs run under the system interpreter (/usr/bin/python3, `-I -S`),
as one under /root is unreadable to that uid. Inside, one interpreter (sandbox_child.py) takes
programs one after another, compiles each once and forks a child per test, under a seccomp filter
refusing SysV IPC, POSIX message queues and keyrings; the child sets its limits (CPU time, address
space = memory_mb, 32 processes, 16 MiB files, 64 open files, no core dumps); the parent adds a
wall-clock limit, caps output at 1 MiB and after each test kills every other process in the
namespace and empties the working directory. A sandbox stays warm for up to 64 programs (starting
one costs ~30 ms of CPU, a test ~1.5 ms), is retired early after anything unexpected, and is stopped
at exit or dies with us (--die-with-parent). sandbox_child.py says why a program cannot change what
a later one sees. Expected outputs never enter the sandbox; they are compared here.
Without bubblewrap the same limits apply, but with a loud warning: the program can then read your
files and use the network (`require_isolation=True` / `--require-isolation` refuses instead), and
each program gets a fresh interpreter.
"""
import argparse
import atexit
import functools
import json
import marshal
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from judge import COMPARISONS, cut, judge
from problems import parse_test_cases

BWRAP = shutil.which("bwrap")
CHILD_SOURCE = Path(__file__).with_name("sandbox_child.py").read_text()
OUTPUT_LIMIT = 1 << 20  # bytes of stdout a program may write per test
TMP_BYTES = 64 << 20  # size of the sandbox's writable /tmp
MAX_PROCESSES = 32  # processes and threads in the sandbox, its own two included (see sandbox_child.py)
SANDBOX_UID = 65534  # nobody: the uid bubblewrap runs as when we are root
ETC_FILES = ("ld.so.cache", "localtime")  # the only files of /etc the sandbox sees
START_SECONDS = 60.0  # for the sandbox to start (a loaded machine can be slow)
WALL_FACTOR = 2.0  # a test's wall-clock backstop is this many times its CPU-time limit
GRACE_SECONDS = 3.0  # beyond a test's wall-clock backstop before we stop waiting for the sandbox itself
MESSAGE_LIMIT = 8 * OUTPUT_LIMIT + (1 << 20)  # longest report line accepted from the sandbox
STATUSES = ("ok", "error", "timeout", "output_limit")
PROGRAMS_PER_SANDBOX = 64  # programs one sandbox runs before it is replaced
MAX_IDLE = max(4, os.cpu_count() or 1)  # warm sandboxes kept between calls


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (never raised because of what a program does)."""


def _sandbox_python():
    """An interpreter the sandbox can see: the running one if it lives under /usr, else the system's."""
    for path in (os.path.realpath(sys.executable), "/usr/bin/python3"):
        if path.startswith("/usr/") and os.access(path, os.X_OK):
            return path
    return None


def _bwrap_argv():
    argv = [BWRAP, "--unshare-all", "--unshare-user", "--disable-userns", "--cap-drop", "ALL", "--die-with-parent",
            "--new-session", "--as-pid-1", "--clearenv", "--ro-bind", "/usr", "/usr"]
    for path in ("/bin", "/lib", "/lib32", "/lib64", "/sbin"):  # usually symlinks into /usr
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    for name in ETC_FILES:
        argv += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    argv += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys",  # else ipc and pid_max sysctls are writable
             "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
             "--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/tmp"]
    return argv + [_sandbox_python(), "-I", "-S", "-c", CHILD_SOURCE]


_lock = threading.Lock()  # guards _idle and _starter
_idle = []  # warm sandboxes, the most recently used last
_starter = None  # the thread that starts sandboxes (see _start)


def _start(argv, **options):
    """subprocess.Popen, called from one long-lived thread: bubblewrap's --die-with-parent fires when the
    *thread* that started it ends, and a warm sandbox outlives the worker thread that first needed it."""
    global _starter
    with _lock:
        _starter = _starter or ThreadPoolExecutor(1, thread_name_prefix="sandbox-starter")
    return _starter.submit(subprocess.Popen, argv, **options).result()


class _Sandbox:
    """One sandboxed interpreter (sandbox_child.py) that runs the programs submitted to it in turn."""

    def __init__(self, isolated):
        self.isolated, self.programs, self.workdir, options = isolated, 0, None, {}
        if isolated:
            argv, options["cwd"] = _bwrap_argv(), "/"
            if os.geteuid() == 0:
                options.update(user=SANDBOX_UID, group=SANDBOX_UID, extra_groups=[])
        else:
            self.workdir = options["cwd"] = tempfile.mkdtemp(prefix="cobalt-sandbox-")
            argv = [sys.executable, "-I", "-S", "-c", CHILD_SOURCE]
        self.stderr = tempfile.TemporaryFile()
        self.proc = _start(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, env={},
                           start_new_session=True, **options)
        self.buffer, self.scanned, self.failure, self.closed = bytearray(), 0, None, False

    def submit(self, job):
        """Send one program; True once the sandbox has taken it (if False, close it)."""
        frame = marshal.dumps(job)
        try:
            self.proc.stdin.write(len(frame).to_bytes(4, "little") + frame)
            self.proc.stdin.flush()
        except OSError:  # it has died
            return False
        self.programs += 1
        return self.next(START_SECONDS) == {"ready": True}

    def next(self, seconds):
        """The next message (a dict), or None with self.failure = "timeout" | "died" | "garbled"."""
        deadline, fd = time.monotonic() + seconds, self.proc.stdout.fileno()
        poll = select.poll()
        poll.register(fd, select.POLLIN)
        while (end := self.buffer.find(b"\n", self.scanned)) < 0:
            self.scanned = len(self.buffer)
            left = deadline - time.monotonic()
            if left <= 0 or len(self.buffer) > MESSAGE_LIMIT:
                self.failure = "timeout" if left <= 0 else "garbled"
                return None
            if poll.poll(left * 1000):
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    self.failure = "died"
                    return None
                self.buffer += chunk
        line, self.buffer, self.scanned = bytes(self.buffer[:end]), self.buffer[end + 1:], 0
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            self.failure = "garbled"
            return None
        return message

    def error_text(self):
        self.close()
        self.stderr.seek(0)
        return self.stderr.read()[-2000:].decode("utf-8", "replace").strip() or f"exit status {self.proc.returncode}"

    def close(self, wait=0.0):
        """Stop the sandbox: close its input (it then exits by itself), give it `wait` seconds, then kill it.

        Killing bubblewrap's init in the namespace kills everything in it, and bubblewrap then exits
        and reaps it. (Killing bubblewrap first would leave that init to the host's pid 1 to reap.)
        """
        if self.closed:
            return
        self.closed = True
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            for child in _children(self.proc.pid):  # bubblewrap's init, or (no bubblewrap) the test process
                for kill in (os.killpg, os.kill):
                    try:
                        kill(child, 9)
                    except OSError:
                        pass
            try:
                self.proc.wait(1.0)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)  # still alive: the pid cannot have been reused before wait()
                self.proc.wait()
        self.proc.stdout.close()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


def _acquire(job, isolated):
    """A sandbox that has taken `job`: a warm one if there is one, else a new one."""
    while True:
        with _lock:
            box = next((b for b in reversed(_idle) if b.isolated == isolated), None)
            if box is not None:
                _idle.remove(box)
        fresh, box = box is None, box or _Sandbox(isolated)
        try:
            if box.submit(job):
                return box
        except BaseException:
            box.close()
            raise
        if fresh:
            raise SandboxError(f"the sandbox did not start: {box.error_text()}")
        box.close()  # a warm one that had died (e.g. its program could not be cleaned up after): next


def _release(box):
    """Keep a sandbox that finished a program warm for the next one, or retire it."""
    if box.programs < (PROGRAMS_PER_SANDBOX if box.isolated else 1) and box.proc.poll() is None:
        with _lock:
            if len(_idle) < MAX_IDLE:
                _idle.append(box)
                return
    box.close(wait=GRACE_SECONDS)


def shutdown():
    """Stop every warm sandbox (also done at exit; the next program starts a new one)."""
    with _lock:
        boxes, _idle[:] = list(_idle), []
    for box in boxes:
        box.close(wait=GRACE_SECONDS)


def _forget_after_fork():
    """In a forked child: the parent's sandboxes and starter thread are not ours."""
    global _lock, _idle, _starter
    _lock, _idle, _starter = threading.Lock(), [], None


atexit.register(shutdown)
os.register_at_fork(after_in_child=_forget_after_fork)


def _children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return []


def _is_report(m):
    return (m.get("status") in STATUSES and isinstance(m.get("stdout"), str) and isinstance(m.get("error"), str)
            and (m.get("exit_code") is None or isinstance(m.get("exit_code"), int))
            and (m.get("result") is None or isinstance(m.get("result"), str))
            and isinstance(m.get("seconds"), (int, float)))


@functools.lru_cache(maxsize=None)
def _isolation_problem(bwrap):
    """None when bubblewrap works here, else why not (checked once per process by running a program)."""
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    if _sandbox_python() is None:
        return "no Python interpreter under /usr for the sandbox"
    try:
        report = _run("print('ok')", [""], None, 4.0, 256, isolated=True)[0]  # leaves a warm sandbox
    except SandboxError as exc:
        return f"bubblewrap failed: {exc}"
    return None if report["stdout"] == "ok\n" else f"bubblewrap failed: {report['status']} {report['error']}"


_warned = False
_warn_lock = threading.Lock()


def _isolated(require_isolation):
    global _warned
    problem = _isolation_problem(BWRAP)
    if problem is None:
        return True
    if require_isolation:
        raise SandboxError(f"isolation is required but unavailable: {problem}")
    with _warn_lock:
        if not _warned:
            _warned = True
            print(f"sandbox.py: WARNING: {problem}; programs run WITHOUT isolation. The same time, memory, "
                  "process and output limits apply, but programs can read and write your files and use the "
                  "network. Install bubblewrap, or use --require-isolation / require_isolation=True to refuse.",
                  file=sys.stderr, flush=True)
    return False


def run_program(code, inputs, *, fn_name=None, timeout=4.0, memory_mb=1024, require_isolation=False):
    """Run `code` once per input; the raw outcome of each run (see the module docstring)."""
    if not isinstance(code, str) or not all(isinstance(text, str) for text in inputs):
        raise ValueError("run_program: code and every input must be strings")
    return _run(code, inputs, fn_name, timeout, memory_mb, _isolated(require_isolation))


def _run(code, inputs, fn_name, timeout, memory_mb, isolated):
    results = []
    while len(results) < len(inputs):  # a second sandbox only if the program broke the first
        job = {"code": code, "inputs": inputs[len(results):], "fn_name": fn_name, "timeout": timeout,
               "wall_timeout": WALL_FACTOR * timeout, "memory_mb": memory_mb, "output_limit": OUTPUT_LIMIT, "max_processes": MAX_PROCESSES, "sweep": isolated}
        box = _acquire(job, isolated)
        try:
            while len(results) < len(inputs):
                report = box.next(WALL_FACTOR * timeout + GRACE_SECONDS)
                if report is None or not _is_report(report):  # stopped, killed or taken over by the program
                    status = "timeout" if box.failure == "timeout" else "error"
                    error = (f"Time limit exceeded ({timeout:g} s)" if status == "timeout"
                             else "The process running the program was killed (by the program?)")
                    results.append({"status": status, "stdout": "", "exit_code": None, "error": error,
                                    "result": None, "seconds": timeout})
                    break
                results.append(report)
            else:
                _release(box)
                box = None
        finally:
            if box is not None:
                box.close()
    return results


def run_tests(code, test_cases, *, timeout=4.0, memory_mb=1024, compare="exact", require_isolation=False):
    """Run `code` on every test: {"passing": [bool], "feedback": [str]} (see the module docstring)."""
    tests = parse_test_cases(test_cases, where="run_tests", field="test_cases")
    if compare not in COMPARISONS:
        raise ValueError(f"compare must be one of {COMPARISONS}, not {compare!r}")
    fn_name = tests.get("fn_name")
    reports = run_program(code, tests["inputs"], fn_name=fn_name, timeout=timeout, memory_mb=memory_mb,
                          require_isolation=require_isolation)
    verdicts = [judge(r, i, o, fn_name=fn_name, compare=compare, timeout=timeout)
                for r, i, o in zip(reports, tests["inputs"], tests["outputs"])]
    return {"passing": [v[0] for v in verdicts], "feedback": [v[1] for v in verdicts]}


def run_tests_batch(jobs, *, workers=None, **options):
    """run_tests on many (code, test_cases) pairs at once, one sandbox per core; results in input order."""
    jobs = list(jobs)
    if not jobs:
        return []
    with ThreadPoolExecutor(max_workers=min(len(jobs), workers or os.cpu_count() or 1)) as pool:
        return list(pool.map(lambda job: run_tests(job[0], job[1], **options), jobs))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Run a Python program against test cases in a sandbox and print one line per test.",
        epilog="Comparisons: 'exact' (default, the paper's rule): the whole output and the expected output "
               "are equal after stripping leading and trailing whitespace. 'tolerant': compared line by line, "
               "trailing whitespace ignored, tokens equal or numbers within relative 1e-5 / absolute 1e-9.")
    parser.add_argument("program", help="the Python program (reads stdin, writes stdout)")
    parser.add_argument("tests", help='JSON file: {"inputs": [...], "outputs": [...]} (+ "fn_name" for call-based)')
    parser.add_argument("--timeout", type=float, default=4.0, help="CPU seconds per test (default 4); a test that waits is stopped after 2x that in wall-clock time")
    parser.add_argument("--memory-mb", type=int, default=1024, help="address-space limit per test in MiB (default 1024)")
    parser.add_argument("--compare", choices=COMPARISONS, default="exact",
                        help="exact: whole output equal after strip; tolerant: per line, trailing whitespace "
                             "ignored, floats within rel 1e-5 / abs 1e-9")
    parser.add_argument("--require-isolation", action="store_true",
                        help="fail instead of running without bubblewrap isolation")
    args = parser.parse_args(argv)
    try:
        code = Path(args.program).read_text()
        tests = parse_test_cases(Path(args.tests).read_text(), where=args.tests)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"sandbox.py: {exc}", file=sys.stderr)
        return 2
    try:
        reports = run_program(code, tests["inputs"], fn_name=tests.get("fn_name"), timeout=args.timeout,
                              memory_mb=args.memory_mb, require_isolation=args.require_isolation)
    except SandboxError as exc:
        print(f"sandbox.py: {exc}", file=sys.stderr)
        return 2
    passed = 0
    print(f"{'test':>4}  {'verdict':<12} {'seconds':>7}  detail")
    for i, (report, test_input, expected) in enumerate(zip(reports, tests["inputs"], tests["outputs"])):
        passing, feedback = judge(report, test_input, expected, fn_name=tests.get("fn_name"),
                                  compare=args.compare, timeout=args.timeout)
        passed += passing
        verdict = "pass" if passing else "wrong answer" if report["status"] == "ok" else report["status"]
        if passing:
            detail = ""
        elif report["status"] == "ok":
            got = report["result"] if tests.get("fn_name") else report["stdout"]
            detail = f"got {cut(got.strip(), 40)!r}, expected {cut(expected.strip(), 40)!r}"
        else:
            detail = report["error"].strip().splitlines()[-1][:100] if report["error"].strip() else ""
        print(f"{i:>4}  {verdict:<12} {report['seconds']:>7.3f}  {detail}")
    isolation = "isolated with bubblewrap" if _isolation_problem(BWRAP) is None else "NOT isolated"
    print(f"{passed}/{len(reports)} tests passed ({isolation}, compare={args.compare})")
    return 0 if passed == len(reports) else 1


if __name__ == "__main__":
    sys.exit(main())
