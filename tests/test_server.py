"""``hygis serve``: commands run by a server give what they give in their own process, and only
for the user's own code and settings; without a server nothing changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from .check_fixtures import check_args, write_fixture
from .conftest import REPO

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the server forks (POSIX)")


def hygis(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hygis", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def served(env: dict) -> int:
    """Commands the running server has taken (from ``hygis serve --status``)."""
    out = hygis("serve", "--status", cwd=REPO, env=env).stdout
    return int(out.split(", ")[2].split()[0])


@pytest.fixture
def server(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "HYGIS_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("HYGIS_SERVER", None)
    started = hygis("serve", "--idle-timeout", "10", cwd=REPO, env=env)
    assert started.returncode == 0, started.stderr
    assert "hygis server ready" in started.stdout
    yield env
    stopped = hygis("serve", "--stop", cwd=REPO, env=env)
    assert "stopped 1" in stopped.stdout


def test_a_served_check_writes_what_its_own_process_writes(server, tmp_path):
    paths = write_fixture(tmp_path / "in")
    args = check_args(paths)
    (tmp_path / "mine").mkdir()
    for _ in range(2):  # the second with the prepared indexes cached, as the server will find them
        alone = hygis(
            *args, "--out", "report.csv", cwd=tmp_path / "mine", env={**server, "HYGIS_SERVER": "0"}
        )
        assert alone.returncode == 0, alone.stderr
    before = served(server)
    # A relative --out is the caller's folder, not the server's.
    (tmp_path / "theirs").mkdir()
    by_server = hygis(*args, "--out", "report.csv", cwd=tmp_path / "theirs", env=server)
    assert by_server.returncode == 0, by_server.stderr
    assert served(server) == before + 1
    mine = pd.read_csv(tmp_path / "mine" / "report.csv", encoding="utf-8-sig")
    theirs = pd.read_csv(tmp_path / "theirs" / "report.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(mine, theirs)
    # The caller sees the command's own messages (the GBK warning of the farmland file, the summary).
    assert by_server.stderr.replace("\r", "") == alone.stderr.replace("\r", "")
    assert "conflict" in by_server.stdout + by_server.stderr

    # The next batch: an edited farmland file is read again (a new prepared index), not the one held.
    farmland = gpd.read_file(paths["permanent_farmland"], encoding="GBK")
    farmland = farmland.to_crs("EPSG:4546").translate(20_000, 0).to_frame("geometry")  # 20 km east
    moved = tmp_path / "moved.gpkg"
    farmland.to_file(moved)
    again = hygis(*args[:4], str(moved), *args[5:], "--out", "moved.csv", cwd=tmp_path / "theirs", env=server)
    assert again.returncode == 0, again.stderr
    moved_report = pd.read_csv(tmp_path / "theirs" / "moved.csv", encoding="utf-8-sig")
    farm = moved_report[moved_report.control_line == "permanent_farmland"]
    assert (farm.overlap_ha.fillna(0) == 0).all()
    assert (mine[mine.control_line == "permanent_farmland"].overlap_ha.fillna(0) > 0).any()


def test_a_users_mistake_reaches_the_caller_with_its_exit_status(server, tmp_path):
    before = served(server)
    bad = tmp_path / "projects.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    proc = hygis("check", "--projects", str(bad), "--out", "r.csv", cwd=tmp_path, env=server)
    assert served(server) == before + 1
    assert proc.returncode == 2
    assert "projects.geojson" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.csv").exists()


def test_other_settings_or_hygis_server_0_run_in_their_own_process(server, tmp_path):
    before = served(server)
    other = {**server, "HYGIS_LAYERS_DIR": str(REPO / "layers")}  # another setting: another server's
    assert hygis("--version", cwd=tmp_path, env=other).returncode == 0
    assert hygis("--version", cwd=tmp_path, env={**server, "HYGIS_SERVER": "0"}).returncode == 0
    assert served(server) == before
    assert hygis("--version", cwd=tmp_path, env=server).returncode == 0
    assert served(server) == before + 1


def test_without_a_server_commands_run_as_before(tmp_path):
    env = {**os.environ, "HYGIS_CACHE_DIR": str(tmp_path / "cache")}
    status = hygis("serve", "--status", cwd=tmp_path, env=env)
    assert status.stdout.strip() == "no hygis server is running"
    proc = hygis("layers", cwd=tmp_path, env=env)
    assert proc.returncode == 0 and "counties" in proc.stdout
    assert "no hygis server was running" in hygis("serve", "--stop", cwd=tmp_path, env=env).stdout


def test_a_second_server_for_the_same_settings_is_refused(server):
    proc = hygis("serve", cwd=REPO, env=server)
    assert proc.returncode == 1
    assert "a hygis server is already running (pid" in proc.stderr and "hygis serve --stop" in proc.stderr


def test_the_point_layer_check_is_unchanged_when_served(server, tmp_path):
    """A command with its own inputs on standard streams: a GeoJSON of points near Hengyang."""
    pts = gpd.GeoDataFrame(
        {"project_id": ["P1", "P2"], "name": ["站前广场", "江边公园"]},
        geometry=[shapely.Point(112.6271, 26.8928), shapely.Point(112.61, 26.90)],
        crs="EPSG:4490",
    )
    pts.to_file(tmp_path / "pts.geojson")
    proc = hygis("check", "--projects", "pts.geojson", "--out", "pts.csv", cwd=tmp_path, env=server)
    assert proc.returncode == 0, proc.stderr
    report = pd.read_csv(tmp_path / "pts.csv", encoding="utf-8-sig")
    assert set(report.name) == {"站前广场", "江边公园"}


def test_ctrl_c_stops_the_served_command_and_nothing_is_written(server, tmp_path):
    """Ctrl-C in the terminal reaches the server's child that runs the command: it stops, says so,
    exits 130 and leaves no report, as a command in its own process does."""
    import signal
    import time

    import numpy as np

    rng = np.random.default_rng(5)
    n = 60_000  # long enough to be interrupted: seconds of work
    x = 640_000 + rng.random(n) * 50_000
    y = 2_960_000 + rng.random(n) * 50_000
    sites = gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(n)]},
        geometry=shapely.buffer(shapely.points(x, y), 150, quad_segs=8),
        crs="EPSG:4546",
    )
    sites.to_file(tmp_path / "many.gpkg")
    log = Path(server["HYGIS_CACHE_DIR"]) / "server.log"
    seen = log.read_text(encoding="utf-8").count("command ")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hygis", "check", "--projects", "many.gpkg", "--out", "many.csv"],
        cwd=tmp_path,
        env=server,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while log.read_text(encoding="utf-8").count("command ") == seen and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # the child is reading and checking the projects
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err)
    assert "Interrupted; no output was written." in err
    assert "Traceback" not in err
    time.sleep(0.5)
    assert not (tmp_path / "many.csv").exists()


def test_a_long_cache_path_put_the_socket_in_a_tmp_folder_another_user_could_make_first(
    tmp_path, monkeypatch
):
    """With a cache path over ~76 bytes the socket went to /tmp/hygis-UID, a folder any local user
    could create first (and own). Now: $XDG_RUNTIME_DIR when it is the user's own; else a private
    folder of the user's, checked, and the server refuses one that is not."""
    from hygis.serve import client as srv

    long_cache = tmp_path / ("c" * 90)
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(long_cache))
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    folder = srv.private_server_dir()
    assert folder.parent == runtime / "hygis"
    assert len(os.fsencode(srv.socket_path())) < 108
    assert os.stat(folder).st_mode & 0o777 == 0o700

    monkeypatch.delenv("XDG_RUNTIME_DIR")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmpdir))
    planted = tmpdir / f"hygis-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)  # as another user leaves it for others to write into
    with pytest.raises(srv.ServerError, match="other users"):
        srv.private_server_dir()
    # --status and --stop neither use nor remove what is in a folder that is not the user's alone.
    srv.server_dir().mkdir()
    theirs = srv.server_dir() / "theirs.sock"
    theirs.write_bytes(b"")
    assert srv.status() == [] and srv.stop() == 0
    assert theirs.exists()
    if os.getuid() == 0:
        os.chown(planted, 65534, 65534)  # made first by another user
        planted.chmod(0o700)
        with pytest.raises(srv.ServerError, match="belongs to another user"):
            srv.private_server_dir()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    refused = hygis("serve", "--foreground", "--idle-timeout", "0.1", cwd=tmp_path, env=env)
    assert refused.returncode == 1
    assert "no other user can write" in refused.stderr and "Traceback" not in refused.stderr
    assert hygis("--version", cwd=tmp_path, env=env).returncode == 0  # runs in its own process


