"""Choosing layers in multi-layer sources, and finding the three lines in a 三区三线 database."""

from __future__ import annotations

import warnings
from pathlib import Path, PureWindowsPath

import pytest

from hygis.errors import HygisInputError
from hygis.io import layer_names, sources
from hygis.plan import database

from .database_fixtures import CHINESE, CODES, write_database

warnings.filterwarnings("ignore", message="Field .* will be written as a Float64")


@pytest.fixture(params=[".gpkg", ".gdb"])
def suffix(request):
    return request.param


def test_layers_are_listed_with_counts_geometry_and_crs(tmp_path, suffix):
    table = sources.list_layers(write_database(tmp_path / f"plan{suffix}"))
    assert set(table["layer"]) >= {
        "XZQ",
        "陆域生态保护红线",
        "永久基本农田",
        "城镇开发边界",
        "规划地类",
        "指标表",
    }
    row = table.set_index("layer").loc["永久基本农田"]
    assert row["features"] == 1 and "Polygon" in row["geometry"] and row["crs"] == "EPSG:4525"
    assert table.set_index("layer").loc["指标表", "geometry"] == ""


@pytest.mark.parametrize("names", [CHINESE, CODES], ids=["chinese", "codes"])
def test_the_three_lines_are_found_by_chinese_or_code_names(tmp_path, suffix, names):
    path = write_database(tmp_path / f"plan{suffix}", names=names)
    found, notes = database.find_control_lines(path)
    assert found == {line: f"{path}:{layer}" for line, layer in names.items()}
    assert len(notes) == 3 and all("taken from layer" in n for n in notes)


def test_an_ambiguous_line_is_refused_with_the_candidates_and_the_flag(tmp_path):
    path = write_database(tmp_path / "plan.gpkg", extra={"YJJBNTBHTB": "permanent_farmland"})
    with pytest.raises(HygisInputError) as err:
        database.find_control_lines(path)
    text = str(err.value)
    assert "永久基本农田" in text and "YJJBNTBHTB" in text and "--permanent-farmland plan.gpkg:" in text
    # A line given by its own flag is not looked for, so its ambiguity does not matter.
    found, _ = database.find_control_lines(path, lines=["ecological_redline", "urban_development_boundary"])
    assert set(found) == {"ecological_redline", "urban_development_boundary"}


def test_a_missing_line_is_refused_with_the_layers(tmp_path):
    names = {k: v for k, v in CHINESE.items() if k != "urban_development_boundary"}
    path = write_database(tmp_path / "plan.gpkg", names=names)
    with pytest.raises(
        HygisInputError,
        match=r"no polygon layer named like the urban development boundary.*XZQ.*"
        r"--urban-development-boundary plan\.gpkg:LAYER",
    ):
        database.find_control_lines(path)


@pytest.mark.parametrize(
    ("text", "path", "layer"),
    [
        ("plan.gdb:YJJBNT", "plan.gdb", "YJJBNT"),
        ("dir/plan.gpkg:城镇开发边界", "dir/plan.gpkg", "城镇开发边界"),
        ("C:\\data\\plan.gdb:STBHHX", "C:\\data\\plan.gdb", "STBHHX"),
        ("C:\\data\\plan.gdb", "C:\\data\\plan.gdb", None),
        ("C:\\data\\projects.shp", "C:\\data\\projects.shp", None),
        ("D:/plan.gpkg", "D:/plan.gpkg", None),
    ],
)
def test_path_colon_layer_and_windows_drive_letters(text, path, layer):
    got_path, got_layer = sources.split_layer(text)
    assert (str(got_path), got_layer) == (str(Path(path)), layer) or (
        str(PureWindowsPath(got_path)),
        got_layer,
    ) == (path, layer)


