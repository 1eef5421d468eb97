"""The process that runs inside the sandbox: it takes programs one after another, forking once per test.

Not imported by anything: sandbox.py starts it as `python -I -S -c <this file's text>` inside
bubblewrap (or, without bubblewrap, directly) and keeps it warm for many programs. Compiling a
program once and forking this interpreter per test costs about 1.5 ms of CPU a test, where a fresh
interpreter costs about 10 and a fresh sandbox about 30.

Reads jobs from stdin, each a 4-byte little-endian length and a marshal-encoded dict (they come from
sandbox.py, never from a program):
    {"code": str, "inputs": [str], "fn_name": str | None, "check": str | None (test code defining
     check(candidate), run after the program on its fn_name), "timeout": float (CPU seconds per test),
     "wall_timeout": float (wall-clock backstop per test, for programs that wait), "memory_mb": int,
     "output_limit": int, "max_processes": int, "sweep": bool (true: we are pid 1 of the sandbox's namespaces)}
For each job writes JSON lines to stdout: first {"ready": true}, then one per input, in order:
    {"status": "ok" | "error" | "timeout" | "output_limit", "stdout": str, "exit_code": int | null,
     "error": str, "result": str | null, "seconds": float}
`result` is the JSON of the function's return value for call-based tests (`fn_name` set), or
"true" once check(candidate) returned for a `check` job (HumanEval's own test code: it is executed in
the program's namespace, as HumanEval's harness does, and a failing assert is a crash whose traceback
shows the assert). Otherwise the expected outputs never enter the sandbox: the caller compares. Exits at the end of its input,
or after a job whose program left a working directory it could not empty.

Why one program cannot change what a later one sees: program code runs only in forked children,
never in this process (which only compiles it, and imports nothing but json and traceback); this
process is not dumpable, so a program can neither ptrace it nor open its /proc/1/mem or /proc/1/fd;
as pid 1 of the namespace it cannot be signalled by programs; after every test every other process
in the namespace is killed and the working directory is emptied and reset (mode, extended
attributes, times). SysV IPC, POSIX message queues and keyrings are refused by our seccomp filter,
and /proc/sys is read-only.

Only cheap modules are imported up front (json and traceback pull in `re` and cost more than a
test): `json` only for call-based programs, `traceback` and `ast` (which formatting a traceback
imports) once a program has crashed.
"""
import atexit
import builtins
import ctypes
import marshal
import os
import resource
import select
import signal
import struct
import sys
import time

import _json
import _sitebuiltins

PROGRAM = "solution.py"  # the file name tracebacks show for the model's program
CHECK = "check.py"  # ... and for a benchmark's check(candidate) code
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")  # units of the CPU times in /proc/PID/stat
STDERR_LIMIT = 64 * 1024  # bytes of stderr kept (only shown for a non-zero exit without traceback)
FILE_LIMIT = 16 << 20  # largest file a program may write (RLIMIT_FSIZE)
OPEN_FILES = 64  # RLIMIT_NOFILE; with FILE_LIMIT this also bounds memory held in memfd files
MAX_FD = 1 << 16
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 4, 38, 22, 2
# Syscalls that fail with ENOSYS: SysV shared memory, semaphores and message queues, POSIX message
# queues, keyrings. What they create outlives the process that made it (shared memory is host memory
# no limit of ours bounds; anything could be left for the next program); no solution needs them.
REFUSED_SYSCALLS = {  # platform.machine(): (AUDIT_ARCH_..., {name: number})
    "x86_64": (0xC000003E, {"shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240, "add_key": 248,
                            "request_key": 249, "keyctl": 250}),
    "aarch64": (0xC00000B7, {"shmget": 194, "semget": 190, "msgget": 186, "mq_open": 180, "add_key": 217,
                             "request_key": 218, "keyctl": 219}),
}
WORKDIR_MODE = os.stat(".").st_mode & 0o7777  # restored after every test
LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None

