"""``hygis serve``: keep hygis loaded between commands, so that a warm check costs only its own work.

An office checks batch after batch of projects against the same control-line database. A new
process pays each time for Python's imports (geopandas, pyproj, the engine: ~1 s) and for
mapping the prepared layer; a server pays once. The server listens on a Unix socket in the user
cache directory and forks one child per command: the child inherits the imports, the compiled
kernel and every prepared layer already loaded, takes the caller's standard input, output and
error (passed over the socket), its working directory and environment, runs the command exactly as
``hygis`` would, and returns its exit status. What a command loaded the server then loads too, so
the next command finds it in memory.

The client side (:func:`forward`) is what the ``hygis`` command does first: it imports nothing
heavy, and when no server answers the command runs in its own process as before. A server only
answers commands of the same hygis code, Python and ``HYGIS_*`` settings: the socket's name says
which (:func:`socket_path`); a server of older code is never used and stops when idle.

Only the user who started it can use it: the socket's folder is private (0700, owned by the user,
checked, never a folder another user could have made first) and the server checks the caller's user
id (``SO_PEERCRED``); the caller checks the server's before it sends its environment and terminal.
One server per code and settings: it holds a lock file (``flock``) for its lifetime, and a second one
refuses to start, naming the first. A command whose caller has gone (terminal closed, ``kill -9``)
stops and writes nothing: its process watches the caller's connection.
"""

from __future__ import annotations

import array
import contextlib
import errno
import gc
import hashlib
import json
import os
import selectors
import signal
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hygis import settings

#: Default time a server waits for a command before stopping (s).
IDLE_TIMEOUT_S = 3600.0

#: Environment variables that change what hygis computes when read at import time: a server only
#: answers callers whose values are its own.
_SETTINGS_PREFIXES = ("HYGIS_", "PROJ_", "GDAL_", "SHAPE_", "CPL_")

#: Set to 0 to never use a server (a command then always runs in its own process).
ENV_USE = "HYGIS_SERVER"

_HEADER = struct.Struct("!I")
_STATUS = struct.Struct("!i")
_MAX_PATH = 100  # sockaddr_un holds 108 bytes
#: What a command's process sends instead of its pid when it cannot run the command (the caller's
#: folder is not there for it): the caller then runs the command itself.
_DECLINED = -1


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
    package = os.path.dirname(os.path.abspath(__file__))
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


# --------------------------------------------------------------------------- the client
def _connect(path: Path, timeout: float | None = None) -> socket.socket | None:
    """A connection to the server at ``path``; None when none answers or it is not this user's."""
    if _not_private(path.parent) is not None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(path))
        if _peer_uid(sock, path) != os.getuid():  # never our environment and terminal to another user
            sock.close()
            return None
    except OSError:
        sock.close()
        return None
    return sock


def _send(sock: socket.socket, message: dict, fds: Sequence[int] = ()) -> None:
    body = json.dumps(message).encode()
    ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
    sock.sendmsg([_HEADER.pack(len(body)) + body], ancillary)


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
        _send(sock, message, [0, 1, 2])
        # Sent: from here the command is the server's, however long it takes to start (running it
        # here too could write the same outputs twice).
        sock.settimeout(None)
        head = _recv_exact(sock, _STATUS.size)
    except OSError:
        head = None
    if head is not None and _STATUS.unpack(head)[0] == _DECLINED:
        head = None  # the server cannot run it here (it cannot enter this folder): run it in this process
    if head is None:  # not sent, or closed before a child took it (the server stopped): it did not run
        sock.close()
        for signum, handler in before.items():
            signal.signal(signum, handler)
        if pending:
            raise KeyboardInterrupt from None
        return None
    child = _STATUS.unpack(head)[0]
    for sig in pending:
        pass_on(sig, None)
    while True:
        try:
            status = _recv_exact(sock, _STATUS.size)
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
    return _STATUS.unpack(status)[0]


def _ask(path: Path, command: str) -> dict | None:
    sock = _connect(path, timeout=5.0)
    if sock is None:
        return None
    try:
        _send(sock, {"command": command})
        head = _recv_exact(sock, _HEADER.size)
        if head is None:
            return None
        body = _recv_exact(sock, _HEADER.unpack(head)[0])
        return json.loads(body) if body else None
    except OSError:
        return None
    finally:
        sock.close()


def status() -> list[dict]:
    """Every server of this user answering under the cache directory: pid, code, started, loaded layers."""
    out = []
    folder = server_dir()
    for path in sorted(folder.glob("*.sock")) if folder.exists() else []:
        answer = _ask(path, "status")
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
    for path in sorted(folder.glob("*.sock")) if folder.exists() else []:
        if _ask(path, "stop") is not None:
            stopped += 1
        else:
            _forget(path)
    return stopped


