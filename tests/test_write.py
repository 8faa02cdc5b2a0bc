"""Atomic writes: the same data writes the same bytes, a killed write leaves nothing for long,
and a process whose caller is gone replaces nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from hygis import io
from hygis.io import write


def test_write_geojson_named_after_the_temporary_file_differs_between_runs(tmp_path, projects_gdf):
    """The GeoJSON "name" member took the temporary file's random name: never the same bytes twice."""
    first = io.write_vector(projects_gdf, tmp_path / "a" / "counties.geojson")
    second = io.write_vector(projects_gdf, tmp_path / "b" / "counties.geojson")
    assert first.read_bytes() == second.read_bytes()
    assert json.loads(first.read_text(encoding="utf-8"))["name"] == "counties"


def _killed_write(folder, name: str) -> None:
    """A process that starts writing ``name`` in ``folder`` and is killed (-9) before its rename."""
    code = (
        "import os, sys, pandas as pd\n"
        "from hygis import io\n"
        "from hygis.io import write\n"
        "with write.atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_bytes(b'half a report')\n"
        "    os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(folder / name)], timeout=120, capture_output=True)
    assert done.returncode == -9, done.stderr


def test_kill_9_during_a_write_leaves_a_hidden_tmp_file_each_time(tmp_path):
    """Each killed write left a hidden ``.tmp-*.xlsx`` beside the report, for ever: the next write of
    the same report removes it (its process is gone); the older report is intact meanwhile."""
    report = tmp_path / "report.xlsx"
    io.write_table(pd.DataFrame({"a": [1]}), report)
    before = report.read_bytes()
    for _ in range(2):
        _killed_write(tmp_path, "report.xlsx")
    assert report.read_bytes() == before
    assert len(list(tmp_path.glob(".tmp-report-*"))) == 1  # the second write removed the first's
    io.write_table(pd.DataFrame({"a": [2]}), report)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]
    assert pd.read_excel(report)["a"].tolist() == [2]


def test_a_temporary_file_of_a_running_write_or_of_another_report_is_left_alone(tmp_path):
    mine = tmp_path / f"{write._temp_prefix(tmp_path / 'report.csv')}abc.csv"  # this process: running
    mine.write_text("being written")
    other = tmp_path / f".tmp-other-{write._HOST}-999999999-x.csv"  # another report's
    other.write_text("x")
    foreign = tmp_path / ".tmp-report-ffffff-1-x.csv"  # another machine's, fresh
    foreign.write_text("x")
    assert write.remove_stale_temporaries(tmp_path / "report.csv") == []
    assert mine.exists() and other.exists() and foreign.exists()
    old = tmp_path / ".tmp-report-0zf4a6bf.csv"  # an older hygis's name: removed once a day old
    old.write_text("x")
    os.utime(old, (0, 0))
    assert write.remove_stale_temporaries(tmp_path / "report.csv") == [old]


def test_a_killed_shapefile_write_leaves_its_folder_until_the_next_write(tmp_path, projects_gdf):
    stale = tmp_path / f".tmp-poly-{write._HOST}-999999999-abcd"
    stale.mkdir()
    (stale / "poly.shp").write_bytes(b"")
    io.write_vector(projects_gdf.iloc[[0]], tmp_path / "poly.shp")
    assert not stale.exists()
    assert {p.suffix for p in tmp_path.iterdir()} >= {".shp", ".dbf", ".shx"}


def test_a_write_whose_caller_is_gone_replaces_nothing(tmp_path):
    report = tmp_path / "report.csv"
    io.write_table(pd.DataFrame({"a": [1]}), report)
    before = report.read_bytes()
    code = (
        "import sys, pandas as pd\n"
        "from hygis import io\n"
        "from hygis.io import write\n"
        "write.abandon()\n"
        "try:\n"
        "    io.write_table(pd.DataFrame({'a': [2]}), sys.argv[1])\n"
        "except KeyboardInterrupt:\n"
        "    sys.exit(130)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(report)], timeout=120, capture_output=True)
    assert done.returncode == 130, done.stderr
    assert report.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]


@pytest.mark.parametrize("name", ["[a]*?", "报告 2026"])
def test_stale_temporaries_of_names_with_glob_characters(tmp_path, name):
    _killed_write(tmp_path, f"{name}.csv")
    io.write_table(pd.DataFrame({"a": [1]}), tmp_path / f"{name}.csv")
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.csv"]
