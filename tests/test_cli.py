"""The command line, run as a user runs it: a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import geopandas as gpd
import pandas as pd


def test_help_lists_the_subcommands(cli):
    proc = cli("--help", check=True)
    for sub in ("layers", "build", "run"):
        assert sub in proc.stdout


def test_layers_lists_six_with_status(cli):
    out = cli("layers", check=True).stdout
    for name in (
        "counties",
        "urban_system",
        "ecological_redline",
        "permanent_farmland",
        "urban_development_boundary",
        "projects",
    ):
        assert name in out
    assert out.count("NOT OFFICIAL") == 3
    assert "public-facts" in out and "illustrative" in out


def test_layers_json_metadata(cli):
    meta = json.loads(cli("layers", "counties", "--json", check=True).stdout)
    assert meta["features"] == 12 and meta["status"] == "public-facts"


def test_user_mistake_gives_a_message_not_a_traceback(cli):
    proc = cli("layers", "nope")
    assert proc.returncode == 2
    assert "No layer named 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_bad_projects_file_message(cli, tmp_path, projects_gdf):
    path = tmp_path / "p.shp"
    projects_gdf.iloc[[0]].to_file(path, engine="pyogrio")
    path.with_suffix(".prj").unlink()
    proc = cli("run", "--projects", str(path), "--out-dir", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "p.shp" in proc.stderr and "--crs" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


def test_run_writes_the_layer_summary(cli, tmp_path):
    proc = cli("run", "--out-dir", str(tmp_path), check=True)
    table = pd.read_csv(tmp_path / "reports" / "layers.csv", encoding="utf-8-sig")
    assert len(table) == 6 and "县级行政区 County-level units (12)" in set(table["title"])
    assert "»" in proc.stderr  # progress is shown


def test_build_into_a_folder(cli, tmp_path):
    cli("build", "urban_development_boundary", "--out-dir", str(tmp_path), check=True)
    gdf = gpd.read_file(tmp_path / "urban_development_boundary.geojson")
    assert (gdf["status"] == "illustrative").all()


def test_output_onto_an_input_is_refused_before_any_work(cli, tmp_path, projects_gdf):
    path = tmp_path / "projects.gpkg"
    projects_gdf.iloc[[0]].to_file(path, engine="pyogrio")
    before = path.read_bytes()
    proc = cli("check", "--projects", str(path), "--out", str(path))
    assert proc.returncode == 2 and "Refusing to overwrite the input file" in proc.stderr
    assert "checking" not in proc.stderr and "»" not in proc.stderr  # refused before reading or checking
    assert path.read_bytes() == before


def test_unwritable_output_folder_is_a_message_not_a_traceback(cli, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the user thought a folder was")
    proc = cli("targets", "--out", str(blocker / "targets.csv"))
    assert proc.returncode == 2
    assert "Cannot write" in proc.stderr and "Traceback" not in proc.stderr


def test_wrong_output_suffix_is_refused_when_parsing(cli, tmp_path):
    proc = cli("stats", "control-lines", "--out", str(tmp_path / "stats.docx"))
    assert proc.returncode == 2 and ".csv, .xlsx" in proc.stderr


def test_a_command_that_leaves_without_teardown_still_flushes_its_output_and_runs_atexit():
    """The hygis command skips the interpreter's teardown (0.2 s of freeing geometries): what a
    user sees must not change: every byte written, atexit handlers run, the exit code kept."""
    code = (
        "import atexit, sys\n"
        "from hygis.cli import launch\n"
        "atexit.register(lambda: sys.stderr.write('cleaned up'))\n"
        "launch._LEAVING = True\n"
        "launch.keep(list(range(10)))\n"
        "sys.stdout.write('表' * 200_000)\n"
        "launch.leave(3)\n"
    )
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as a user's shell has it
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60, env=buffered)
    assert done.returncode == 3
    assert done.stdout.decode("utf-8") == "表" * 200_000
    assert done.stderr.decode() == "cleaned up"


def _leaf_commands(cmd, path=()):
    import click

    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            yield from _leaf_commands(sub, (*path, name))
    else:
        yield list(path), cmd


def test_a_required_out_missing_is_asked_for_not_a_traceback_after_the_work():
    """click >= 8.3 let an option declared default=None, required=True through as None: `hygis stats
    control-lines` computed the table, then died in a TypeError traceback. Every command whose --out
    is required must refuse at parse time, before any work, with click's usage message."""
    from click.testing import CliRunner

    from hygis.cli.main import cli as group

    required_out = [
        path for path, cmd in _leaf_commands(group) if any(p.name == "out" and p.required for p in cmd.params)
    ]
    assert ["stats", "control-lines"] in required_out
    for path in required_out:
        result = CliRunner().invoke(group, path)
        assert result.exit_code == 2, (path, result.output)
        assert "Missing" in result.output, (path, result.output)
    # and as a planner runs it: a process, a usage message, no traceback
    proc = subprocess.run(
        [sys.executable, "-m", "hygis", "stats", "control-lines"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert "Missing option '--out'" in proc.stderr and "Traceback" not in proc.stderr
