"""Faults injected on purpose into the process side of hygis: a check interrupted (SIGINT) or killed
(``kill -9``) in the middle of writing its report, a client killed while ``hygis serve`` runs its
command, two servers started at the same moment, a working folder deleted under the command.

Each ends in the right report (equal to a clean serial run) or a clear message, with nothing
lost, nothing left behind, and no input changed. Every server started here binds only a Unix
socket in the test's own private folder and is stopped by the test.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="signals, fork and Unix sockets (POSIX)"),
]

TIMEOUT_S = 600  # bounds every wait: a hung command fails the test instead of hanging the run


def hygis(*args: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hygis", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )


def start_hygis(*args: str, cwd: Path, env: dict, logs: Path) -> subprocess.Popen:
    """A command in the background, its output in files (a killed client's server child goes on writing)."""
    logs.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "hygis", *args],
        cwd=cwd,
        env=env,
        stdout=open(logs / "stdout", "w", encoding="utf-8"),
        stderr=open(logs / "stderr", "w", encoding="utf-8"),
        text=True,
    )


def start_many_check(inputs: Path, out: Path, env: dict, logs: Path) -> subprocess.Popen:
    """``hygis check`` of the 400 sites to ``out/r.xlsx``, in the background: long enough to be
    interrupted or killed while it works."""
    return start_hygis(
        "check", "--projects", str(inputs / "many.gpkg"), "--out", "r.xlsx", cwd=out, env=env, logs=logs
    )


def environment(cache: Path, *, served: bool) -> dict:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "HYGIS_CACHE_DIR": str(cache)}
    env.pop("HYGIS_SERVER", None)
    if not served:
        env["HYGIS_SERVER"] = "0"
    return env


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


def sheets(path: Path) -> dict[str, pd.DataFrame]:
    """A workbook's sheets, the time of the run left out (the provenance sheet and the bytes carry it)."""
    return {
        name: frame.replace(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", "<run time>", regex=True)
        for name, frame in pd.read_excel(path, sheet_name=None).items()
    }


def assert_same_report(path: Path, reference: Path) -> None:
    mine, theirs = sheets(path), sheets(reference)
    assert list(mine) == list(theirs)
    for name in mine:
        pd.testing.assert_frame_equal(mine[name], theirs[name])


def wait_for(condition, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.01)


@pytest.fixture(scope="module", autouse=True)
def interruptible_commands():
    """The commands started here take Ctrl-C as from a terminal, however the suite was started.

    A shell starts a background job (``.ci/run &``, ``nohup``) with SIGINT ignored, and an ignored
    signal stays ignored through ``exec``: every command here would then run to its end whatever
    it was sent (the mid-write test failed so: "every check finished its write"). A handled
    signal is reset to its default in a new program, so this process handles it meanwhile.
    """
    before = signal.getsignal(signal.SIGINT)
    if before == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if before == signal.SIG_IGN:
        signal.signal(signal.SIGINT, before)


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    """One cache for the serial runs of this file: the embedded lines are prepared once."""
    return tmp_path_factory.mktemp("serial") / "cache"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """``many.gpkg``: 400 project sites, seconds of checking and writing; ``few.gpkg``: three."""
    folder = tmp_path_factory.mktemp("inputs")
    rng = np.random.default_rng(5)
    n = 400
    x = 640_000 + rng.random(n) * 50_000
    y = 2_960_000 + rng.random(n) * 50_000
    sites = gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(n)]},
        geometry=shapely.buffer(shapely.points(x, y), 150, quad_segs=8),
        crs="EPSG:4546",
    )
    sites.to_file(folder / "many.gpkg")
    sites.iloc[:3].to_file(folder / "few.gpkg")
    return folder