def _forget(path: Path) -> None:
    """Remove the socket of a server that died without removing it; never a live (busy) server's."""
    if _holder(path.with_suffix(".lock")) is None:
        path.unlink(missing_ok=True)


def _holder(lock: Path) -> int | None:
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


def _lock(lock: Path) -> int:
    """Take the lock of the server for this code and settings, for the life of this process.

    Returns the lock's file descriptor (kept open: the lock goes with it).

    Raises
    ------
    AlreadyRunning
        When another server holds it.
    """
    import fcntl  # noqa: PLC0415 - POSIX only, like the server

    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        pid = None
        deadline = time.monotonic() + 2.0
        while pid is None and time.monotonic() < deadline:  # the holder writes its pid just after locking
            pid = _holder(lock)
            if pid is None:
                time.sleep(0.02)
        msg = (
            f"a hygis server is already running (pid {pid if pid is not None else '?'}); "
            "stop it with: hygis serve --stop"
        )
        raise AlreadyRunning(msg) from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def log_path() -> Path:
    """Where a detached server writes what it does."""
    return settings.cache_dir() / "server.log"


# --------------------------------------------------------------------------- the server
def warm() -> None:
    """Do once what every check would do first: imports (the GeoParquet reader too), the compiled
    kernel, the plan's coordinate operations, territory, rule tables and embedded lines."""
    # What reading a GeoParquet, ordering sites and forking the engine's workers import on first use.
    import multiprocessing.popen_fork  # noqa: PLC0415
    import multiprocessing.synchronize  # noqa: F401, PLC0415

    import geopandas.io.arrow  # noqa: PLC0415
    import geopandas.tools.hilbert_curve  # noqa: F401, PLC0415
    import pyarrow.csv  # noqa: PLC0415
    import pyarrow.dataset  # noqa: PLC0415
    import pyarrow.parquet  # noqa: F401, PLC0415
    import pyogrio  # noqa: F401, PLC0415

    import hygis.cli.main  # noqa: F401, PLC0415
    from hygis.check import pipeline  # noqa: PLC0415
    from hygis.engine import kernel  # noqa: PLC0415

    kernel.warm_up()
    pipeline.warm_up()


def _peer_uid(conn: socket.socket, path: Path | None = None) -> int:
    """The user id of the process at the other end of ``conn`` (``SO_PEERCRED``; elsewhere the
    owner of the socket file ``path``, in a folder only this user can write)."""
    if hasattr(socket, "SO_PEERCRED"):
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        return struct.unpack("3i", creds)[1]
    return os.lstat(path).st_uid if path is not None else -1


def _watch_caller(conn: socket.socket, finished: threading.Event) -> None:
    """In a command's process: when the caller's connection closes before the command is done
    (its terminal closed, ``kill -9``), stop the command; no output of it is renamed into place.

    The caller sends nothing after the command: the connection becomes readable only when it closes.
    """
    from hygis.io import write  # noqa: PLC0415 - the child has it imported already

    while True:
        try:
            data = conn.recv(1)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        except OSError:
            data = b""
        if data:
            continue
        if finished.is_set():
            return
        write.abandon()
        os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C: the command stops where it is
        return


def _run_child(conn: socket.socket, message: dict, fds: list[int], report: int) -> None:
    """In the forked child: become the caller's process and run its command; never returns.

    The first number sent to the caller is this process's pid, or :data:`_DECLINED` when it cannot
    enter the caller's folder (the caller then runs the command itself); the last the exit status.
    """
    code = 1
    started = False
    finished = threading.Event()
    try:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            os.chdir(message["cwd"])
        except (OSError, KeyError, TypeError):
            return  # declined (the finally): nothing was run, nothing printed
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        for fd in fds:
            if fd > 2:
                os.close(fd)
        encoding, errors = message.get("encoding") or ["utf-8", None]
        import io  # noqa: PLC0415

        def stream(fd: int, mode: str) -> Any:
            raw = open(fd, mode + "b", buffering=0 if mode == "w" else -1, closefd=False)
            buffered = io.BufferedWriter(raw) if mode == "w" else raw
            return io.TextIOWrapper(
                buffered, encoding=encoding, errors=errors, line_buffering=os.isatty(fd) or fd == 2
            )

        sys.stdin, sys.stdout, sys.stderr = stream(0, "r"), stream(1, "w"), stream(2, "w")
        os.environ.clear()
        os.environ.update(message["env"])
        os.umask(int(message["umask"]))
        sys.argv = ["hygis", *message["argv"]]
        conn.sendall(_STATUS.pack(os.getpid()))
        started = True
        threading.Thread(target=_watch_caller, args=(conn, finished), daemon=True).start()
        import logging  # noqa: PLC0415

        logging.root.handlers.clear()
        from hygis import crs  # noqa: PLC0415
        from hygis.cli.main import cli  # noqa: PLC0415
        from hygis.engine import index  # noqa: PLC0415

        index.LOADED.clear()
        crs.SEARCHED.clear()
        try:
            cli.main(args=message["argv"], prog_name="hygis")
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if not isinstance(exc.code, int) and exc.code is not None:
                print(exc.code, file=sys.stderr)
        except KeyboardInterrupt:
            code = 130
        except BaseException:
            import traceback  # noqa: PLC0415

            traceback.print_exc()
            code = 1
        learnt = {
            "layers": sorted(set(index.LOADED)),
            "operations": [[a.to_wkt(), b.to_wkt()] for a, b in crs.SEARCHED],
        }
        try:
            os.write(report, json.dumps(learnt).encode())
        except OSError:
            pass
    finally:
        # Done: the caller closing its end from now on is the normal end, not an abandon.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        finished.set()
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except Exception:
                pass
        try:
            conn.sendall(_STATUS.pack(code if started else _DECLINED))
        except OSError:
            pass
        os._exit(0)


