"""The cell sandbox (Linux): bubblewrap builds it, a warm cell process joins it.

A cell process is forked from the runner's fork server (imports paid once), so it cannot be
started *by* ``bwrap``. Instead the runner starts, per cell, a ``bwrap`` that builds the
namespaces and holds them open with a sleeping process (:func:`start`), and the cell process,
still single-threaded, joins them (:func:`enter`) before it forks the process that runs the
agent. What the agent's process then is:

* in new user, mount, PID, IPC, UTS, network and cgroup namespaces: it sees only its own
  processes (the runner, the fork server and the evaluating process are not in its ``/proc``
  and cannot be signalled, traced or limited by it), has no network, and its mounts are
  locked (made in a namespace it holds no capability in);
* on a file system of read-only binds of what Python needs (the system's ``/usr``, ``/etc``,
  ``/sys``, the interpreter, every ``sys.path`` folder, the agent's own folder) plus a private
  ``/tmp`` of bounded size: the result store, the boards and the home folder are not there;
* without capabilities (effective, permitted, inheritable, ambient and bounding sets empty),
  with ``no_new_privs``, unable to create user namespaces, and ``/proc/sys`` read-only;
* for submitted code (profile ``agent``) under an unprivileged uid (``nobody``) when the runner
  is root, so that no file of the machine is its own; built-in agents (profile ``trusted``)
  keep the runner's uid, so that they can write the package's compilation and model caches
  (bound writable for them only).

When the cell ends the runner kills the ``bwrap``; its init is the PID namespace's init, so
every process of the cell, a double-forked daemon too, dies with it.

Where ``bwrap`` is missing or the kernel refuses user namespaces, :func:`unavailable` says why
and cells fall back to :func:`protect_read_only` (a mount namespace of their own in which the
store and the boards are read-only: a guard against accidents, not against hostile code).
``ENTROPY_GYM_SANDBOX=off`` turns the sandbox off; ``=require`` fails cells that cannot have it.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_CLONE_NEWNS = 0x00020000
_CLONE_NEWCGROUP = 0x02000000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_CAPBSET_DROP, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 1, 24, 38, 47
_PR_CAP_AMBIENT_IS_SET, _PR_CAP_AMBIENT_CLEAR_ALL = 1, 4
_PR_CAPBSET_READ, _PR_GET_NO_NEW_PRIVS = 23, 39
_LINUX_CAPABILITY_VERSION_3 = 0x20080522
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20

#: The namespaces a cell joins, the user namespace first (it grants the right to join the rest).
NAMESPACES = (
    ("user", _CLONE_NEWUSER),
    ("mnt", _CLONE_NEWNS),
    ("ipc", _CLONE_NEWIPC),
    ("uts", _CLONE_NEWUTS),
    ("net", _CLONE_NEWNET),
    ("cgroup", _CLONE_NEWCGROUP),
    ("pid", _CLONE_NEWPID),
)
#: The uid and gid submitted code runs under when the runner is root.
NOBODY = 65534
#: Profiles: ``trusted`` (built-in agents: the runner's uid, caches writable) and ``agent``
#: (submitted code: ``nobody`` under a root runner, caches read-only).
TRUSTED, AGENT = "trusted", "agent"
#: Size of a cell's private ``/tmp`` when its memory limit does not say (MiB).
DEFAULT_TMP_MB = 1024
#: Seconds the runner waits for a ``bwrap`` to report its namespaces.
START_TIMEOUT_S = 20.0
MODE_VARIABLE = "ENTROPY_GYM_SANDBOX"
MODES = ("auto", "require", "off")


class SandboxError(OSError):
    """The sandbox could not be built or entered; the message says which step failed."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"{what}: {os.strerror(err)}")


def mode() -> str:
    """``auto`` (sandbox where it works), ``require`` or ``off``: ``$ENTROPY_GYM_SANDBOX``."""
    value = os.environ.get(MODE_VARIABLE, "auto").strip().lower() or "auto"
    return value if value in MODES else "auto"


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def unavailable() -> str | None:
    """``None`` where cells can be sandboxed here, else the one-line reason they cannot
    (checked once per process by starting a throw-away sandbox)."""
    if mode() == "off":
        return f"the sandbox is turned off ({MODE_VARIABLE}=off)"
    return _probe()


