"""A Shapefile's attribute encoding, by the book.

The .cpg, then the DBF language-driver byte, then detection.
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from hygis import io

from .conftest import HENGYANG, square


def write_dbf(path, names, *, encoding: str, ldid: int, cpg: str | None) -> None:
    """A Shapefile whose .dbf holds ``names`` in ``encoding`` with the given LDID byte and .cpg (or none)."""
    gdf = gpd.GeoDataFrame(
        {"project_id": [f"P{i}" for i in range(len(names))], "name": names},
        geometry=[square(*HENGYANG)] * len(names),
        crs=4490,
    )
    gdf.to_file(path, driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    raw[29] = ldid
    dbf.write_bytes(bytes(raw))
    if cpg is not None:
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")


def test_cpg_wins_over_the_language_driver_byte(tmp_path):
    path = tmp_path / "cpg.shp"
    write_dbf(path, ["Müller"], encoding="cp1252", ldid=0x4D, cpg="1252")  # the LDID (GBK) is wrong
    assert io.read_vector(path)["name"].iloc[0] == "Müller"


def test_language_driver_byte_when_no_cpg(tmp_path):
    # A Western-European DBF: without the LDID, detection would read GB18030 and show "M黮ler".
    path = tmp_path / "ldid.shp"
    write_dbf(path, ["Müller"], encoding="cp1252", ldid=0x57, cpg=None)
    assert io.detect_dbf_encoding(path.with_suffix(".dbf").read_bytes()) == "ISO-8859-1"
    assert io.read_vector(path)["name"].iloc[0] == "Müller"


def test_language_driver_byte_gbk(tmp_path):
    path = tmp_path / "ldid_gbk.shp"
    write_dbf(path, ["永久基本农田"], encoding="gbk", ldid=0x4D, cpg=None)
    assert io.read_vector(path)["name"].iloc[0] == "永久基本农田"


@pytest.mark.parametrize(("encoding", "found"), [("gbk", "GB18030"), ("utf-8", "UTF-8")])
def test_detection_when_neither_cpg_nor_language_driver(tmp_path, encoding, found):
    path = tmp_path / f"detect_{encoding}.shp"
    write_dbf(path, ["城镇开发边界", "衡阳"], encoding=encoding, ldid=0, cpg=None)
    assert io.detect_dbf_encoding(path.with_suffix(".dbf").read_bytes()) == found
    assert list(io.read_vector(path)["name"]) == ["城镇开发边界", "衡阳"]
