"""The process that runs inside the sandbox: one per program, forking once per test.

Not imported by anything: sandbox.py starts it as `python -I -S -c <this file's text>` inside
bubblewrap (or, without bubblewrap, directly). Compiling the program once and forking the
running interpreter per test costs about 2 ms a test, where a fresh interpreter costs about 10.

Reads one job, JSON, from stdin until EOF:
    {"code": str, "inputs": [str], "fn_name": str | null, "timeout": float, "memory_mb": int,
     "output_limit": int, "max_processes": int | null, "sweep": bool}
Writes JSON lines to stdout: first {"ready": true}, then one per input, in order:
    {"status": "ok" | "error" | "timeout" | "output_limit", "stdout": str, "exit_code": int | null,
     "error": str, "result": str | null, "seconds": float}
`result` is the JSON of the function's return value for call-based tests (`fn_name` set).
The expected outputs never enter the sandbox: the caller compares.
"""
import builtins
import json
import linecache
import math
import os
import resource
import select
import signal
import sys
import time
import traceback

import _sitebuiltins

PROGRAM = "solution.py"  # the file name tracebacks show for the model's program
STDERR_LIMIT = 64 * 1024  # bytes of stderr kept (only shown for a non-zero exit without traceback)
FILE_LIMIT = 16 << 20  # largest file a program may write (RLIMIT_FSIZE)
OPEN_FILES = 64  # RLIMIT_NOFILE; with FILE_LIMIT this also bounds memory held in memfd files
MAX_FD = 1 << 16

# `python -S` skips the site module, which is what defines exit() and quit().
builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")


def send(message):
    data = (json.dumps(message, ensure_ascii=False) + "\n").encode()
    while data:
        data = data[os.write(1, data):]


def read_all(fd):
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def clean_traceback(exc):
    """The traceback as Python prints it, keeping only frames of the program (no runner frames)."""
    te = traceback.TracebackException.from_exception(exc)
    todo, seen = [te], set()
    while todo:  # the exception and everything chained to it
        t = todo.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if f.filename == PROGRAM])
        todo += [t.__cause__, t.__context__] + list(t.exceptions or [])
    return "".join(te.format())


def set_limit(kind, value):
    hard = resource.getrlimit(kind)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def exit_status(exc):
    """What `python prog.py` exits with after `raise SystemExit(exc.code)`."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    print(exc.code, file=sys.stderr)
    return 1


def run_child(program, text, job):
    """In the forked child: apply the limits, run the program on fds 0-2, report on fd 3, exit."""
    cpu = math.ceil(job["timeout"]) + 1  # the wall clock in the parent normally fires first
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    set_limit(resource.RLIMIT_AS, job["memory_mb"] << 20)
    set_limit(resource.RLIMIT_FSIZE, FILE_LIMIT)
    set_limit(resource.RLIMIT_NOFILE, OPEN_FILES)
    set_limit(resource.RLIMIT_CORE, 0)
    if job["max_processes"]:
        set_limit(resource.RLIMIT_NPROC, job["max_processes"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdin = sys.__stdin__ = open(0, encoding="utf-8", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)
    sys.argv = [PROGRAM]
    report, code = {"pid": os.getpid()}, 0
    try:
        scope = {"__name__": "__main__", "__file__": PROGRAM, "__builtins__": builtins}
        exec(program, scope)
        if job["fn_name"]:
            args = [json.loads(line) for line in text.splitlines() if line.strip()]
            solution = scope.get("Solution")
            fn = getattr(solution(), job["fn_name"]) if isinstance(solution, type) else scope[job["fn_name"]]
            report["result"] = json.dumps(fn(*args))
    except SystemExit as exc:
        code = exit_status(exc)
    except BaseException as exc:
        report["traceback"], code = clean_traceback(exc), 1
    try:  # what the interpreter does at exit: join threads, atexit handlers, flush
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        import atexit
        atexit._run_exitfuncs()
    except BaseException as exc:
        report.setdefault("traceback", clean_traceback(exc))
        code = code or 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = code or 120
    data = (json.dumps(report) + "\n").encode()
    while data:
        data = data[os.write(3, data):]
    os._exit(code)


def run_one(program, text, job):
    """Run the program on one input in a forked child; return the report for the parent."""
    if isinstance(program, str):  # the program did not compile: this is its traceback
        return {"status": "error", "stdout": "", "exit_code": None, "error": program, "result": None, "seconds": 0.0}
    start = time.monotonic()
    pipes = [os.pipe() for _ in range(4)]  # stdin, stdout, stderr, report channel
    child_ends = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            for target, fd in enumerate(child_ends):
                os.dup2(fd, target)
            os.closerange(4, MAX_FD)
            run_child(program, text, job)
        finally:
            os._exit(70)
    for fd in child_ends:
        os.close(fd)
    stdout, stderr, channel = pipes[1][0], pipes[2][0], pipes[3][0]
    limits = {stdout: job["output_limit"], stderr: STDERR_LIMIT, channel: job["output_limit"]}
    got = {fd: bytearray() for fd in limits}

    def take(fd):
        """Read what is there; stderr past its limit is dropped, stdout past it ends the run."""
        chunk = os.read(fd, 1 << 16)
        got[fd] += chunk[: limits[fd] + 1 - len(got[fd])]
        return chunk

    def over():
        return len(got[stdout]) > limits[stdout] or len(got[channel]) > limits[channel]

    writer, data = pipes[0][1], text.encode("utf-8", "replace")
    poll = select.poll()
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    if pidfd is not None:
        poll.register(pidfd, select.POLLIN)
    for fd in limits:
        poll.register(fd, select.POLLIN)
    os.set_blocking(writer, False)
    poll.register(writer, select.POLLOUT)
    deadline, exited = start + job["timeout"], False
    while not exited and not over() and time.monotonic() < deadline:
        wait_ms = (deadline - time.monotonic()) * 1000
        for fd, _ in poll.poll(max(0, wait_ms if pidfd is not None else min(wait_ms, 2))):
            if fd == pidfd:
                exited = True
            elif fd == writer:
                try:
                    data = data[os.write(writer, data[: 1 << 16]):]
                except BlockingIOError:
                    continue
                except OSError:  # the program closed its stdin
                    data = b""
                if not data:
                    poll.unregister(writer)
                    os.close(writer)
                    writer = None
            elif not take(fd):
                poll.unregister(fd)
        if pidfd is None and not exited:
            exited = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    seconds = time.monotonic() - start
    try:
        os.killpg(pid, signal.SIGKILL)  # the child and anything left in its process group
    except OSError:
        pass
    wait_status = os.waitpid(pid, 0)[1]
    sweep_processes(job)
    for fd in limits:  # what was written before the end; bounded, as a stray process may still write
        os.set_blocking(fd, False)
        try:
            for _ in range(64):
                if over() or not take(fd):
                    break
        except OSError:
            pass
        os.close(fd)
    for fd in (writer, pidfd):
        if fd is not None:
            os.close(fd)
    empty_working_directory()
    report = read_report(got[channel], pid)
    return judge_run(exited, over(), wait_status, got[stdout], got[stderr], report, seconds, job)


def read_report(channel, pid):
    """The child's report line; the program could write on this pipe too, so trust only its own pid."""
    report = {}
    for line in bytes(channel).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("pid") == pid:
            report = message
    return report


