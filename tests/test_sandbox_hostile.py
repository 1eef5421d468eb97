"""The hostile battery: programs that attack the runner or the host must be contained.

Each test asserts the exact outcome the program gets and that the host is unchanged afterwards: no
process left (programs name their processes "cbt-..." so an escaped one would be found), no child
of ours left, a victim file outside the sandbox intact, the host's mount table and /dev/shm as before.
Runs where bubblewrap works (CI runs it as root, the case that needs the most care).
"""
import os
import socket
from pathlib import Path

import pytest

import sandbox

pytestmark = pytest.mark.skipif(sandbox._isolation_problem(sandbox.BWRAP) is not None,
                                reason="bubblewrap isolation is unavailable here")
ROOT = Path(__file__).resolve().parent.parent
NAME = "open('/proc/self/comm', 'w').write('cbt-hostile')\n"  # lets the test find any process left behind


def processes_named_cbt():
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().startswith("cbt-"):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def our_children():
    children = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children |= {int(pid) for pid in (task / "children").read_text().split()}
        except OSError:
            pass
    return children


@pytest.fixture
def host(tmp_path):
    """A victim file outside the sandbox; afterwards, checks that nothing on the host changed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("original")
    shm = Path(f"/dev/shm/cbt-victim-{os.getpid()}")
    shm.write_text("original")
    mounts, children = Path("/proc/self/mounts").read_text(), our_children()
    yield victim
    assert processes_named_cbt() == []  # also none in the sandboxes kept warm
    sandbox.shutdown()
    assert our_children() <= children
    assert victim.read_text() == "original" and shm.read_text() == "original"
    assert Path("/proc/self/mounts").read_text() == mounts
    shm.unlink()


def run(code, inputs, outputs, **options):
    return sandbox.run_tests(code, {"inputs": inputs, "outputs": outputs}, **options)


def timed_out(test_input="", expected="1", limit="0.5"):
    return f"Input:\n{test_input}\nTime limit exceeded ({limit} s)"  # the expected output is never shown


def test_infinite_loop_and_sleep_time_out(host):
    assert run(NAME + "while True:\n    pass\n", [""], ["1"], timeout=0.5)["feedback"] == [timed_out()]
    assert run(NAME + "import time\ntime.sleep(60)\n", [""], ["1"], timeout=0.5)["feedback"] == [timed_out()]


def test_fork_bomb_through_os_fork_hits_the_process_limit(host):
    result = run(NAME + "import os\nwhile True:\n    os.fork()\n", ["", ""], ["1", "1"], timeout=3)
    assert result["passing"] == [False, False]
    for feedback in result["feedback"]:
        assert feedback.endswith("BlockingIOError: [Errno 11] Resource temporarily unavailable")


def test_fork_bomb_through_posix_fork_that_ignores_errors_times_out(host):
    code = NAME + "import posix\nwhile True:\n    try:\n        posix.fork()\n    except OSError:\n        pass\n"
    assert run(code, ["", ""], ["1", "1"], timeout=0.5)["feedback"] == [timed_out(), timed_out()]


def test_orphan_that_outlives_its_parent_is_killed(host):
    code = NAME + "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nprint(input())\n"
    assert run(code, ["1", "2"], ["1", "2"])["passing"] == [True, True]


def test_setsid_daemon_is_killed(host):
    code = NAME + ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                   "        time.sleep(60)\n    os._exit(0)\nprint(input())\n")
    assert run(code, ["1", "2"], ["1", "2"])["passing"] == [True, True]


def test_killing_the_parent_or_everything_does_not_break_the_runner(host):
    # Our runner is pid 1 of the sandbox's namespace: signals from the program do not reach it.
    for attack in ("os.kill(os.getppid(), signal.SIGKILL)", "os.kill(os.getppid(), signal.SIGSTOP)",
                   "os.kill(os.getppid(), signal.SIGINT)", "os.kill(-1, signal.SIGKILL)", "os.killpg(1, signal.SIGKILL)"):
        code = NAME + ("import os, signal, time\nif os.fork() == 0:\n    time.sleep(60)\n"
                       f"time.sleep(0.01)\n{attack}\nprint(input())\n")
        assert run(code, ["1", "2"], ["1", "2"], timeout=2)["passing"] == [True, True], attack


def test_memory_hog_one_big_allocation_and_slow_growth(host):
    big = run(NAME + "x = bytearray(2 ** 31)\nprint(1)\n", [""], ["1"], memory_mb=256)
    assert big["feedback"][0].endswith("    x = bytearray(2 ** 31)\n        ^^^^^^^^^^^^^^^^^^\nMemoryError")
    slow = run(NAME + "chunks = []\nwhile True:\n    chunks.append(b'x' * 10 ** 6)\n", [""], ["1"], memory_mb=256, timeout=4)
    assert slow["feedback"][0].endswith("MemoryError")


def test_endless_output_is_cut_at_the_output_limit(host):
    code = NAME + "while True:\n    print('y' * 1000)\n"
    assert run(code, [""], ["y"])["feedback"] == [f"Input:\n\nProgram's Output:\n{'y' * 198} ... {'y' * 197}\n"
                                                  "Error:\nOutput limit exceeded (1 MiB)"]
    report = sandbox.run_program(code, [""])[0]
    assert report["status"] == "output_limit" and len(report["stdout"]) <= sandbox.OUTPUT_LIMIT


def test_writing_and_deleting_outside_the_sandbox_fails(host):
    targets = [str(host), str(ROOT / "sandbox.py"), "/usr/cbt-victim", "/etc/cbt-victim", "/cbt-victim",
               f"/dev/shm/cbt-victim-{os.getpid()}", "/proc/cbt-victim"]
    code = NAME + f"import os\nfor path in {targets!r}:\n" + (
        "    try:\n        open(path, 'a').write('pwned')\n        print('wrote')\n"
        "    except OSError as e:\n        print(type(e).__name__, e.errno)\n"
        "    try:\n        os.remove(path)\n        print('removed')\n"
        "    except OSError as e:\n        print(type(e).__name__, e.errno)\n")
    expected = ["FileNotFoundError 2"] * 4 + ["OSError 30"] * 8 + ["FileNotFoundError 2"] * 2  # 30: read-only
    assert sandbox.run_program(code, [""])[0]["stdout"].split("\n")[:-1] == expected
    assert (ROOT / "sandbox.py").read_text().startswith('"""Run untrusted Python programs')


