"""The constraint raster: class codes at known points, COG layout, grid limits, CLI."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely

from hygis import raster
from hygis.engine.area import measure
from hygis.errors import HygisInputError
from hygis.plan import layers, resolve


@pytest.fixture(scope="module")
def constraints(tmp_path_factory):
    result = raster.constraint_raster(resolve(), cell=30)
    path = raster.write_constraints(tmp_path_factory.mktemp("c") / "constraints.tif", result)
    return result, path


def _inner_point(gdf, crs, min_area_m2=2e5):
    """A point well inside one of the layer's polygons (100 m from its edge), in crs."""
    g = gdf.to_crs(crs)
    g = g[g.area > min_area_m2]
    inner = g.geometry.buffer(-100)
    inner = inner[~inner.is_empty]
    return inner.iloc[0].representative_point()


def test_codes_at_known_points(constraints):
    result, path = constraints
    inputs = resolve()
    crs = result.grid.crs
    lines = inputs.control_lines()
    points = {
        1: _inner_point(lines["ecological_redline"], crs),
        2: _inner_point(lines["permanent_farmland"], crs, 1e5),
        4: _inner_point(lines["urban_development_boundary"], crs),
    }
    # A point in the city clear of every line, and one outside the city.
    city = shapely.union_all(layers.load("counties").to_crs(crs).geometry.to_numpy())
    taken = shapely.union_all([g.to_crs(crs).geometry.buffer(200).union_all() for g in lines.values()])
    free = city.buffer(-500).difference(taken)
    points[0] = free.representative_point()
    minx, miny, _, _ = result.grid.bounds
    with rasterio.open(path) as ds:
        for code, pt in points.items():
            got = next(ds.sample([(pt.x, pt.y)], indexes=1))[0]
            assert got == code, f"expected class {code} at {pt}, got {got}"
        assert next(ds.sample([(minx + 15, miny + 15)], indexes=1))[0] == raster.CLASS_NODATA
        # Band 2 at the red-line point is 南岳区 or 衡山县 (衡山 is there), by the legend.
        county_idx = next(ds.sample([(points[1].x, points[1].y)], indexes=2))[0]
    names = dict(zip(result.counties["index"], result.counties["name"]))
    assert names[county_idx] in ("南岳区", "衡山县", "衡阳县")


def test_cog_is_tiled_with_overviews_and_legend(constraints):
    _, path = constraints
    info = raster.verify_cog(path)
    assert info["tiled"] and info["overviews"] and info["compression"] == "deflate"
    with rasterio.open(path) as ds:
        assert ds.crs.to_epsg() == 4546
        assert ds.descriptions == ("control_lines", "county")
        assert "ILLUSTRATIVE" in ds.tags()["HYGIS_NOTES"]
        assert ds.res == (30.0, 30.0)
        assert ds.transform.c % 30 == 0 and ds.transform.f % 30 == 0  # snapped origin
    legend = raster.read_legend(path, 1)
    assert {c["code"] for c in legend} >= {0, 1, 2, 4, 255}
    assert any(c["name_zh"] == "生态保护红线" for c in legend)


def test_gtiff_fallback_is_tiled_with_overviews(tmp_path):
    grid = raster.grid_for(layers.load("counties"), cell=200)
    arr = np.zeros(grid.shape, dtype=np.uint8)
    path = raster.write_cog(tmp_path / "g.tif", [arr], grid, nodata=255, use_cog_driver=False)
    info = raster.verify_cog(path)
    assert info["tiled"] and info["overviews"]


def test_summary_areas_add_up_to_the_city(constraints):
    result, _ = constraints
    table = result.summary()
    # The county layer's ellipsoidal area (椭球面积), as the table's cells are; a 30 m raster agrees to 0.1 %.
    city_km2 = measure(layers.load("counties")).sum() / 1e6
    assert table["area_ha"].sum() / 100 == pytest.approx(city_km2, rel=1e-3)
    assert set(table["class_code"]) >= {0, 1, 2, 4}


@pytest.mark.parametrize(
    ("cell", "words"), [(100_000, "too coarse"), (0.5, "million cells"), (-5, "positive")]
)
def test_bad_cell_sizes(cell, words):
    with pytest.raises(HygisInputError, match=words):
        raster.grid_for(layers.load("counties"), cell=cell)


def test_cli_constraints(cli, tmp_path):
    out = tmp_path / "c.tif"
    proc = cli("raster", "constraints", "--cell", "200", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.exists() and out.with_suffix(".csv").exists()
    assert "ILLUSTRATIVE" in proc.stderr
    text = out.with_suffix(".csv").read_text(encoding="utf-8-sig")
    assert "永久基本农田" in text and "珠晖区" in text


def test_cli_constraints_huge_cell(cli, tmp_path):
    proc = cli("raster", "constraints", "--cell", "50000", "--out", str(tmp_path / "c.tif"))
    assert proc.returncode == 2
    assert "too coarse" in proc.stderr and "Traceback" not in proc.stderr


def test_cell_areas_are_ellipsoidal():
    grid = raster.grid_for(layers.load("counties"), cell=1000)
    areas = grid.cell_areas().ravel()
    x, y = grid.xy()
    for col in (0, grid.width // 2, grid.width - 1):
        for row in (0, grid.height - 1):  # one value a column: exact to ~1e-7 at every row
            cx, cy = float(x[0, col]), float(y[row, 0])
            cell = shapely.box(cx - 500, cy - 500, cx + 500, cy + 500)
            assert areas[col] == pytest.approx(measure([cell], grid.crs)[0], rel=2e-7)
    assert not np.allclose(areas, 1e6, rtol=1e-4)  # not the plane's 1 km²
