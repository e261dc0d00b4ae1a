"""What a cell process may not do, and how the runner watches it (Linux).

* :func:`protect_read_only` gives the calling process its own mount namespace in which the
  given paths (the result store and the published boards) are read-only bind mounts: writes
  and deletes there fail with ``EROFS``, while the runner, outside the namespace, writes as
  usual. Unprivileged users get the namespace through a user namespace; where the kernel allows
  neither, nothing is protected and the function says why.
* :func:`group_processes` and :func:`group_rss_mb` find a cell's process group (the cell and
  every process it started that stayed in its group) so that the runner can bound the memory of
  all of them together and kill them all when the cell ends.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY, _MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
_PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 4096 / 2**20


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _call(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def protect_read_only(paths: Iterable[str]) -> str | None:
    """Make ``paths`` read-only for this process and its children; ``None`` on success, else
    the one-line reason nothing was protected. Call it in a fresh, single-threaded child."""
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


def group_processes(pgid: int) -> list[int]:
    """The live processes of process group ``pgid`` (zombies left out)."""
    out: list[int] = []
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
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            out.append(int(name))
    return out


def group_rss_mb(pids: Iterable[int]) -> float:
    """Resident memory of ``pids`` together, in MiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * _PAGE_MB