def serve(idle_timeout: float = IDLE_TIMEOUT_S, *, log: Any = None, ready: Any = None) -> None:
    """Run a server in this process until ``hygis serve --stop``, SIGTERM, or ``idle_timeout`` s idle.

    Parameters
    ----------
    idle_timeout : float
        Seconds without a command after which the server stops (s).
    log : file, optional
        Where to say what it does (default: standard error).
    ready : callable, optional
        Called with the socket path once the server accepts commands.

    Raises
    ------
    AlreadyRunning
        When a server for this code and settings already runs.
    ServerError
        When the sockets' folder is not this user's alone.
    """
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        msg = "hygis serve needs fork and Unix sockets (Linux, macOS); commands run in their own process here"
        raise RuntimeError(msg)
    log = log or sys.stderr

    def say(text: str) -> None:
        print(
            f"{time.strftime('%Y-%m-%dT%H:%M:%S')} hygis serve[{os.getpid()}]: {text}", file=log, flush=True
        )

    folder = private_server_dir()
    path = folder / socket_path().name
    # One server per code and settings, for its whole life: a second one started at the same
    # moment refuses here, before it could replace the first one's socket.
    lock = _lock(path.with_suffix(".lock"))
    try:
        _serve(path, lock, idle_timeout, say, ready)
    finally:
        os.close(lock)


def _serve(path: Path, lock: int, idle_timeout: float, say: Any, ready: Any) -> None:
    """:func:`serve` once the lock is held (the socket at ``path`` is then ours to replace)."""
    from hygis.engine import index  # noqa: PLC0415

    folder = path.parent
    path.unlink(missing_ok=True)  # a server that died without removing it
    warm()
    # Objects made so far are never collected: the children's collector then leaves them (and
    # the memory pages they share with the server) alone.
    gc.freeze()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    tmp = folder / f".{os.getpid()}.sock"
    tmp.unlink(missing_ok=True)
    listener.bind(os.fspath(tmp))
    os.chmod(tmp, 0o600)
    listener.listen(32)
    os.replace(tmp, path)  # the socket appears only once it accepts
    started = time.time()
    stopping = False

    def on_term(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ, None)
    reports: dict[int, bytearray] = {}
    begun: dict[int, tuple[int, float]] = {}  # report pipe -> (command number, start)
    children: set[int] = set()
    served = 0
    last = time.monotonic()
    say(f"ready on {path}")
    if ready is not None:
        ready(path)
    try:
        while not stopping:
            for key, _ in sel.select(timeout=1.0):
                if key.data is None:
                    conn, _ = listener.accept()
                    last = time.monotonic()
                    with conn:
                        if _peer_uid(conn) != os.getuid():
                            say("refused a caller of another user")
                            continue
                        request, fds = _receive(conn)
                        if request is None:
                            continue
                        if request.get("command") != "run":
                            answer = {
                                "pid": os.getpid(),
                                "socket": os.fspath(path),
                                "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
                                "commands": served,
                                "layers": index.memo_folders(),
                            }
                            body = json.dumps(answer).encode()
                            conn.sendall(_HEADER.pack(len(body)) + body)
                            if request.get("command") == "stop":
                                stopping = True
                            continue
                        r, w = os.pipe()
                        pid = os.fork()
                        if pid == 0:  # pragma: no cover - the child process
                            os.close(r)
                            os.close(lock)  # the server's alone: it is released when the server ends
                            listener.close()
                            _run_child(conn, request, fds, w)
                        os.close(w)
                        for fd in fds:
                            os.close(fd)
                        served += 1
                        children.add(pid)
                        reports[r] = bytearray()
                        begun[r] = (served, time.monotonic())
                        sel.register(r, selectors.EVENT_READ, "report")
                        say(f"command {served} (pid {pid}): hygis {' '.join(request['argv'])}")
                else:
                    fd = key.fd
                    chunk = os.read(fd, 65536)
                    if chunk:
                        reports[fd] += chunk
                        continue
                    sel.unregister(fd)
                    os.close(fd)
                    data = reports.pop(fd)
                    number, t0 = begun.pop(fd)
                    say(f"command {number} done in {time.monotonic() - t0:.2f} s")
                    learn(bytes(data), say)
                    last = time.monotonic()
            for pid in list(children):
                done, _ = os.waitpid(pid, os.WNOHANG)
                if done:
                    children.discard(pid)
            if not children and time.monotonic() - last > idle_timeout:
                say(f"idle for {idle_timeout:.0f} s: stopping")
                break
    finally:
        path.unlink(missing_ok=True)
        listener.close()
        say("stopped")


