"""``hygis serve``: keep hygis loaded between commands, so that a warm check costs only its own work.

An office checks batch after batch of projects against the same control-line database. A new
process pays each time for Python's imports (geopandas, pyproj, the engine: ~1 s) and for
mapping the prepared layer; a server pays once. The server listens on a Unix socket in a private
folder (:func:`hygis.serve.client.private_server_dir`) and forks one child per command: the child
inherits the imports, the compiled kernel and every prepared layer already loaded, takes the
caller's standard input, output and error (passed over the socket), its working directory and
environment, runs the command exactly as ``hygis`` would, and returns its exit status. What a
command loaded the server then loads too, so the next command finds it in memory.

The command line it runs is given to it (:func:`serve`, :func:`start`: ``command``, the ``hygis``
click group), so this module imports no CLI module. Its client is :mod:`hygis.serve.client`.

Only the user who started it can use it: it checks the caller's user id (``SO_PEERCRED``). One
server per code and settings: it holds a lock file (``flock``) for its lifetime, and a second one
refuses to start, naming the first. A command whose caller has gone (terminal closed, ``kill -9``)
stops and writes nothing: its process watches the caller's connection.
"""

from __future__ import annotations

import array
import contextlib
import errno
import gc
import json
import os
import selectors
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hygis.serve.client import (
    DECLINED,
    HEADER,
    STATUS,
    AlreadyRunning,
    ask,
    lock_holder,
    log_path,
    peer_uid,
    private_server_dir,
    socket_path,
)

#: Default time a server waits for a command before stopping (s).
IDLE_TIMEOUT_S = 3600.0


def warm() -> None:
    """Do once what every check would do first: imports (the GeoParquet reader too), the compiled
    kernel, the plan's coordinate operations, territory, rule tables and embedded lines."""
    # What reading a GeoParquet, ordering sites and starting the engine's threads import on first use.
    import concurrent.futures.thread  # noqa: F401, PLC0415

    import geopandas.io.arrow  # noqa: PLC0415
    import geopandas.tools.hilbert_curve  # noqa: F401, PLC0415
    import pyarrow.csv  # noqa: PLC0415
    import pyarrow.dataset  # noqa: PLC0415
    import pyarrow.parquet  # noqa: F401, PLC0415
    import pyogrio  # noqa: F401, PLC0415

    from hygis.check import pipeline  # noqa: PLC0415
    from hygis.engine import kernel  # noqa: PLC0415

    kernel.warm_up()
    pipeline.warm_up()


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
            pid = lock_holder(lock)
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


def _run_child(conn: socket.socket, message: dict, fds: list[int], report: int, command: Any) -> None:
    """In the forked child: become the caller's process and run its command; never returns.

    The first number sent to the caller is this process's pid, or :data:`DECLINED` when it cannot
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
        conn.sendall(STATUS.pack(os.getpid()))
        started = True
        threading.Thread(target=_watch_caller, args=(conn, finished), daemon=True).start()
        import logging  # noqa: PLC0415

        logging.root.handlers.clear()
        from hygis import crs  # noqa: PLC0415
        from hygis.engine import index  # noqa: PLC0415

        index.LOADED.clear()
        crs.SEARCHED.clear()
        try:
            command.main(args=message["argv"], prog_name="hygis")
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
            conn.sendall(STATUS.pack(code if started else DECLINED))
        except OSError:
            pass
        os._exit(0)


def serve(command: Any, idle_timeout: float = IDLE_TIMEOUT_S, *, log: Any = None, ready: Any = None) -> None:
    """Run a server in this process until ``hygis serve --stop``, SIGTERM, or ``idle_timeout`` s idle.

    Parameters
    ----------
    command : click.Group
        The ``hygis`` command line, which runs each command (given, so that this module imports
        no CLI module).
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
        _serve(command, path, lock, idle_timeout, say, ready)
    finally:
        os.close(lock)


def _serve(command: Any, path: Path, lock: int, idle_timeout: float, say: Any, ready: Any) -> None:
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
                        if peer_uid(conn) != os.getuid():
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
                            conn.sendall(HEADER.pack(len(body)) + body)
                            if request.get("command") == "stop":
                                stopping = True
                            continue
                        r, w = os.pipe()
                        pid = os.fork()
                        if pid == 0:  # pragma: no cover - the child process
                            os.close(r)
                            os.close(lock)  # the server's alone: it is released when the server ends
                            listener.close()
                            _run_child(conn, request, fds, w, command)
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


def start(command: Any, idle_timeout: float = IDLE_TIMEOUT_S, wait_s: float = 900.0) -> dict:
    """Start a server of ``command`` (see :func:`serve`) in the background, detached, writing to
    :func:`hygis.serve.client.log_path`; its status once ready.

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
    running = ask(socket_path(), "status") if socket_path().exists() else None
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
            serve(command, idle_timeout, log=log, ready=ready)
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
    answer_status = ask(socket_path(), "status")
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
    while len(data) >= HEADER.size and len(data) < HEADER.size + HEADER.unpack(data[:4])[0]:
        more = conn.recv(65536)
        if not more:
            break
        data += more
    conn.settimeout(None)
    try:
        return json.loads(data[HEADER.size :]), list(fds)
    except ValueError:
        return None, list(fds)