@pytest.mark.skipif(not hasattr(os, "setuid") or os.getuid() != 0, reason="needs a second user (root)")
def test_the_client_sent_its_environment_to_a_server_of_another_user(tmp_path, monkeypatch):
    """The client never checked who ran the server it sent its environment and terminal to."""
    import socket

    from hygis.serve import client as srv

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    path = srv.socket_path()
    srv.private_server_dir()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the other user's server
        try:
            os.close(r)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(os.fspath(path))
            os.setgid(65534)
            os.setuid(65534)
            listener.listen(1)  # SO_PEERCRED: the credentials at listen()
            os.write(w, b"L")
            listener.settimeout(20)
            conn, _ = listener.accept()
            conn.settimeout(2)
            try:
                got = conn.recv(65536)
            except OSError:
                got = b""
            os.write(w, b"R" if got else b"-")
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"L"
    monkeypatch.setenv("SECRET_OF_THE_CALLER", "x")
    assert srv.forward(["--version"]) is None  # not the user's server: the command runs in its own process
    os.waitpid(pid, 0)
    assert os.read(r, 1) == b"-"  # nothing was sent to it
    os.close(r)


def test_a_server_that_cannot_enter_the_callers_folder_sent_pid_1(server, tmp_path):
    """The command's process failed before sending its pid and the client read its exit status (1)
    as the pid. Now it says it declines, and the client runs the command itself."""
    import socket
    import struct

    from hygis.serve import client as srv

    path = hygis("serve", "--status", cwd=REPO, env=server).stdout.strip().split(", ")[-1]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(60)
    sock.connect(path)
    gone = tmp_path / "gone"
    message = {"command": "run", "argv": ["--version"], "cwd": str(gone), "env": server, "umask": 0o22}
    with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
        srv.send(sock, message, [null_in.fileno(), null_out.fileno(), null_out.fileno()])
        first = sock.recv(4)
    sock.close()
    assert struct.unpack("!i", first)[0] == -1
    assert hygis("--version", cwd=tmp_path, env=server).returncode == 0  # the server serves on