def test_reading_secrets_and_the_parent_environment_fails(host, monkeypatch):
    monkeypatch.setenv("COBALT_TEST_SECRET", "hunter2")
    code = NAME + ("import os\nfor path in ['/etc/shadow', '/root', '/home', '/run', '/var/run', '/sys', '/work']:\n"
                   "    try:\n        os.listdir(path) if os.path.isdir(path) else open(path).read()\n"
                   "        print(path, 'readable')\n    except OSError as e:\n        print(path, type(e).__name__)\n"
                   "print(sorted(os.listdir('/')))\n"
                   "try:\n    open(f'/proc/{os.getppid()}/environ', 'rb').read()\n"  # the runner is not dumpable
                   "except OSError as e:\n    print(type(e).__name__)\n"
                   "seen = repr(dict(os.environ)) + open('/proc/self/environ').read()\n"
                   "print('hunter2' in seen, 'COBALT' in seen, os.getuid())\n")
    root = sorted({"dev", "etc", "proc", "tmp", "usr"} | {d for d in ("bin", "lib", "lib32", "lib64", "sbin")
                                                         if os.path.lexists("/" + d)})
    uid = 65534 if os.geteuid() == 0 else os.geteuid()
    assert sandbox.run_program(code, [""])[0]["stdout"] == "".join(
        f"{p} FileNotFoundError\n" for p in ["/etc/shadow", "/root", "/home", "/run", "/var/run", "/sys", "/work"]
    ) + f"{root}\nPermissionError\nFalse False {uid}\n"