def judge_run(exited, over, wait_status, out, err, report, seconds, job):
    """Classify one run: ok, error (traceback, signal, exit code, bad output), timeout, output_limit."""
    code = os.waitstatus_to_exitcode(wait_status)
    out = bytes(out[: job["output_limit"]])
    result = {"status": "error", "stdout": out.decode("utf-8", "backslashreplace"),
              "exit_code": code if code >= 0 else None, "error": "",
              "result": report.get("result") if isinstance(report.get("result"), str) else None,
              "seconds": round(seconds, 4)}
    if over:
        result["status"] = "output_limit"
        result["error"] = f"Output limit exceeded ({job['output_limit'] / 2**20:g} MiB)"
    elif not exited or code == -signal.SIGXCPU:
        result["status"], result["error"] = "timeout", f"Time limit exceeded ({job['timeout']:g} s)"
    elif isinstance(report.get("traceback"), str):
        result["error"] = report["traceback"]
    elif code < 0:
        try:
            result["error"] = f"Killed by signal {signal.Signals(-code).name}"
        except ValueError:
            result["error"] = f"Killed by signal {-code}"
    elif code > 0:
        stderr = bytes(err).decode("utf-8", "backslashreplace").rstrip()
        result["error"] = (stderr + "\n" if stderr else "") + f"Exit code {code}"
    elif job["fn_name"] and result["result"] is None:
        result["error"] = f"The program exited before {job['fn_name']}() returned"
    else:
        try:
            out.decode("utf-8")
            result["status"] = "ok"
        except UnicodeDecodeError:
            result["error"] = f"Output is not valid UTF-8: {out[:200]!r}"
    return result


def sweep_processes(job):
    """Kill and reap every process the test left behind (orphans, setsid daemons, fork bombs).

    With bubblewrap we are pid 1 of a pid namespace of our own: kill(-1) reaches every other process
    in it and none outside, orphans are reparented to us, and the program cannot signal us.
    """
    if not job["sweep"] or os.getpid() != 1:
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        pass
    while True:  # reap them, and orphans that exited earlier; the next test starts with none
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def empty_working_directory():
    """Files one test wrote must not be seen by the next."""
    leftovers = os.listdir(".")
    if leftovers:
        import shutil

        for name in leftovers:
            if os.path.isdir(name) and not os.path.islink(name):
                shutil.rmtree(name, ignore_errors=True)
            else:
                try:
                    os.remove(name)
                except OSError:
                    pass


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as pid 1 we only get signals we handle: handle none
    job = json.loads(read_all(0))
    send({"ready": True})
    code = job["code"]
    linecache.cache[PROGRAM] = (len(code), None, code.splitlines(True), PROGRAM)
    try:
        program = compile(code, PROGRAM, "exec", dont_inherit=True)
    except BaseException as exc:  # SyntaxError, or e.g. RecursionError / MemoryError on absurd code
        program = clean_traceback(exc)
    for text in job["inputs"]:
        send(run_one(program, text, job))


main()