# The test's stdin, stdout and stderr: built once here (over fds 0-2, never used by us) rather than in
# every child, where the same fd numbers are the test's pipes by the time the program runs.
TEST_STREAMS = (open(0, encoding="utf-8", closefd=False), open(1, "w", encoding="utf-8", closefd=False),
                open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False))

# `python -S` skips the site module, which is what defines exit() and quit().
builtins.exit = _sitebuiltins.Quitter("exit", "Ctrl-D (i.e. EOF)")
builtins.quit = _sitebuiltins.Quitter("quit", "Ctrl-D (i.e. EOF)")


def to_json(value):
    """JSON of a report: a dict of str, int, float, bool and None (without importing json)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{to_json(k)}:{to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return _json.encode_basestring_ascii(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)  # int or float


def send(message):
    data = (to_json(message) + "\n").encode()
    while data:
        data = data[os.write(1, data):]


def read_exactly(fd, size):
    """`size` bytes from fd, or fewer at the end of input."""
    chunks, left = [], size
    while left and (chunk := os.read(fd, min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_job():
    """The next job from sandbox.py, or None at the end of input."""
    header = read_exactly(0, 4)
    if len(header) < 4:
        return None
    size = int.from_bytes(header, "little")
    data = read_exactly(0, size)
    return marshal.loads(data) if len(data) == size else None


def seccomp_filter(machine):
    """Classic BPF: REFUSED_SYSCALLS, and every syscall made through another ABI (i386, x32), fail
    with ENOSYS; everything else is allowed. None where we lack the syscall numbers."""
    if machine not in REFUSED_SYSCALLS:
        return None
    arch, numbers = REFUSED_SYSCALLS[machine]
    load, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    allow, refuse, x32, n = 0x7FFF0000, 0x00050000 | 38, 0x40000000, len(numbers)

    def op(code, k, jump_true=0, jump_false=0):
        return struct.pack("=HBBI", code, jump_true, jump_false, k)

    program = [op(load, 4), op(jeq, arch, 1, 0), op(ret, refuse), op(load, 0), op(jge, x32, n + 1, 0)]
    program += [op(jeq, number, n - i, 0) for i, number in enumerate(numbers.values())]
    return b"".join(program + [op(ret, allow), op(ret, refuse)])


def prctl(*args):
    if LIBC.prctl(*(ctypes.c_ulong(a) if isinstance(a, int) else a for a in args)) != 0:
        raise OSError(ctypes.get_errno(), f"prctl{args[:2]} failed")


def install_seccomp_filter():
    """Applies to us and to every process forked from us from now on (no_new_privs: no way back)."""
    program = seccomp_filter(os.uname().machine)
    if LIBC is None or program is None:
        return
    code = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(SockFprog(len(program) // 8, ctypes.addressof(code))))


def set_dumpable(flag):
    """prctl(PR_SET_DUMPABLE): when 0, processes of our uid cannot ptrace us or open /proc/PID/{mem,fd,environ}."""
    if LIBC is not None:
        prctl(PR_SET_DUMPABLE, int(flag), 0, 0, 0)


def clean_traceback(exc, job):
    """The traceback as Python prints it, keeping only frames of the program and of the check
    code (no runner frames)."""
    import linecache
    import traceback

    for name, code in ((PROGRAM, job["code"]), (CHECK, job.get("check") or "")):
        linecache.cache[name] = (len(code), None, code.splitlines(True), name)  # neither is a file
    te = traceback.TracebackException.from_exception(exc)
    todo, seen = [te], set()
    while todo:  # the exception and everything chained to it
        t = todo.pop()
        if t is None or id(t) in seen:
            continue
        seen.add(id(t))
        t.stack = traceback.StackSummary.from_list([f for f in t.stack if f.filename in (PROGRAM, CHECK)])
        todo += [t.__cause__, t.__context__] + list(t.exceptions or [])
    return "".join(te.format())


def process_limit(job):
    """RLIMIT_NPROC for the tests. Without a namespace of our own it counts every process of our uid
    (and root ignores it): then add the ones running now."""
    if job["sweep"]:
        return job["max_processes"]
    if os.geteuid() == 0 or not os.path.isdir("/proc"):
        return None
    count, uid = 0, os.getuid()
    for entry in os.scandir("/proc"):
        try:
            count += entry.name.isdigit() and entry.stat().st_uid == uid
        except OSError:
            pass
    return count + job["max_processes"]


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
    cpu = int(job["timeout"]) + 2  # the wall clock in the parent normally fires first
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    set_limit(resource.RLIMIT_AS, job["memory_mb"] << 20)
    set_limit(resource.RLIMIT_FSIZE, FILE_LIMIT)
    set_limit(resource.RLIMIT_NOFILE, OPEN_FILES)
    set_limit(resource.RLIMIT_CORE, 0)
    if job["process_limit"]:
        set_limit(resource.RLIMIT_NPROC, job["process_limit"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.stdin, sys.stdout, sys.stderr = sys.__stdin__, sys.__stdout__, sys.__stderr__ = TEST_STREAMS
    sys.argv = [PROGRAM]
    error, result, code = None, None, 0
    try:
        scope = {"__name__": "__main__", "__file__": PROGRAM, "__builtins__": builtins}
        exec(program, scope)
        if job["fn_name"]:
            import json  # already loaded by main()

            solution = scope.get("Solution")
            fn = getattr(solution(), job["fn_name"]) if isinstance(solution, type) else scope[job["fn_name"]]
            if job["checker"] is not None:
                exec(job["checker"], scope)
                scope["check"](fn)
                result = "true"
            else:
                args = [json.loads(line) for line in text.splitlines() if line.strip()]
                result = json.dumps(fn(*args))
    except SystemExit as exc:
        code = exit_status(exc)
    except BaseException as exc:
        error, code = clean_traceback(exc, job), 1
    try:  # what the interpreter does at exit: join threads, atexit handlers, flush
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
        atexit._run_exitfuncs()
    except BaseException as exc:
        error, code = error or clean_traceback(exc, job), code or 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            code = code or 120
    data = marshal.dumps((os.getpid(), error, result))
    data = len(data).to_bytes(4, "little") + data
    while data:
        data = data[os.write(3, data):]
    os._exit(code)


def run_one(program, text, job):
    """Run the program on one input in a forked child: (the report for the parent, whether we are clean again)."""
    if isinstance(program, str):  # the program did not compile: this is its traceback
        return {"status": "error", "stdout": "", "exit_code": None, "error": program, "result": None,
                "seconds": 0.0}, True
    start = time.monotonic()
    pipes = [os.pipe() for _ in range(4)]  # stdin, stdout, stderr, report channel
    child_ends = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            set_dumpable(True)  # the test's own process behaves as usual (/proc/self/fd, comm, ...)
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
    # The limit is CPU time, so a test is judged the same on a busy machine as on an idle one; a
    # program that sleeps or blocks is stopped by the wall-clock backstop instead. A program on one
    # thread cannot use `timeout` CPU seconds before `timeout` wall seconds, so the first look at
    # its CPU time is then, and each later one when it could at the earliest have used the rest.
    cpu_limit, backstop, exited = job["timeout"], start + job["wall_timeout"], False
    look_at = min(start + cpu_limit, backstop)
    while not exited and not over():
        now = time.monotonic()
        if now >= look_at:
            used = cpu_seconds(pid)
            if used >= cpu_limit or now >= backstop:
                break
            look_at = min(backstop, now + max(cpu_limit - used, 0.01))
        wait_ms = (look_at - now) * 1000
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
    clean = empty_working_directory()
    report = read_report(got[channel], pid)
    return judge_run(exited, over(), wait_status, got[stdout], got[stderr], report, seconds, job), clean


def cpu_seconds(pid):
    """User + system CPU seconds of a running process, from /proc (0.0 once it is gone: it exited)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def read_report(channel, pid):
    """The child's (traceback, result). The program can write on this pipe too: trust only its pid."""
    report, at = (None, None), 0
    while at + 4 <= len(channel):  # length-prefixed marshal frames
        size = int.from_bytes(channel[at:at + 4], "little")
        try:
            message = marshal.loads(bytes(channel[at + 4:at + 4 + size]))
        except (EOFError, ValueError, TypeError):
            break
        at += 4 + size
        if (isinstance(message, tuple) and len(message) == 3 and message[0] == pid
                and all(m is None or isinstance(m, str) for m in message[1:])):
            report = message[1:]
    return report