def test_no_network_tcp_to_localhost_or_host_unix_sockets(host, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    unix_path = str(tmp_path / "host.sock")
    unix_listener = socket.socket(socket.AF_UNIX)
    unix_listener.bind(unix_path)
    unix_listener.listen()
    abstract = f"\0cbt-abstract-{os.getpid()}"
    abstract_listener = socket.socket(socket.AF_UNIX)
    abstract_listener.bind(abstract)
    abstract_listener.listen()
    targets = [("AF_INET", ("127.0.0.1", listener.getsockname()[1])), ("AF_UNIX", unix_path), ("AF_UNIX", abstract)]
    code = NAME + f"import socket\nfor family, address in {targets!r}:\n" + (
        "    s = socket.socket(getattr(socket, family))\n    s.settimeout(0.5)\n"
        "    try:\n        s.connect(address)\n        print('connected')\n"
        "    except OSError as e:\n        print(type(e).__name__)\n")
    stdout = sandbox.run_program(code, [""])[0]["stdout"]
    assert stdout == "ConnectionRefusedError\nFileNotFoundError\nConnectionRefusedError\n"
    for s in (listener, unix_listener, abstract_listener):
        s.setblocking(False)
        with pytest.raises(BlockingIOError):  # nobody connected
            s.accept()
        s.close()


def test_mount_and_new_namespaces_through_ctypes_are_refused(host):
    code = NAME + ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                   "print(libc.mount(b'tmpfs', b'/tmp', b'tmpfs', 0, None), ctypes.get_errno())\n"
                   "print(libc.mount(b'/', b'/usr', None, 0x1000 | 0x20, None))\n"  # remount read-write
                   "print(libc.unshare(0x10000000))\n"  # a new user namespace would bring capabilities back
                   "print(open('/proc/self/status').read().split('CapEff:')[1].split()[0])\n")
    assert sandbox.run_program(code, [""])[0]["stdout"] == "-1 1\n-1\n-1\n0000000000000000\n"


def test_closing_stdout_then_looping_times_out(host):
    code = NAME + "import os, sys\nsys.stdout.close()\nos.close(1)\nos.close(2)\nwhile True:\n    pass\n"
    assert run(code, [""], ["1"], timeout=0.5)["feedback"] == [timed_out()]


def test_ignoring_alarm_and_termination_signals_does_not_help(host):
    code = NAME + ("import signal\nfor s in (signal.SIGALRM, signal.SIGTERM, signal.SIGXCPU, signal.SIGINT, signal.SIGHUP):\n"
                   "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass\n")
    assert run(code, ["", ""], ["1", "1"], timeout=0.5)["feedback"] == [timed_out(), timed_out()]


def test_file_size_and_tmp_size_limits(host):
    code = NAME + ("import os\ntry:\n    open('big', 'wb').write(b'x' * (20 << 20))\nexcept OSError as e:\n    print(e.errno)\n"
                   "os.remove('big')\ntry:\n    for i in range(8):\n        open(f'f{i}', 'wb').write(b'x' * (15 << 20))\n"
                   "except OSError as e:\n    print(e.errno, i)\n")
    assert sandbox.run_program(code, [""], memory_mb=512)[0]["stdout"] == "27\n28 4\n"  # EFBIG, then ENOSPC at 64 MiB


def test_the_runner_cannot_be_traced_or_written_through_proc(host):
    # The interpreter that forks the tests runs as the same uid as the programs, so it is made non-dumpable:
    # no ptrace, no /proc/1/mem, no /proc/1/fd/1 (its report pipe). The test's own process stays normal.
    code = NAME + ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                   "print(os.getppid(), libc.ptrace(16, 1, 0, 0), ctypes.get_errno())\n"  # PTRACE_ATTACH: EPERM
                   "print(libc.ptrace(0x4206, 1, 0, 0), ctypes.get_errno())\n"  # PTRACE_SEIZE
                   "for path in ('/proc/1/mem', '/proc/1/fd/1', '/proc/1/environ'):\n"
                   "    try:\n        open(path, 'r+b' if 'mem' in path else 'wb')\n        print('opened')\n"
                   "    except OSError as e:\n        print(type(e).__name__)\n"
                   "print(sorted(os.listdir('/proc/self/fd')), open('/proc/self/comm').read().strip())\n"
                   "child = os.fork()\nif child == 0:\n    os._exit(7)\nprint(os.waitpid(child, 0)[1] >> 8)\n")
    assert sandbox.run_program(code, [""])[0]["stdout"] == (
        "1 -1 1\n-1 1\nPermissionError\nPermissionError\nPermissionError\n['0', '1', '2', '3', '4'] cbt-hostile\n7\n")


