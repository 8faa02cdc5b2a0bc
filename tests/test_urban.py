"""Urban system: distances by hand and against geodesics, Voronoi service areas, distance bands, rank-size."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from hygis.analysis import urban
from hygis.plan import layers

from .analysis_fixtures import GK, box, pt


def _fixture():
    # City: a 40 km × 20 km rectangle of two units; central city = [0,10 km]² in unit A;
    # unit B's seat at (30 km, 10 km); a town of B at (30 km, 13 km); a town of B with no location.
    counties = gpd.GeoDataFrame(
        {"code": ["439901", "439902"], "name": ["甲区", "乙县"], "seat": ["甲街道", "乙镇"]},
        geometry=[box(0, 0, 20000, 20000), box(20000, 0, 40000, 20000)],
        crs=GK,
    )
    places = gpd.GeoDataFrame(
        {
            "place_id": ["central_city", "seat_b", "town_b", "town_lost"],
            "name": ["中心城区", "乙镇（乙县驻地）", "丙镇", "丁镇"],
            "tier": [1, 2, 3, 3],
            "county_code": ["439901", "439902", "439902", "439902"],
            "merge_with_city": [False, True, False, True],
            "precision_m": [np.nan, 100, 100, np.nan],
        },
        geometry=[box(0, 0, 10000, 10000), pt(30000, 10000), pt(30000, 13000), None],
        crs=GK,
    )
    return places, counties


def test_distances_by_hand():
    places, counties = _fixture()
    d = urban.town_distances(places, counties).set_index("place_id")
    assert d.loc["town_b", "to_seat_km"] == pytest.approx(3.0, abs=1e-6)
    assert d.loc["seat_b", "to_central_city_edge_km"] == pytest.approx(20.0, abs=1e-6)
    assert d.loc["seat_b", "to_central_city_centre_km"] == pytest.approx(np.hypot(25, 5), abs=1e-6)
    assert d.loc["seat_b", "to_seat_km"] == 0 and "is the county seat" in d.loc["seat_b", "note"]
    assert np.isnan(d.loc["town_lost", "to_seat_km"]) and "not confirmed" in d.loc["town_lost", "note"]
    assert d.crs.to_epsg() == 4326 and d.attrs["crs"].startswith("EPSG:4546")


def test_merge_with_city_keeps_unlocated_rows():
    places, counties = _fixture()
    m = urban.merge_with_city(places, counties)
    assert list(m["place_id"]) == ["seat_b", "town_lost"]
    assert np.isnan(m.loc[1, "to_central_city_edge_km"])


def test_embedded_distances_agree_with_geodesics():
    """GK straight-line distances against pyproj's geodesic on the ellipsoid (an independent computation)."""
    d = urban.town_distances()
    d = d[d.geometry.notna() & ~d.geometry.is_empty]
    city = layers.load("urban_system").set_index("place_id").geometry[["central_city"]]
    centre = city.to_crs("EPSG:4546").centroid.to_crs(4326).iloc[0]
    geod = Geod(ellps="GRS80")
    for row in d.itertuples():
        _, _, metres = geod.inv(row.geometry.x, row.geometry.y, centre.x, centre.y)
        assert row.to_central_city_centre_km == pytest.approx(
            metres / 1000, rel=5e-4
        )  # GK scale error ≤ 1/1000 in the zone; here ~2e-4


def test_embedded_merge_with_city_towns():
    m = urban.merge_with_city()
    names = "".join(m["name"])
    for town in ("西渡", "云集", "大浦", "南岳"):
        assert town in names
    located = m.geometry.notna() & ~m.geometry.is_empty
    # A located town has a distance; a town no source locates has none, and says so.
    assert np.isfinite(m.loc[located, "to_central_city_edge_km"]).all()
    assert m.loc[~located, "to_central_city_edge_km"].isna().all()
    assert m.loc[~located, "note"].str.contains("not confirmed").all()


def test_catchments_split_the_city_and_sum_to_it():
    places, counties = _fixture()
    cells = urban.seat_catchments(places, counties).set_index("place_id")
    # generators: central-city centroid (5 km, 5 km) and the seat (30 km, 10 km); check by containment
    assert cells["area_km2"].sum() == pytest.approx(800.0, rel=1e-9)
    gk = cells.to_crs(GK)
    assert gk.geometry["seat_b"].contains(pt(35000, 15000)) and gk.geometry["central_city"].contains(
        pt(1000, 1000)
    )
    embedded = urban.seat_catchments()
    assert embedded["area_km2"].sum() == pytest.approx(15310.7, abs=0.1) and len(embedded) == 9