@pytest.fixture(scope="module")
def reference(inputs, cache, tmp_path_factory) -> Path:
    """The report of ``few.gpkg`` by a clean serial run (no server, nothing interrupted)."""
    folder = tmp_path_factory.mktemp("reference")
    env = environment(cache, served=False)
    done = hygis("check", "--projects", str(inputs / "few.gpkg"), "--out", "few.xlsx", cwd=folder, env=env)
    assert done.returncode == 0, done.stderr
    return folder / "few.xlsx"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "kill-9"])
def test_a_check_interrupted_or_killed_mid_write_leaves_the_older_report_and_no_litter(
    sig, inputs, reference, cache, tmp_path
):
    before_inputs = digests(inputs)
    env = environment(cache, served=False)
    out = tmp_path / "out"
    out.mkdir()
    older = hygis("check", "--projects", str(inputs / "few.gpkg"), "--out", "r.xlsx", cwd=out, env=env)
    assert older.returncode == 0, older.stderr
    report = out / "r.xlsx"
    stamp = (report.stat().st_ino, report.read_bytes())

    # The signal lands while the report is written: 0.2 s after its temporary file appears, less
    # on a retry. A write that finished first (a fast machine) must have left the whole new report
    # and nothing else; then the older one is written back and the interrupt tried again.
    for attempt, delay in enumerate((0.2, 0.1, 0.05, 0.0)):
        proc = start_many_check(inputs, out, env, tmp_path / f"logs{attempt}")
        try:
            wait_for(lambda: list(out.glob(".tmp-r-*.xlsx")) or proc.poll() is not None, "the report's write")
            time.sleep(delay)
            proc.send_signal(sig)
            code = proc.wait(timeout=TIMEOUT_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if code != 0:
            break
        assert sorted(p.name for p in out.iterdir()) == ["r.xlsx"]
        assert len(pd.read_excel(report, sheet_name=None)) > 1  # the whole new report, readable
        older = hygis("check", "--projects", str(inputs / "few.gpkg"), "--out", "r.xlsx", cwd=out, env=env)
        assert older.returncode == 0, older.stderr
        stamp = (report.stat().st_ino, report.read_bytes())
    else:
        pytest.fail("every check finished its write before the signal: nothing was interrupted")
    logs = tmp_path / f"logs{attempt}"
    err = (logs / "stderr").read_text(encoding="utf-8")
    assert (report.stat().st_ino, report.read_bytes()) == stamp  # the older report, untouched
    if sig == signal.SIGINT:
        assert code == 130, err
        assert "Interrupted; no output was written." in err and "Traceback" not in err
        assert sorted(p.name for p in out.iterdir()) == ["r.xlsx"]
    else:
        assert code == -signal.SIGKILL
        # A killed process cleans nothing up; the next write of the same report does.
        again = hygis("check", "--projects", str(inputs / "few.gpkg"), "--out", "r.xlsx", cwd=out, env=env)
        assert again.returncode == 0, again.stderr
        assert sorted(p.name for p in out.iterdir()) == ["r.xlsx"]
    assert_same_report(report, reference)
    assert digests(inputs) == before_inputs


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A running ``hygis serve`` with its own cache (its socket in that private folder), stopped after."""
    cache = tmp_path_factory.mktemp("served") / "cache"
    env = environment(cache, served=True)
    started = hygis("serve", "--idle-timeout", "10", cwd=cache.parent, env=env)
    try:
        assert started.returncode == 0, started.stderr
        yield env
    finally:
        stopped = hygis("serve", "--stop", cwd=cache.parent, env=env)
        assert "stopped 1" in stopped.stdout


def commands_done(env: dict) -> int:
    log = Path(env["HYGIS_CACHE_DIR"]) / "server.log"
    return log.read_text(encoding="utf-8").count(" done in ") if log.exists() else 0


def commands_begun(env: dict) -> int:
    log = Path(env["HYGIS_CACHE_DIR"]) / "server.log"
    return len(re.findall(r": command \d+ \(pid", log.read_text(encoding="utf-8"))) if log.exists() else 0


def test_a_killed_client_under_serve_replaced_the_newer_report(server, inputs, reference, tmp_path):
    """kill -9 of a served check, then a new check to the same --out: the orphaned command went on
    and replaced the newer report seconds later. Now a command whose caller is gone writes nothing."""
    before_inputs = digests(inputs)
    out = tmp_path / "out"
    out.mkdir()
    begun, done = commands_begun(server), commands_done(server)
    client = start_many_check(inputs, out, server, tmp_path / "a")
    try:
        wait_for(lambda: commands_begun(server) > begun, "the server to take the command")
        time.sleep(0.5)  # its child is reading and checking 400 sites (seconds, then seconds of writing)
        client.kill()  # kill -9: the terminal closed
        client.wait(timeout=TIMEOUT_S)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    newer = hygis("check", "--projects", str(inputs / "few.gpkg"), "--out", "r.xlsx", cwd=out, env=server)
    assert newer.returncode == 0, newer.stderr
    wait_for(lambda: commands_done(server) >= done + 2, "the orphaned command to end")
    # It stopped as on Ctrl-C (said on the standard error it was given, a file here), writing nothing.
    assert "Interrupted; no output was written." in (tmp_path / "a" / "stderr").read_text(encoding="utf-8")
    assert_same_report(out / "r.xlsx", reference)
    assert sorted(p.name for p in out.iterdir()) == ["r.xlsx"]
    assert digests(inputs) == before_inputs


@pytest.mark.parametrize("served", [False, True], ids=["alone", "served"])
def test_a_deleted_working_folder_gave_a_filenotfounderror_traceback(
    served, request, inputs, cache, tmp_path
):
    env = request.getfixturevalue("server") if served else environment(cache, served=False)
    before_inputs = digests(inputs)
    gone = tmp_path / "gone"
    gone.mkdir()
    args = ["check", "--projects", str(inputs / "few.gpkg"), "--out", "r.xlsx"]
    proc = subprocess.run(
        [
            "sh",
            "-c",
            'cd "$1" && rmdir "$1" && shift && exec "$@"',
            "sh",
            str(gone),
            sys.executable,
            "-m",
            "hygis",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    assert proc.returncode == 2, proc.stderr
    assert "the current folder no longer exists" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert digests(inputs) == before_inputs


def gone_or_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
    except (OSError, IndexError):
        return True


def test_two_servers_started_at_once_both_said_ready(tmp_path):
    """Two `hygis serve` at the same moment (two terminals, a login script): both said ready and one
    later deleted the other's socket. Now one serves; the other refuses, naming it."""
    cache = tmp_path / "cache"
    env = environment(cache, served=True)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "hygis", "serve", "--idle-timeout", "10"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        results = [(p.wait(timeout=TIMEOUT_S), *p.communicate()) for p in procs]
        status = hygis("serve", "--status", cwd=tmp_path, env=env).stdout.strip().splitlines()
        assert len(status) == 1, status
        pid = int(status[0].split(",")[0].removeprefix("pid "))
        assert sorted(code for code, _, _ in results) == [0, 1], results
        ready = next(r for r in results if r[0] == 0)
        refused = next(r for r in results if r[0] == 1)
        assert f"hygis server ready (pid {pid})" in ready[1]
        assert (
            f"a hygis server is already running (pid {pid}); stop it with: hygis serve --stop" in refused[2]
        )
        assert "Traceback" not in refused[2]
        assert hygis("--version", cwd=tmp_path, env=env).returncode == 0
        assert commands_done(env) == 1  # the one server answers
    finally:
        stopped = hygis("serve", "--stop", cwd=tmp_path, env=env)
    assert stopped.stdout.strip() == "stopped 1 hygis server(s)"
    wait_for(lambda: gone_or_zombie(pid), "the server to stop", timeout=60)
    assert not list((cache / "server").glob("*.sock"))