def test_existing_file_with_a_colon_in_its_name_is_not_split(tmp_path):
    odd = tmp_path / "plan.gpkg:old"
    odd.write_text("x")
    assert sources.split_layer(odd) == (odd, None)


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("430400_YJJBNTBHTB_2023", ["permanent_farmland"]),
        ("yjjbnttb", ["permanent_farmland"]),
        ("衡阳市生态保护红线成果", ["ecological_redline"]),
        ("CZKFBJ_2035", ["urban_development_boundary"]),
        ("XZQ", []),
        ("CZKFBJNYJJBNT", []),  # a code glued to another is no whole word
        ("城镇开发边界内永久基本农田", ["permanent_farmland", "urban_development_boundary"]),
    ],
)
def test_layer_names_stand_for_lines(name, lines):
    assert sorted(layer_names.layer_lines(name)) == lines


def test_whole_database_flag_refuses_a_layer(tmp_path):
    path = write_database(tmp_path / "plan.gpkg")
    with pytest.raises(HygisInputError, match="whole database"):
        database.find_control_lines(f"{path}:XZQ")


def test_python_resolve_takes_path_colon_layer_and_a_whole_database(tmp_path):
    import hygis

    from .survey_fixtures import write_coordinate_file

    gdb = write_database(tmp_path / "plan.gdb", names=CODES)
    txt = write_coordinate_file(tmp_path / "p.txt")
    with pytest.warns(hygis.HygisWarning) as first:
        one = hygis.resolve(projects=str(txt), permanent_farmland=f"{gdb}:{CODES['permanent_farmland']}")
    assert any("zone 37 read from the eastings' prefix" in str(w.message) for w in first)
    assert one.provenance["permanent_farmland"]["source"].endswith(":HY_YJJBNTBHTB_2023")
    assert one.provenance["ecological_redline"]["status"] != "user-file"  # the rest stay embedded
    with pytest.warns(hygis.HygisWarning) as record:
        whole = hygis.resolve(projects=str(txt), control_lines=gdb, permanent_farmland=f"{gdb}:XZQ")
    said = " ".join(str(w.message) for w in record)
    # The two lines the database gave say which layer each came from; farmland was chosen by hand.
    assert "taken from layer STBHHX" in said and "taken from layer CZKFBJ" in said
    assert "taken from layer HY_YJJBNTBHTB_2023" not in said
    assert whole.provenance["ecological_redline"]["source"] == f"{gdb}:STBHHX"
    assert whole.provenance["permanent_farmland"]["source"] == f"{gdb}:XZQ"  # the line's own argument wins
    assert whole.projects["project_id"].tolist() == ["D1", "D2", "D3"]


@pytest.mark.parametrize("suffix", [".gdb", ".gpkg"])
def test_a_databases_lines_are_prepared_once_and_again_when_it_changes(tmp_path, suffix, monkeypatch):
    """The next batch against the same 三区三线 database reads none of its layers; an edited database
    (another layer's line moved) is read again. A layer given as PATH:LAYER is keyed by the
    database's files and the layer's name."""
    from .conftest import run_cli
    from .survey_fixtures import write_coordinate_file

    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    db = write_database(tmp_path / f"三区三线{suffix}")
    parcels = write_coordinate_file(tmp_path / "界址点坐标.txt")
    args = ("check", "--projects", str(parcels), "--control-lines", str(db))
    first = run_cli(*args, "--out", str(tmp_path / "first.csv"), check=True)
    again = run_cli(*args, "--out", str(tmp_path / "again.csv"), check=True)
    assert first.stderr.count("(prepared index)") == 3
    assert again.stderr.count("(prepared index, cached)") == 3
    assert (tmp_path / "first.csv").read_bytes() == (tmp_path / "again.csv").read_bytes()
    info = run_cli("index", "info", check=True).stdout
    assert f"{db.name}:{CHINESE['permanent_farmland']}" in info

    write_database(db, names={**CHINESE, "permanent_farmland": "永久基本农田_2024"})  # a new delivery
    edited = run_cli(*args, "--out", str(tmp_path / "edited.csv"), check=True)
    assert "(prepared index, cached)" not in edited.stderr