def test_distance_bands_disc_area():
    places = gpd.GeoDataFrame(
        {"place_id": ["c", "s"], "name": ["c", "s"], "tier": [1, 2], "county_code": ["439901", "439902"]},
        geometry=[box(0, 0, 1000, 1000), pt(60000, 30000)],
        crs=GK,
    )
    counties = gpd.GeoDataFrame(
        {"code": ["439901", "439902"], "name": ["a", "b"], "seat": ["", ""]},
        geometry=[box(-60000, -60000, 30000, 120000), box(30000, -60000, 120000, 120000)],
        crs=GK,
    )
    bands = urban.distance_bands(places, counties, bands_km=(5, 10))
    seat = bands[bands["place_id"] == "s"].set_index("band")["area_km2"]
    assert seat["0–5 km"] == pytest.approx(np.pi * 25, rel=5e-5)
    assert seat["5–10 km"] == pytest.approx(np.pi * 75, rel=5e-5)
    with pytest.raises(Exception, match="increasing"):
        urban.distance_bands(places, counties, bands_km=(10, 5))


def test_rank_size_empty_without_sourced_population():
    r = urban.rank_size()
    assert r.empty and "does not invent" in r.attrs["note"]


def test_rank_size_perfect_zipf():
    pop = pd.DataFrame(
        {
            "place_id": ["seat_430421", "seat_430422", "seat_430423", "seat_430424"],
            "population": [120000, 60000, 40000, 30000],
            "source": ["test fixture"] * 4,
        }
    )
    r = urban.rank_size(population=pop)
    assert list(r["rank"]) == [1, 2, 3, 4] and r.attrs["zipf_q"] == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(Exception, match="source"):
        urban.rank_size(population=pop.assign(source=""))


def test_zipf_note_reads_in_chinese_and_english(tmp_path):
    pop = pd.DataFrame(
        {
            "place_id": ["seat_430421", "seat_430422", "seat_430423", "seat_430424"],
            "population": [120000, 60000, 40000, 30000],
            "source": ["test fixture"] * 4,
        }
    )
    sheets = urban.urban_report(population=pop)
    for lang, sheet, item, note in (
        ("zh", "方法与说明", "事项", "齐普夫指数 q = 1.00"),
        ("en", "about", "item", "Zipf exponent q = 1.00"),
    ):
        book = urban.write_urban_report(sheets, tmp_path / f"{lang}.xlsx", lang=lang)
        about = pd.read_excel(book, sheet_name=sheet).set_index(item)
        assert about.iloc[:, 0][about.index.str.contains("位序规模|rank-size")].tolist() == [note]


def test_unlocated_seat_is_explained():
    places, counties = _fixture()
    places.loc[places["place_id"] == "seat_b", "geometry"] = None
    d = urban.town_distances(places, counties).set_index("place_id")
    assert np.isnan(d.loc["town_b", "to_seat_km"]) and "no confirmed location" in d.loc["town_b", "note"]


def test_users_central_villages_fill_tier_four(tmp_path, cli):
    import pandas as pd

    seat = layers.load("urban_system").set_index("place_id").geometry["seat_430421"]  # 西渡 (衡阳县)
    path = tmp_path / "中心村.csv"
    pd.DataFrame({"村名": ["示例村"], "经度": [seat.x + 0.05], "纬度": [seat.y]}).to_csv(
        path, index=False, encoding="utf-8-sig"
    )
    system = urban.with_central_villages(path, crs="EPSG:4490")
    village = system[system["tier"] == 4].iloc[0]
    assert village["name"] == "示例村" and village["county_code"] == "430421"
    d = urban.town_distances(system).set_index("name").loc["示例村"]
    assert 4.0 < d["to_seat_km"] < 5.5  # 0.05° of longitude at 27°N ≈ 4.96 km
    out = tmp_path / "urban.xlsx"
    proc = cli("urban", "--central-villages", str(path), "--crs", "EPSG:4490", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "示例村" in set(pd.read_excel(out, sheet_name="城镇距离")["名称"])