def judge_run(exited, over, wait_status, out, err, report, seconds, job):
    """Classify one run: ok, error (traceback, signal, exit code, bad output), timeout, output_limit."""
    code = os.waitstatus_to_exitcode(wait_status)
    out = bytes(out[: job["output_limit"]])
    result = {"status": "error", "stdout": out.decode("utf-8", "backslashreplace"),
              "exit_code": code if code >= 0 else None, "error": "",
              "result": report[1],
              "seconds": round(seconds, 4)}
    if over:
        result["status"] = "output_limit"
        result["error"] = f"Output limit exceeded ({job['output_limit'] / 2**20:g} MiB)"
    elif not exited or code == -signal.SIGXCPU:
        result["status"], result["error"] = "timeout", f"Time limit exceeded ({job['timeout']:g} s)"
    elif report[0] is not None:
        result["error"] = report[0]
    elif code < 0:
        try:
            result["error"] = f"Killed by signal {signal.Signals(-code).name}"
        except ValueError:
            result["error"] = f"Killed by signal {-code}"
    elif code > 0:
        stderr = bytes(err).decode("utf-8", "backslashreplace").rstrip()
        result["error"] = (stderr + "\n" if stderr else "") + f"Exit code {code}"
    elif job["fn_name"] and result["result"] is None:
        called = "check()" if job["checker"] is not None else f"{job['fn_name']}()"
        result["error"] = f"The program exited before {called} returned"
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
    """Leave the working directory as the next test (or program) must find it: empty, with its first
    mode, no extended attributes (or ACLs), fixed times. False if that failed (e.g. too deep a tree)."""
    try:
        os.chmod(".", WORKDIR_MODE)
        for name in os.listxattr("."):
            os.removexattr(".", name)
        stack = ["."]  # iterative: a program can nest directories far deeper than the recursion limit
        while stack:
            path = stack[-1]
            os.chmod(path, 0o700)  # the program may have made it unreadable
            subdirectories = []
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        subdirectories.append(entry.path)
                    else:
                        os.unlink(entry.path)
            if subdirectories:
                stack += subdirectories  # back to `path` once they are gone
            else:
                if path != ".":
                    os.rmdir(path)
                stack.pop()
        os.chmod(".", WORKDIR_MODE)
        os.utime(".", (0, 0))
        return True
    except OSError:
        return False


def main():
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as pid 1 we only get signals we handle: handle none
    set_dumpable(False)  # before any program runs: see the module docstring
    install_seccomp_filter()
    clean = True
    while clean and (job := read_job()) is not None:
        job["process_limit"] = process_limit(job)
        send({"ready": True})
        if job["fn_name"] and "json" not in sys.modules:
            import json  # noqa: F401  (for the children: they parse the arguments and encode the result)
        job["checker"] = compile(job["check"], CHECK, "exec", dont_inherit=True) if job.get("check") else None
        try:
            program = compile(job["code"], PROGRAM, "exec", dont_inherit=True)
        except BaseException as exc:  # SyntaxError, or e.g. RecursionError / MemoryError on absurd code
            program = clean_traceback(exc, job)
        for text in job["inputs"]:
            report, cleaned = run_one(program, text, job)
            clean = clean and cleaned  # if not, we finish this program and stop: the sandbox is retired
            if report["error"].startswith("Traceback") and "ast" not in sys.modules:
                import ast, traceback  # noqa: F401,E401  (one crash, likely more: spare the children ~20 ms)
            send(report)


main()
