"""The client of ``hygis serve``: what the ``hygis`` command does first, with the standard library alone.

:func:`forward` hands a command to a running server of this user, for this hygis code, Python and
``HYGIS_*`` settings (the socket's name says which: :func:`socket_path`), and returns its exit
status; when no server answers it returns None and the command runs in its own process as before.
:func:`status` and :func:`stop` ask the running servers. The protocol (a length-prefixed JSON
request with the caller's standard streams passed as file descriptors; the command's pid, then its
exit status) and the sockets' private folder are defined here, once, for both sides.

The socket's folder is the user's alone (0700, owner checked; never a folder another user could have
made first), and the client checks the server's user id (``SO_PEERCRED``) before it sends its
environment and terminal.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import json
import os
import signal
import socket
import stat
import struct
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hygis import settings

#: Environment variables that change what hygis computes when read at import time: a server only
#: answers callers whose values are its own.
_SETTINGS_PREFIXES = ("HYGIS_", "PROJ_", "GDAL_", "SHAPE_", "CPL_")

#: Set to 0 to never use a server (a command then always runs in its own process).
ENV_USE = "HYGIS_SERVER"

#: A request or answer: its length, then JSON.
HEADER = struct.Struct("!I")
#: The command's pid, then its exit status.
STATUS = struct.Struct("!i")
_MAX_PATH = 100  # sockaddr_un holds 108 bytes
#: What a command's process sends instead of its pid when it cannot run the command (the caller's
#: folder is not there for it): the caller then runs the command itself.
DECLINED = -1


class ServerError(RuntimeError):
    """``hygis serve`` cannot start or answer (the message says why and what to do)."""


class AlreadyRunning(ServerError):
    """A server for this code and settings already runs."""


# --------------------------------------------------------------------------- where
def _settings() -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in os.environ.items() if k.startswith(_SETTINGS_PREFIXES) and k != ENV_USE)


def build_id() -> str:
    """What a server must share with its callers: hygis's code and its tables and layers (files,
    sizes, times: a server has read the rules once), Python, settings."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # hygis/, not hygis/serve/
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{package}\0{sys.executable}\0{sys.version}\0".encode())
    for root in (package, os.fspath(settings.DATA_DIR), os.fspath(settings.LAYERS_DIR)):
        for stamp in sorted(_stamps(root)):
            h.update(stamp.encode())
    h.update(json.dumps(_settings()).encode())
    return h.hexdigest()


def _stamps(folder: str) -> list[str]:
    """``path size mtime`` of every file under ``folder`` but caches (os.scandir: every command asks)."""
    out: list[str] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return out
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                out += _stamps(entry.path)
        elif not entry.name.endswith(".pyc"):
            try:
                st = entry.stat()
            except OSError:
                continue
            out.append(f"{entry.path}\0{st.st_size}\0{st.st_mtime_ns}\0")
    return out


def _not_private(folder: Path) -> str | None:
    """Why ``folder`` is not a private folder of this user (None when it is: ours, 0700, no link)."""
    try:
        st = os.lstat(folder)
    except OSError as exc:
        return f"{folder}: {exc.strerror or exc}"
    if not stat.S_ISDIR(st.st_mode):
        return f"{folder} is not a folder (a link or a file)"
    if st.st_uid != os.getuid():
        return f"{folder} belongs to another user (uid {st.st_uid})"
    if st.st_mode & 0o077:
        return f"{folder} can be entered or written by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _private_base() -> Path:
    """Where the sockets go when the cache folder's path is too long for a socket address:
    ``$XDG_RUNTIME_DIR/hygis`` (the user's own, by the login manager), else ``hygis-UID`` in the
    temporary folder, which this user must have made (0700); a folder another user made first
    there is refused."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and _not_private(Path(runtime)) is None:
        return Path(runtime) / "hygis"
    return Path(os.environ.get("TMPDIR") or "/tmp") / f"hygis-{os.getuid()}"


def server_dir() -> Path:
    """The folder of this user's server sockets: in the cache folder, or a private folder when the
    cache path is too long for a socket address (see :func:`private_server_dir`)."""
    folder = settings.cache_dir() / "server"
    if len(os.fsencode(folder)) > _MAX_PATH - 24:
        digest = hashlib.blake2b(os.fsencode(settings.cache_dir()), digest_size=6).hexdigest()
        folder = _private_base() / digest
    return folder


def private_server_dir() -> Path:
    """:func:`server_dir`, made if missing (mode 0700) and checked to be this user's alone.

    Raises
    ------
    ServerError
        When the folder, or the private folder it is in, is another user's or open to others:
        a server there could be replaced by another user's.
    """
    folder = server_dir()
    cache = settings.cache_dir() / "server"
    steps = [folder] if folder == cache else [folder.parent, folder]
    for step in steps:
        with contextlib.suppress(FileExistsError):
            step.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(step, 0o700)
        why = _not_private(step)
        if why is not None:
            msg = (
                f"hygis serve: {why}: the server's socket must be where no other user can write. "
                "Remove that folder (or set XDG_RUNTIME_DIR, or a shorter HYGIS_CACHE_DIR), "
                "then start it again."
            )
            raise ServerError(msg)
    return folder


def socket_path() -> Path:
    """The socket of a server for this code and these settings (see :func:`build_id`)."""
    return server_dir() / f"{build_id()}.sock"


def log_path() -> Path:
    """Where a detached server writes what it does."""
    return settings.cache_dir() / "server.log"


# --------------------------------------------------------------------------- asking a server
def peer_uid(conn: socket.socket, path: Path | None = None) -> int:
    """The user id of the process at the other end of ``conn`` (``SO_PEERCRED``; elsewhere the
    owner of the socket file ``path``, in a folder only this user can write)."""
    if hasattr(socket, "SO_PEERCRED"):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", creds)[1]
    return os.lstat(path).st_uid if path is not None else -1


def _connect(path: Path, timeout: float | None = None) -> socket.socket | None:
    """A connection to the server at ``path``; None when none answers or it is not this user's."""
    if _not_private(path.parent) is not None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(path))
        if peer_uid(sock, path) != os.getuid():  # never our environment and terminal to another user
            sock.close()
            return None
    except OSError:
        sock.close()
        return None
    return sock