def start(idle_timeout: float = IDLE_TIMEOUT_S, wait_s: float = 900.0) -> dict:
    """Start a server in the background (detached, writing to :func:`log_path`); its status once ready.

    Raises
    ------
    RuntimeError
        When a server already runs for this code and settings, or the server could not start
        (the message says why; the log has the rest).
    """
    if not hasattr(os, "fork") or not hasattr(socket, "AF_UNIX"):
        msg = "hygis serve needs fork and Unix sockets (Linux, macOS); commands run in their own process here"
        raise RuntimeError(msg)
    private_server_dir()
    running = _ask(socket_path(), "status") if socket_path().exists() else None
    if running is not None:
        msg = f"a hygis server is already running (pid {running['pid']}); stop it with: hygis serve --stop"
        raise AlreadyRunning(msg)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the detached server
        os.close(r)
        os.setsid()
        if os.fork():
            os._exit(0)
        log_path().parent.mkdir(parents=True, exist_ok=True)
        log = open(log_path(), "a", encoding="utf-8")
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null if fd == 0 else log.fileno(), fd)
        os.chdir("/")

        def ready(_path: Path) -> None:
            # The caller may have stopped waiting (Ctrl-C): the server still serves.
            with contextlib.suppress(OSError):
                os.write(w, b"ready")
            os.close(w)

        try:
            serve(idle_timeout, log=log, ready=ready)
        except BaseException as exc:
            try:
                os.write(w, f"{'running' if isinstance(exc, AlreadyRunning) else 'error'}: {exc}".encode())
            except OSError:
                pass
            print(f"hygis serve: {exc}", file=log, flush=True)
        os._exit(0)
    os.close(w)
    os.waitpid(pid, 0)
    answer = b""
    deadline = time.monotonic() + wait_s
    sel = selectors.DefaultSelector()
    sel.register(r, selectors.EVENT_READ)
    while time.monotonic() < deadline and sel.select(timeout=deadline - time.monotonic()):
        chunk = os.read(r, 4096)
        if not chunk:
            break
        answer += chunk
    os.close(r)
    if answer.startswith(b"running: "):
        raise AlreadyRunning(answer.decode(errors="replace").removeprefix("running: "))
    if answer != b"ready":
        why = answer.decode(errors="replace").removeprefix("error: ") or f"no answer in {wait_s:.0f} s"
        msg = f"the hygis server did not start: {why} (see {log_path()})"
        raise RuntimeError(msg)
    answer_status = _ask(socket_path(), "status")
    return answer_status or {"socket": os.fspath(socket_path())}


def learn(data: bytes, say: Any) -> None:
    """Load in the server what a child's command loaded: prepared layers, coordinate operations."""
    from hygis import crs  # noqa: PLC0415
    from hygis.engine import index  # noqa: PLC0415

    try:
        learnt = json.loads(data) if data else {}
    except ValueError:
        return
    for folder in learnt.get("layers", []):
        if index.preload(folder):
            say(f"loaded {folder}")
    for src, dst in learnt.get("operations", []):
        try:
            crs.transformer(src, dst)
        except Exception:  # only a lost shortcut: the next command searches again
            continue


def _receive(conn: socket.socket) -> tuple[dict | None, list[int]]:
    conn.settimeout(5.0)
    fds = array.array("i")
    try:
        data, ancdata, _flags, _addr = conn.recvmsg(65536, socket.CMSG_SPACE(3 * fds.itemsize))
    except OSError:
        return None, []
    for level, kind, payload in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
    while len(data) >= _HEADER.size and len(data) < _HEADER.size + _HEADER.unpack(data[:4])[0]:
        more = conn.recv(65536)
        if not more:
            break
        data += more
    conn.settimeout(None)
    try:
        return json.loads(data[_HEADER.size :]), list(fds)
    except ValueError:
        return None, list(fds)
