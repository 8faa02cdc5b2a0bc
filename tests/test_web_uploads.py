"""Uploads to `hygis web`: what a planner sends is read; what would escape the job's folder, blow up
or lie about its type is refused with a message. Also the gate (token, size) and the settings."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from hygis.errors import HygisInputError
from hygis.io.read import read_vector
from hygis.web.config import load_settings
from hygis.web.uploads import Limits, UploadError, member_name, save_upload

from .web_fixtures import sites_frame

pytest.importorskip("pygeoapi")
from hygis.web.app import Gate, expire

LIMITS = Limits(max_bytes=5 << 20, max_members=20, max_unzipped=10 << 20, max_ratio=200)


class GbkInfo(zipfile.ZipInfo):
    """A member named as Chinese Windows' "send to compressed folder" names it: GBK, no UTF-8 flag."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _zip(members: dict[str, bytes], *, gbk: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            info = (GbkInfo if gbk else zipfile.ZipInfo)(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def test_a_zipped_shapefile_with_gbk_names_is_unpacked_and_read(tmp_path):
    shp = tmp_path / "src" / "界址点.shp"
    shp.parent.mkdir()
    sites_frame().to_file(shp, encoding="gbk")
    members = {p.name: p.read_bytes() for p in shp.parent.iterdir()}
    data = _zip(members, gbk=True)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert not z.infolist()[0].flag_bits & 0x800
        assert {member_name(i) for i in z.infolist()} == set(members)
    folder = save_upload(data, "地块.zip", tmp_path / "job", LIMITS)
    assert (folder / "界址点.shp").is_file()
    gdf = read_vector(folder)
    assert sorted(gdf["name"]) == sorted(sites_frame()["name"])


@pytest.mark.parametrize(
    ("members", "words", "status"),
    [
        ({"../../evil.txt": b"x"}, "zip-slip", 400),
        ({"a/../../evil.txt": b"x"}, "zip-slip", 400),
        ({"/etc/evil.txt": b"x"}, "absolute", 400),
        ({"C:\\Windows\\evil.txt": b"x"}, "absolute", 400),
        ({"bomb.shp": bytes(8 << 20)}, "zip bomb", 413),
        ({f"f{k}.txt": b"x" for k in range(21)}, "more than the 20", 413),
    ],
)
def test_dangerous_zips_are_refused_and_nothing_is_written_outside(tmp_path, members, words, status):
    job = tmp_path / "jobs" / "one"
    with pytest.raises(UploadError) as refused:
        save_upload(_zip(members), "parcels.zip", job, LIMITS)
    assert words in str(refused.value)
    assert refused.value.status == status
    assert not list(tmp_path.rglob("evil.txt"))
    assert not (job / "parcels.unzipped").exists() or not any((job / "parcels.unzipped").rglob("*"))


