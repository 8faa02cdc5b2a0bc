"""Suitability: exclusions, without and with a DEM, weights as data, CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from hygis.errors import HygisInputError
from hygis.plan import resolve
from hygis.raster import suitability as suit

from .test_dem import tile_server, write_tile  # noqa: F401 - fixture reuse

OFFLINE = "http://127.0.0.1:9/"


@pytest.fixture(scope="module")
def no_dem():
    return suit.suitability(resolve(), cell=500, dem_base_url=OFFLINE)


def test_without_dem_states_what_it_left_out(no_dem):
    assert "slope" not in no_dem.used and "elevation" not in no_dem.used
    assert {"distance_central_city", "distance_urban_development_boundary"} <= set(no_dem.used)
    assert any(x.startswith("slope") for x in no_dem.left_out)
    assert any("Terrain left out" in n for n in no_dem.notes)
    assert any("ILLUSTRATIVE" in n for n in no_dem.notes)


def test_exclusions_are_class_zero(no_dem):
    inputs = resolve()
    crs = no_dem.grid.crs
    red = inputs.ecological_redline.to_crs(crs).geometry.buffer(-600).union_all().representative_point()
    col, row = ~no_dem.grid.transform @ (red.x, red.y)
    assert no_dem.classes[int(row), int(col)] == 0
    assert set(np.unique(no_dem.classes)) <= {0, 1, 2, 3, 255}
    table = no_dem.summary()
    city = table[table["unit"] == "全市"]
    assert city["share"].sum() == pytest.approx(1.0, abs=1e-3)  # shares are rounded for the table


def test_with_dem_from_local_server(tile_server, tmp_path, monkeypatch):  # noqa: F811
    url, hits = tile_server
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    result = suit.suitability(resolve(), cell=500, dem_base_url=url)
    assert "slope" in result.used and "elevation" in result.used and not result.left_out
    assert any("Copernicus GLO-30" in n for n in result.notes)
    out = suit.write_suitability(tmp_path / "s.tif", result)
    meta = json.loads(out["legend"].read_text(encoding="utf-8"))
    assert [f["key"] for f in meta["factors_used"]][:2] == ["slope", "elevation"]
    with rasterio.open(out["raster"]) as ds:
        assert ds.tags()["HYGIS_LEFT_OUT"] == "none"


def test_user_dem_file(tmp_path):
    write_tile(tmp_path, 26, 112)
    write_tile(tmp_path, 27, 112)
    # A DEM covering only part of the city: cells without elevation get no class, and it says so.
    path = (
        tmp_path / "Copernicus_DSM_COG_10_N26_00_E112_00_DEM" / "Copernicus_DSM_COG_10_N26_00_E112_00_DEM.tif"
    )
    result = suit.suitability(resolve(), cell=1000, dem=path)
    assert "slope" in result.used
    assert any("no DEM value" in n for n in result.notes)


def test_bad_weights_file(tmp_path):
    spec = json.loads(suit.DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    spec["factors"][0]["breaks"] = [8, 3, 15, 25]
    bad = tmp_path / "w.json"
    bad.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(HygisInputError, match="w.json, factor 'slope': the breaks must increase"):
        suit.load_weights(bad)
    spec["factors"][0]["key"] = "rainfall"
    bad.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(HygisInputError, match="unknown factor"):
        suit.load_weights(bad)


def test_weights_file_changes_the_result(tmp_path):
    spec = json.loads(suit.DEFAULT_WEIGHTS.read_text(encoding="utf-8"))
    spec["class_breaks"] = [0.5, 0.6]  # everything scores ≥ 1: all graded cells become "suitable"
    path = tmp_path / "w.json"
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    result = suit.suitability(resolve(), cell=1000, weights=path, download_dem=False)
    assert set(np.unique(result.classes)) <= {0, 3, 255}


def test_cli_suitability_offline(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("HYGIS_DEM_URL", OFFLINE)
    monkeypatch.setenv("HYGIS_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "s.tif"
    proc = cli("suitability", "--cell", "500", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "left out: slope: no DEM; elevation: no DEM" in proc.stdout
    assert "cannot be reached" in proc.stderr
    assert out.exists() and out.with_suffix(".csv").exists() and out.with_suffix(".json").exists()
    assert "适宜" in out.with_suffix(".csv").read_text(encoding="utf-8-sig")