def send(sock: socket.socket, message: dict, fds: Sequence[int] = ()) -> None:
    body = json.dumps(message).encode()
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([HEADER.pack(len(body)) + body], ancillary)


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def forward(argv: Sequence[str]) -> int | None:
    """Run ``hygis ARGV`` in a running server; its exit status, or None when no server answers.

    The caller's standard streams, working directory, umask and environment go with the command;
    Ctrl-C is passed on to it.
    """
    if os.environ.get(ENV_USE, "1") == "0" or not hasattr(socket, "AF_UNIX"):
        return None
    try:
        cwd = os.getcwd()  # a deleted folder: the command runs here, which says so
        path = socket_path()
    except OSError:
        return None
    if not path.exists():
        return None
    sock = _connect(path, timeout=2.0)
    if sock is None:
        return None
    umask = os.umask(0)
    os.umask(umask)
    stream = sys.stdout
    message = {
        "command": "run",
        "argv": list(argv),
        "cwd": cwd,
        "env": dict(os.environ),
        "umask": umask,
        "encoding": [getattr(stream, "encoding", None) or "utf-8", getattr(stream, "errors", None)],
    }
    # Ctrl-C from the moment the command is sent goes to the child that runs it (kept until its
    # pid is known): the caller must never be left with a command still running elsewhere.
    child = 0
    pending: list[int] = []

    def pass_on(signum: int, _frame: Any) -> None:
        if not child:
            pending.append(signum)
            return
        try:
            os.kill(child, signum)
        except OSError:
            pass

    caught = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {signum: signal.signal(signum, pass_on) for signum in caught}
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        send(sock, message, [0, 1, 2])
        # Sent: from here the command is the server's, however long it takes to start (running it
        # here too could write the same outputs twice).
        sock.settimeout(None)
        head = _recv_exact(sock, STATUS.size)
    except OSError:
        head = None
    if head is not None and STATUS.unpack(head)[0] == DECLINED:
        head = None  # the server cannot run it here (it cannot enter this folder): run it in this process
    if head is None:  # not sent, or closed before a child took it (the server stopped): it did not run
        sock.close()
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if pending:
            raise KeyboardInterrupt from None
        return None
    child = STATUS.unpack(head)[0]
    for sig in pending:
        pass_on(sig, None)
    while True:
        try:
            status = _recv_exact(sock, STATUS.size)
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
    sock.close()
    if status is None:
        print(
            f"hygis: the server's process for this command ended without a status (see {log_path()})",
            file=sys.stderr,
        )
        return 1
    return STATUS.unpack(status)[0]


def ask(path: Path, command: str) -> dict | None:
    sock = _connect(path, timeout=5.0)
    if sock is None:
        return None
    try:
        send(sock, {"command": command})
        head = _recv_exact(sock, HEADER.size)
        if head is None:
            return None
        body = _recv_exact(sock, HEADER.unpack(head)[0])
        return json.loads(body) if body else None
    except OSError:
        return None
    finally:
        sock.close()


def status() -> list[dict]:
    """Every server of this user answering under the cache directory: pid, code, started, loaded layers."""
    out = []
    folder = server_dir()
    for path in _sockets(folder):
        answer = ask(path, "status")
        if answer is None:
            _forget(path)
            continue
        answer["current"] = path == socket_path()
        out.append(answer)
    return out


def stop() -> int:
    """Stop every server of this user under the cache directory; how many were stopped."""
    stopped = 0
    folder = server_dir()
    for path in _sockets(folder):
        if ask(path, "stop") is not None:
            stopped += 1
        else:
            _forget(path)
    return stopped


def _sockets(folder: Path) -> list[Path]:
    """The servers' sockets in ``folder``; none when it is not this user's alone (nothing there is ours)."""
    if _not_private(folder) is not None:
        return []
    return sorted(folder.glob("*.sock"))


def _forget(path: Path) -> None:
    """Remove the socket of a server that died without removing it; never a live (busy) server's."""
    if lock_holder(path.with_suffix(".lock")) is None:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def lock_holder(lock: Path) -> int | None:
    """The pid of the running server that holds ``lock``, or None."""
    try:
        pid = int(lock.read_text(encoding="ascii").strip() or 0)
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except OSError:
        pass
    return pid