@functools.lru_cache(maxsize=1)
def _probe() -> str | None:
    if not sys.platform.startswith("linux"):
        return "the sandbox needs Linux namespaces"
    if bwrap_path() is None:
        return (
            "bubblewrap is not installed (the `bwrap` command; Debian and Ubuntu: "
            "apt-get install bubblewrap)"
        )
    try:
        trial = start(AGENT, log_fd=None)
    except (OSError, ValueError) as err:
        return f"bubblewrap cannot build a sandbox here ({err})"
    trial.stop()
    return None


# -- the runner's side: build a sandbox ------------------------------------------------------
@dataclass
class Sandbox:
    """A started ``bwrap`` holding a cell's namespaces open (see the module docstring)."""

    process: subprocess.Popen[bytes]
    #: A pidfd of the sandbox's init (PID 1 inside): signalled without any pid reuse race.
    init: int
    #: Host pid of the sleeping process whose namespaces a cell joins.
    holder: int
    #: Inode of the sandbox's PID namespace (``/proc/<pid>/ns/pid``): its processes.
    pid_ns: int
    profile: str
    #: The uid and gid the joining process takes, as numbered inside the user namespace.
    uid: int
    gid: int
    #: Where a joining process starts (``/`` where that folder is not in the sandbox).
    cwd: str = "/"

    def join_spec(self) -> dict[str, int | str]:
        """What :func:`enter` needs, as plain data for a child process."""
        return {
            "holder": self.holder,
            "pid_ns": self.pid_ns,
            "uid": self.uid,
            "gid": self.gid,
            "profile": self.profile,
            "cwd": self.cwd,
        }

    def processes(self) -> list[int]:
        """Live processes of the sandbox (its init and holder included)."""
        return namespace_processes(self.pid_ns)

    def stop(self) -> None:
        """Kill the sandbox's init: the kernel kills every process of its PID namespace and
        the init's exit waits for them; ``bwrap`` exits once its init has."""
        import signal

        if self.init >= 0:
            try:
                signal.pidfd_send_signal(self.init, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            os.close(self.init)
            self.init = -1
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def cache_paths() -> list[str]:
    """The package's on-disk caches (converted models, jax programs)."""
    home = os.path.expanduser("~")
    paths = [os.environ.get("ENTROPY_GYM_CACHE") or os.path.join(home, ".cache", "entropy_gym")]
    jax = os.environ.get("ENTROPY_GYM_JAX_CACHE", "")
    if jax and jax.lower() != "off":
        paths.append(jax)
    return paths


def _read_roots(extra: Iterable[str]) -> list[str]:
    """Folders bound read-only: the interpreter, ``sys.path``, the package, ``extra``."""
    import entropy_gym

    wanted = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    wanted.add(os.path.dirname(os.path.dirname(os.path.abspath(entropy_gym.__file__))))
    wanted.update(p for p in sys.path if p)
    wanted.update(extra)
    roots: set[str] = set()
    for path in wanted:
        if os.path.realpath(path) == "/":
            continue  # the whole file system is never bound
        for candidate in {os.path.abspath(path), os.path.realpath(path)}:
            if os.path.isfile(candidate):  # a zip on sys.path
                candidate = os.path.dirname(candidate)
            if os.path.isdir(candidate):
                roots.add(candidate)
    return roots_only(roots)


def roots_only(paths: Iterable[str]) -> list[str]:
    """``paths`` without those inside another of them, sorted."""
    out: list[str] = []
    for path in sorted(set(paths)):
        if not any(path == r or path.startswith(r.rstrip("/") + "/") for r in out):
            out.append(path)
    return out


def mount_args(
    profile: str, extra_read: Sequence[str] = (), writable: Sequence[str] = (), tmp_mb: int = 0
) -> list[str]:
    """``bwrap`` arguments of the sandbox's file system (see the module docstring)."""
    args: list[str] = []
    system = ["/usr", "/etc", "/sys", "/opt"]
    binds: list[str] = [p for p in system if os.path.isdir(p)]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            binds.append(top)
    caches = [p for p in cache_paths() if os.path.isdir(p)]
    if profile == AGENT:  # submitted code reads the caches, never writes them
        extra_read = [*extra_read, *caches]
    else:
        writable = [*writable, *caches]
    read = roots_only([*binds, *_read_roots(extra_read)])
    read = [p for p in read if not any(p == w or p.startswith(w + "/") for w in writable)]
    made: set[str] = {"/"}
    for path in sorted([*read, *writable], key=lambda p: p.count("/")):
        parent = os.path.dirname(path)
        chain = []
        while parent not in made:
            chain.append(parent)
            parent = os.path.dirname(parent)
        for folder in reversed(chain):  # world-searchable, whatever the host's mode
            args += ["--perms", "0755", "--dir", folder]
            made.add(folder)
        made.add(path)
    for path in read:
        args += ["--ro-bind", path, path]
    for path in writable:
        args += ["--bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for name in sorted(os.listdir("/dev")) if os.path.isdir("/dev") else []:
        if name.startswith("nvidia") or name == "dri":  # GPUs
            args += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    size = str(max(64, tmp_mb or DEFAULT_TMP_MB) * 2**20)
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    args += ["--perms", "1777", "--size", size, "--tmpfs", "/dev/shm"]
    return [*args, "--chdir", "/"]


def start(
    profile: str,
    *,
    log_fd: int | None,
    extra_read: Sequence[str] = (),
    writable: Sequence[str] = (),
    tmp_mb: int = 0,
    cwd: str = "/",
) -> Sandbox:
    """Start a sandbox of ``profile`` (its ``bwrap`` writes to ``log_fd``); the runner must
    :meth:`Sandbox.stop` it. ``extra_read`` and ``writable`` are folders bound read-only and
    writable; ``cwd`` the folder a joining process starts in (``/`` where it is not bound).
    ``OSError`` says what failed."""
    if profile not in (TRUSTED, AGENT):
        raise ValueError(f"unknown sandbox profile {profile!r}")
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxError(2, "bwrap not found")
    root = os.geteuid() == 0
    info_r, info_w = os.pipe()
    block_r, block_w = os.pipe()
    args = [
        bwrap,
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net", "--unshare-uts",
        "--unshare-cgroup-try", "--die-with-parent", "--new-session",
        "--info-fd", str(info_w), "--userns-block-fd", str(block_r),
    ]  # fmt: skip
    if root:
        args += ["--cap-drop", "ALL"]
    args += mount_args(profile, extra_read, writable, tmp_mb)
    args += ["--", "sleep", "infinity"]
    out = log_fd if log_fd is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            args,
            pass_fds=(info_w, block_r),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out if log_fd is not None else subprocess.PIPE,
            start_new_session=True,  # a Ctrl-C at the terminal is the runner's to handle
        )
    finally:
        os.close(info_w)
        os.close(block_r)
    init = -1
    try:
        info = _read_info(info_r, process)
        child = int(info["child-pid"])
        init = os.pidfd_open(child)
        uid, gid = _write_maps(child, profile, root)
        os.write(block_w, b"1")
        holder = _holder(child, process)
        pid_ns = os.stat(f"/proc/{holder}/ns/pid").st_ino
    except BaseException as err:
        detail = ""
        if init >= 0:
            os.close(init)
        if process.poll() is None:
            process.kill()
        process.wait()
        if process.stderr is not None:
            lines = process.stderr.read().decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else ""
        if isinstance(err, (OSError, ValueError, KeyError)):
            raise SandboxError(0, f"{err}{': ' + detail if detail else ''}") from None
        raise
    finally:
        os.close(info_r)
        os.close(block_w)
        if process.stderr is not None:
            process.stderr.close()
    return Sandbox(process, init, holder, pid_ns, profile, uid, gid, cwd)


def _read_info(fd: int, process: subprocess.Popen[bytes]) -> dict[str, int]:
    data = b""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not data.rstrip().endswith(b"}"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise SandboxError(0, "bwrap did not report its namespaces in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            process.wait()
            raise SandboxError(0, f"bwrap exited with status {process.returncode}")
        data += chunk
    info: dict[str, int] = json.loads(data)
    return info


def _write_maps(pid: int, profile: str, root: bool) -> tuple[int, int]:
    """Map the user namespace's ids; returns the uid and gid a joining process takes."""
    if root:
        # Root inside is root outside (bwrap sets the namespace up as it, without any
        # capability left afterwards); submitted code gets nobody's ids.
        lines = "0 0 1\n" + (f"{NOBODY} {NOBODY} 1\n" if profile == AGENT else "")
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{pid}/{name}", "w") as f:
                f.write(lines)
        return (NOBODY, NOBODY) if profile == AGENT else (0, 0)
    uid, gid = os.getuid(), os.getgid()
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):  # fmt: skip
        with open(f"/proc/{pid}/{name}", "w") as f:
            f.write(text)
    return uid, gid


def _holder(init: int, process: subprocess.Popen[bytes]) -> int:
    """The sandbox's sleeping process (the child of its init), once it runs ``sleep``."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(0, f"bwrap exited with status {process.returncode}")
        try:
            with open(f"/proc/{init}/task/{init}/children") as f:
                kids = f.read().split()
            if kids:
                with open(f"/proc/{kids[0]}/comm") as f:
                    if f.read().strip() == "sleep":
                        return int(kids[0])
        except OSError:
            pass
        time.sleep(0.002)
    raise SandboxError(0, "the sandbox did not start in time")


# -- the cell's side: join a sandbox ---------------------------------------------------------
def enter(spec: dict[str, int | str]) -> None:
    """Join the sandbox of ``spec`` (:meth:`Sandbox.join_spec`) and give up every privilege.

    Call it in a single-threaded process; the PID namespace applies to the children it forks
    afterwards, so the caller forks the process that runs the agent. Raises
    :class:`SandboxError` (the process must then exit) if any step fails, including the final
    check that no capability is left."""
    libc = _libc()
    holder, expected = int(spec["holder"]), int(spec["pid_ns"])
    fds: list[tuple[str, int, int]] = []
    try:
        for name, flag in NAMESPACES:
            try:
                fds.append((name, os.open(f"/proc/{holder}/ns/{name}", os.O_RDONLY), flag))
            except FileNotFoundError:
                if name != "cgroup":
                    raise
        if os.fstat(dict((n, fd) for n, fd, _ in fds)["pid"]).st_ino != expected:
            raise SandboxError(0, "the sandbox ended before the cell could join it")
        if os.geteuid() == 0:
            os.setgroups([])
        for name, fd, flag in fds:
            _call(libc.setns(fd, flag), f"setns({name})")
            if name == "user":
                # The host's /proc is still mounted here: its user sysctls are now the
                # sandbox's. No user namespace may be created inside.
                with open("/proc/sys/user/max_user_namespaces", "w") as f:
                    f.write("0")
    finally:
        for _, fd, _ in fds:
            os.close(fd)
    os.chdir("/")
    # /proc/sys read-only: a process whose uid is root outside may not write sysctls.
    _call(libc.mount(b"/proc/sys", b"/proc/sys", None, _MS_BIND | _MS_REC, None), "bind /proc/sys")
    flags = _MS_BIND | _MS_REMOUNT | _MS_RDONLY
    _call(libc.mount(None, b"/proc/sys", None, flags, None), "remount /proc/sys read-only")
    _call(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for cap in range(last + 1):
        _call(libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0), f"drop capability {cap}")
    uid, gid = int(spec["uid"]), int(spec["gid"])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    _drop_capabilities(libc)
    _check_unprivileged(libc, last)
    try:
        os.chdir(str(spec.get("cwd") or "/"))
    except OSError:
        os.chdir("/")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _call(libc.capset(ctypes.byref(header), data), "capset")
    libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)


def _check_unprivileged(libc: ctypes.CDLL, last_cap: int) -> None:
    """Fail unless every capability set is empty and ``no_new_privs`` is on (asked of the
    kernel: this process's own ``/proc`` entry is not in the sandbox's ``/proc``)."""
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _call(libc.capget(ctypes.byref(header), data), "capget")
    if any(d.effective or d.permitted or d.inheritable for d in data):
        raise SandboxError(0, "capabilities are left after dropping them")
    for cap in range(last_cap + 1):
        if libc.prctl(_PR_CAPBSET_READ, cap, 0, 0, 0) != 0:
            raise SandboxError(0, f"capability {cap} is left in the bounding set")
        if libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0:
            raise SandboxError(0, f"capability {cap} is left in the ambient set")
    if libc.prctl(_PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1:
        raise SandboxError(0, "no_new_privs is not set")


def die_with_parent() -> None:
    """``SIGKILL`` this process when its parent dies (set after the last credential change,
    which clears it)."""
    import signal

    _libc().prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


# -- the fallback: read-only paths in a mount namespace of the cell's own --------------------
def protect_read_only(paths: Iterable[str]) -> str | None:
    """Make ``paths`` read-only for this process and its children; ``None`` on success, else
    the one-line reason nothing was protected. Call it in a fresh, single-threaded child.
    A guard against accidents only: the process owns the namespace and can undo it."""
    targets = [os.path.realpath(p) for p in paths if p and os.path.exists(p)]
    if not targets:
        return None
    if os.uname().sysname != "Linux":
        return "read-only protection needs Linux mount namespaces"
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    try:
        if uid == 0:
            _call(libc.unshare(_CLONE_NEWNS), "unshare(CLONE_NEWNS)")
        else:
            _call(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare(CLONE_NEWUSER)")
            for name, text in (
                ("setgroups", "deny"),
                ("uid_map", f"{uid} {uid} 1"),
                ("gid_map", f"{gid} {gid} 1"),
            ):
                with open(f"/proc/self/{name}", "w") as f:
                    f.write(text)
        # Private first: a bind mount must never propagate back to the runner's namespace.
        _call(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "make / private")
        for path in targets:
            raw = path.encode()
            _call(libc.mount(raw, raw, None, _MS_BIND, None), f"bind {path}")
            flags = _MS_BIND | _MS_REMOUNT | _MS_RDONLY
            _call(libc.mount(raw, raw, None, flags, None), f"remount {path} read-only")
    except OSError as err:
        return f"the store and boards are not write-protected in the cell ({err.strerror})"
    return None


# -- the runner's watch: a cell's processes --------------------------------------------------
def group_processes(pgid: int) -> list[int]:
    """The live processes of process group ``pgid`` (zombies left out)."""
    return [pid for pid, fields in _stats() if int(fields[2]) == pgid]


def namespace_processes(pid_ns: int) -> list[int]:
    """The live processes of the PID namespace whose inode is ``pid_ns``."""
    out = []
    for pid, _ in _stats():
        try:
            if os.stat(f"/proc/{pid}/ns/pid").st_ino == pid_ns:
                out.append(pid)
        except OSError:
            continue
    return out


def _stats() -> list[tuple[int, list[bytes]]]:
    """``(pid, fields of /proc/pid/stat after the command)`` of every live process."""
    out: list[tuple[int, list[bytes]]] = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return out
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2 :].split()
        if len(fields) > 2 and fields[0] != b"Z":
            out.append((int(name), fields))
    return out


def group_rss_mb(pids: Iterable[int]) -> float:
    """Memory of ``pids`` together, in MiB: their proportional set size (a page that several
    of them share, as a forked process shares its parent's, counts once in all), or their
    resident set size where the kernel does not report it."""
    total_kb = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                for line in f:
                    if line.startswith(b"Pss:"):
                        total_kb += int(line.split()[1])
                        break
            continue
        except (OSError, IndexError, ValueError):
            pass
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total_kb += int(f.read().split()[1]) * _PAGE_MB * 1024
        except (OSError, IndexError, ValueError):
            continue
    return total_kb / 1024