def test_nothing_a_program_leaves_behind_reaches_the_next_program_in_the_same_sandbox(host):
    # Program A tries to leave state in the sandbox (files, a locked-up directory, attributes and mode of
    # the working directory, a daemon, SysV IPC, a message queue, a key, sysctls, the runner's builtins);
    # program B, run next in the same warm sandbox, must find everything as a fresh sandbox has it.
    sandbox.shutdown()
    attack = NAME + ("import builtins, ctypes, json, os, signal, sys, time\nbuiltins.print = lambda *a, **k: None\n"
                     "sys.modules['json'].dumps = lambda *a, **k: '[1]'\n"
                     "open('left.txt', 'w').write('x')\nopen('.hidden', 'w').write('x')\n"
                     "os.makedirs('a/b/c')\nopen('a/b/c/f', 'w').write('x')\nos.chmod('a/b', 0)\nos.chmod('a', 0)\n"
                     "os.setxattr('.', 'user.note', b'x')\nos.utime('.', (1, 1))\nos.chmod('.', 0o500)\n"
                     "libc = ctypes.CDLL(None, use_errno=True)\n"
                     "errors = [libc.shmget(77, 1 << 20, 0o1000 | 0o666), ctypes.get_errno(),\n"
                     "          libc.semget(77, 1, 0o1000 | 0o666), libc.msgget(77, 0o1000 | 0o666),\n"
                     "          libc.syscall(248, b'user', b'note', b'x', 1, -4), ctypes.get_errno()]\n"
                     "for name in ('kernel/pid_max', 'kernel/shmmax', 'kernel/ns_last_pid'):\n"
                     "    try:\n        open('/proc/sys/' + name, 'w').write('300')\n    except OSError as e:\n"
                     "        errors.append(e.errno)\n"
                     "os.kill(1, signal.SIGKILL)\nos.kill(1, signal.SIGSTOP)\n"
                     "if os.fork() == 0:\n    os.setsid()\n    time.sleep(60)\n"
                     "os.write(1, (repr(errors) + ' ' + str(os.getpid()) + '\\n').encode())\n")
    first = sandbox.run_program(attack, [""])[0]
    assert first["status"] == "ok", first
    errors, pid = first["stdout"].split("] ")
    assert errors == "[-1, 38, -1, -1, -1, 38, 30, 30, 30"  # ENOSYS from the seccomp filter, EROFS
    check = NAME + ("import json, os\nst = os.stat('.')\n"
                    "pids = [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, os.getpid())]\n"
                    "print(os.getpid() > PID, os.listdir('.'), oct(st.st_mode), st.st_mtime, os.listxattr('.'), pids)\n"
                    "print([len(open('/proc/sysvipc/' + k).readlines()) for k in ('shm', 'sem', 'msg')], json.dumps(2))\n"
                    "open('new.txt', 'w').write('fine')\nprint(open('new.txt').read())\n").replace("PID", pid.strip())
    second = sandbox.run_program(check, [""])[0]
    assert second["stdout"] == "True [] 0o40755 0.0 [] []\n[1, 1, 1] 2\nfine\n", second


def test_a_sandbox_that_cannot_be_cleaned_is_replaced(host):
    # A tree deeper than PATH_MAX cannot be removed by path: the sandbox finishes the program, then retires.
    sandbox.shutdown()
    deep = NAME + "import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\nprint(os.getpid())\n"
    assert sandbox.run_program(deep, [""])[0]["status"] == "ok"
    check = "import os\nprint(os.getpid(), os.listdir('.'))\n"
    assert sandbox.run_program(check, [""])[0]["stdout"] == "2 []\n"  # the first process of a new sandbox
