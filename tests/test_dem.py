"""DEM tiles: names, download from a local HTTP server, cache hit, and a clear message offline."""

from __future__ import annotations

import functools
import http.server
import threading

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hygis.raster import dem


def write_tile(folder, lat: int, lon: int, res: float = 0.01) -> None:
    """A small GLO-30-named tile: elevation rises 100 m per 0.1° east, from 50 m."""
    name = dem.tile_name(lat, lon)
    (folder / name).mkdir(parents=True, exist_ok=True)
    n = int(round(1 / res))
    x = lon + (np.arange(n) + 0.5) * res
    values = (50 + (x - 111) * 1000).astype("float32")
    with rasterio.open(
        folder / name / f"{name}.tif",
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(lon, lat + 1, res, res),
        nodata=-32767.0,
    ) as ds:
        ds.write(np.broadcast_to(values, (n, n)), 1)


@pytest.fixture
def tile_server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tiles for Hengyang, counting the requests."""
    root = tmp_path / "bucket"
    for lat in (26, 27):
        for lon in (111, 112, 113):
            write_tile(root, lat, lon)
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", hits
    server.shutdown()
    server.server_close()


def test_tile_names_for_hengyang():
    names = dem.tile_names((111.538, 26.104, 113.278, 27.472))
    assert names[0] == "Copernicus_DSM_COG_10_N26_00_E111_00_DEM"
    assert len(names) == 6 and "Copernicus_DSM_COG_10_N27_00_E113_00_DEM" in names
    assert dem.tile_names((112.0, 26.0, 113.0, 27.0)) == ["Copernicus_DSM_COG_10_N26_00_E112_00_DEM"]
    assert dem.tile_name(-3, -60) == "Copernicus_DSM_COG_10_S03_00_W060_00_DEM"
    assert dem.tile_url("X", "https://example.org/b") == "https://example.org/b/X/X.tif"


def test_download_mosaic_and_cache_hit(tile_server, tmp_path):
    url, hits = tile_server
    cache = tmp_path / "cache"
    path, source = dem.dem_for((111.538, 26.104, 113.278, 27.472), base_url=url, cache=cache)
    assert len(hits) == 6 and "Copernicus GLO-30" in source
    with rasterio.open(path) as ds:
        assert ds.bounds.left == pytest.approx(111) and ds.bounds.right == pytest.approx(114)
        assert ds.bounds.bottom == pytest.approx(26) and ds.bounds.top == pytest.approx(28)
        val = next(ds.sample([(112.505, 26.5)]))[0]
    assert val == pytest.approx(50 + (112.505 - 111) * 1000, abs=1)
    again, _ = dem.dem_for((111.538, 26.104, 113.278, 27.472), base_url=url, cache=cache)
    assert again == path and len(hits) == 6  # second call: served from the cache, no request


def test_missing_tile_is_skipped(tile_server, tmp_path):
    url, _ = tile_server
    path, source = dem.dem_for(
        (113.5, 27.5, 114.5, 27.9), base_url=url, cache=tmp_path / "c"
    )  # E114 is not served
    assert "E113" in source and "E114" not in source


def test_unreachable_server_says_so(tmp_path):
    with pytest.raises(dem.DemUnavailable, match="cannot be reached"):
        dem.dem_for(
            (112.1, 26.1, 112.9, 26.9), base_url="http://127.0.0.1:9/", cache=tmp_path / "c", timeout=3
        )
    with pytest.raises(dem.DemUnavailable, match="not in the cache"):
        dem.dem_for((112.1, 26.1, 112.9, 26.9), cache=tmp_path / "c", download=False)


def test_slope_of_a_plane():
    # 100 m rise per 1000 m east: atan(0.1) = 5.71°.
    z = np.broadcast_to(np.arange(50) * 10.0, (40, 50))
    s = dem.slope_degrees(z, 100.0)
    assert np.allclose(s, np.degrees(np.arctan(0.1)), atol=1e-4)