def test_unzipped_total_is_limited_even_when_each_member_is_modest(tmp_path):
    members = {f"part{k}.dbf": bytes(range(256)) * 12_000 for k in range(4)}  # 3 MB each, incompressible-ish
    small = Limits(max_bytes=50 << 20, max_members=20, max_unzipped=10 << 20, max_ratio=1e9)
    with pytest.raises(UploadError, match="unpacks to more than 10 MB"):
        save_upload(_zip(members), "big.zip", tmp_path / "job", small)


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("坐标.txt", bytes(range(256)) * 8, "not text"),
        ("parcels.zip", b"not a zip at all", "not a zip"),
        ("plan.gpkg", b"PK\x03\x04" + bytes(100), "not a GeoPackage"),
        ("图斑.kml", "<html>不是 KML</html>".encode(), "not a KML"),
        ("../坐标.txt", b"x", "'..'"),
        ("C:\\data\\坐标.txt", b"x", "folder"),
        ("virus.exe", b"MZ", "hygis reads"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_content_must_match_the_name(tmp_path, name, data, words):
    with pytest.raises(UploadError) as refused:
        save_upload(data, name, tmp_path / "job", LIMITS)
    assert words in str(refused.value)
    assert not (tmp_path / "坐标.txt").exists()


def test_a_file_over_the_limit_is_refused(tmp_path):
    with pytest.raises(UploadError, match="more than the 5 MB"):
        save_upload(b"x" * (6 << 20), "坐标.txt", tmp_path / "job", LIMITS)


def test_gbk_text_is_text(tmp_path):
    text = "[属性描述]\n坐标系=2000国家大地坐标系\n".encode("gbk")
    assert save_upload(text, "坐标.txt", tmp_path / "job", LIMITS).read_bytes() == text


# --- the gate in front of pygeoapi: token and size, on a stand-in application ----------------


def _call(gate, path="/collections", headers=None, length=0, query=""):
    environ = {
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_METHOD": "GET",
        "CONTENT_LENGTH": str(length),
        "REMOTE_ADDR": "127.0.0.1",
        **(headers or {}),
    }
    seen = {}

    def start(status, headers):
        seen["status"], seen["headers"] = status, dict(headers)

    body = b"".join(gate(environ, start))
    return int(seen["status"].split()[0]), body, seen["headers"]


def _api(environ, start):
    start("200 OK", [("Content-Type", "text/plain")])
    return [b"api"]


def test_the_token_is_required_on_every_request(tmp_path):
    settings = load_settings(state_dir=tmp_path, token="s3cret")
    gate = Gate(_api, settings)
    assert _call(gate)[0] == 401
    assert _call(gate, headers={"HTTP_AUTHORIZATION": "Bearer wrong"})[0] == 401
    assert _call(gate, headers={"HTTP_AUTHORIZATION": "Bearer s3cret"})[:2] == (200, b"api")
    assert _call(gate, headers={"HTTP_COOKIE": "hygis_token=s3cret"})[:2] == (200, b"api")
    status, _, headers = _call(gate, path="/", query="token=s3cret")
    assert status == 303 and "hygis_token=s3cret" in headers["Set-Cookie"]
    assert _call(gate, path="/downloads/x/report.xlsx")[0] == 401


def test_an_oversized_request_is_refused_before_it_is_read(tmp_path):
    gate = Gate(_api, load_settings(state_dir=tmp_path))
    status, body, _ = _call(gate, length=2 << 30)
    assert status == 413
    assert "at most 50 MB" in json.loads(body)["description"]


def test_downloads_only_serve_a_jobs_own_files(tmp_path):
    settings = load_settings(state_dir=tmp_path)
    job = settings.jobs_dir / "0f8b1a2e-0000-4000-8000-000000000000"
    job.mkdir(parents=True)
    (job / "report.xlsx").write_bytes(b"xlsx")
    gate = Gate(_api, settings)
    assert _call(gate, path=f"/downloads/{job.name}/report.xlsx")[:2] == (200, b"xlsx")
    for path in (
        f"/downloads/{job.name}/../audit.jsonl",
        "/downloads/../../etc/passwd",
        f"/downloads/{job.name}/input",
        "/page/../app.py",
    ):
        assert _call(gate, path=path)[0] == 404, path


def test_settings_refuse_an_open_host_without_token_and_unknown_keys(tmp_path, monkeypatch):
    monkeypatch.delenv("HYGIS_WEB_TOKEN", raising=False)
    with pytest.raises(HygisInputError, match="token"):
        load_settings(host="0.0.0.0", state_dir=tmp_path)
    assert load_settings(host="0.0.0.0", token="t", state_dir=tmp_path).host == "0.0.0.0"
    config = tmp_path / "web.yml"
    config.write_text(
        "port: 8123\ncontrol_lines: 三区三线.gpkg\nlimits:\n  max_upload_mb: 5\n", encoding="utf-8"
    )
    settings = load_settings(config)
    assert settings.port == 8123
    assert settings.limit("max_upload_mb") == 5
    assert Path(settings.inputs["control_lines"]) == tmp_path / "三区三线.gpkg"  # relative to the file
    config.write_text("prot: 8123\n", encoding="utf-8")
    with pytest.raises(HygisInputError, match="unknown key"):
        load_settings(config)


def test_results_expire(tmp_path):
    settings = load_settings(state_dir=tmp_path)
    job = settings.jobs_dir / "0f8b1a2e-0000-4000-8000-000000000001"
    job.mkdir(parents=True)
    (job / "report.xlsx").write_bytes(b"xlsx")
    assert expire(settings) == 0  # younger than results_ttl_h
    settings.limits["results_ttl_h"] = 0
    assert expire(settings) == 1
    assert not job.exists()
    assert settings.state_dir.is_dir()
