"""`hygis web` as an office runs it: started on 127.0.0.1 by the test, read by OWSLib (a client no
one here wrote), its check equal to `hygis check`, bad uploads refused, concurrent users served.

All traffic goes to 127.0.0.1; the server is stopped by the fixture.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import os
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from .web_fixtures import (
    assert_same_rows,
    sites_frame,
    sites_geojson,
    start_server,
    stop_server,
    write_sites_txt,
)

pytest.importorskip("pygeoapi")
features_api = pytest.importorskip("owslib.ogcapi.features")
processes_api = pytest.importorskip("owslib.ogcapi.processes")

FEATURES_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
PROCESSES_CORE = "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core"
LAYERS = {
    "counties",
    "urban_system",
    "ecological_redline",
    "permanent_farmland",
    "urban_development_boundary",
    "projects",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("web")
    cache = tmp_path_factory.getbasetemp() / "hygis-cache"  # the session's, as tests/conftest.py sets it
    srv = start_server(base, env={"HYGIS_CACHE_DIR": str(cache), "HYGIS_KERNEL_DIR": str(cache / "kernel")})
    try:
        yield srv
    finally:
        stop_server(srv)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-files")
    txt = write_sites_txt(folder / "界址坐标.txt")
    geojson = folder / "sites.geojson"
    geojson.write_text(json.dumps(sites_geojson(), ensure_ascii=False), encoding="utf-8")
    return {"txt": txt, "geojson": geojson, "folder": folder}


def cli_rows(cli, projects, out) -> pd.DataFrame:
    cli("check", "--projects", str(projects), "--out", str(out), check=True)
    return pd.read_csv(out)


def test_conformance_lists_features_and_processes_core(server):
    status, body, _ = server.get("/conformance")
    assert status == 200
    conforms = json.loads(body)["conformsTo"]
    assert FEATURES_CORE in conforms
    assert PROCESSES_CORE in conforms


def test_root_is_the_page_for_a_browser_and_the_landing_page_for_a_client(server):
    status, body, headers = server.get("/", accept="text/html,application/xhtml+xml")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    page = body.decode("utf-8")
    assert "规划符合性审查" in page
    assert "http://" not in page and "https://" not in page  # no CDN: everything from this server
    status, body, _ = server.get("/?f=json")
    assert status == 200
    assert any(link["rel"] == "conformance" for link in json.loads(body)["links"])


def test_owslib_lists_the_plan_layers_and_reads_items(server):
    api = features_api.Features(server.url)
    collections = {c["id"]: c for c in api.collections()["collections"]}
    assert len(collections) >= 6
    assert LAYERS <= set(collections)
    # The illustrative lines say so to every client.
    assert "status:illustrative" in collections["permanent_farmland"]["keywords"]
    assert "示意" in collections["permanent_farmland"]["title"]
    first = api.collection_items("counties", limit=5)
    assert first["numberMatched"] == 12
    assert len(first["features"]) == 5
    rest = api.collection_items("counties", limit=10, offset=5)
    names = [f["properties"]["name"] for f in first["features"] + rest["features"]]
    assert len(names) == 12 and len(set(names)) == 12
    assert "雁峰区" in names and "耒阳市" in names  # Chinese names intact
    everything = api.collection_items("permanent_farmland", limit=10000)["numberMatched"]
    boxed = api.collection_items("permanent_farmland", bbox=[112.5, 26.8, 112.7, 27.0], limit=10000)
    assert 0 < boxed["numberMatched"] < everything
    one = api.collection_item("counties", str(first["features"][0]["id"]))
    assert one["properties"]["name"] == names[0]


def test_owslib_executes_check_with_the_same_rows_as_the_cli(server, files, cli, tmp_path):
    api = processes_api.Processes(server.url)
    assert "check" in {p["id"] for p in api.processes()}
    description = api.process("check")
    assert {"projects", "file", "crs", "area"} <= set(description["inputs"])
    qualified = {"value": sites_geojson(), "mediaType": "application/geo+json"}
    result = api.execute("check", {"projects": qualified, "formats": ["csv"]}, response="raw")
    expected = cli_rows(cli, files["geojson"], tmp_path / "x.csv")
    assert_same_rows(expected, result["columns"], result["rows"])
    assert {"control_line", "overlap_ha", "verdict"} <= set(result["columns"])
    assert result["verdicts"].get("conflict", 0) >= 1  # the sites on the farmland and red line
    # The bare FeatureCollection gives the same rows.
    status, bare = server.check({"projects": sites_geojson(), "formats": ["csv"]})
    assert status == 200
    assert bare["rows"] == result["rows"]


def test_uploaded_coordinate_txt_gives_the_cli_numbers_and_the_files(server, files, cli, tmp_path):
    raw = files["txt"].read_bytes()
    status, result = server.check(
        {
            "file": {"value": base64.b64encode(raw).decode(), "encoding": "base64"},
            "filename": files["txt"].name,
        }
    )
    assert status == 200, result
    expected = cli_rows(cli, files["txt"], tmp_path / "x.csv")
    assert_same_rows(expected, result["columns"], result["rows"])
    names = {link["name"] for link in result["links"]}
    assert {"report.xlsx", "report.html", "report.gpkg", "sites.txt", "map.html"} <= names
    for link in result["links"]:
        path = link["href"].split(server.url, 1)[1]
        status, body, _ = server.get(path, accept="*/*")
        assert status == 200
        assert hashlib.sha256(body).hexdigest() == link["sha256"]
    # The audit log has the upload's hash and the outputs' hashes.
    entries = [json.loads(line) for line in (server.state / "audit.jsonl").read_text("utf-8").splitlines()]
    mine = [e for e in entries if e.get("job") == result["job"]]
    assert len(mine) == 1
    assert mine[0]["inputs"] == {"file": hashlib.sha256(raw).hexdigest()}
    assert mine[0]["status"] == "done"
    assert mine[0]["verdicts"] == {k: v for k, v in result["verdicts"].items()}
    assert mine[0]["outputs"]["report.xlsx"] == next(
        x["sha256"] for x in result["links"] if x["name"] == "report.xlsx"
    )


def _zip(members: dict[str, bytes], *, level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", level) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _upload(server, name: str, data: bytes):
    return server.check(
        {"file": {"value": base64.b64encode(data).decode(), "encoding": "base64"}, "filename": name}
    )


def test_bad_uploads_are_refused_with_a_message_and_the_server_keeps_serving(server, tmp_path):
    jobs_before = set((server.state / "jobs").iterdir())
    cases = {
        "zip-slip": (_upload(server, "parcels.zip", _zip({"../../evil.txt": b"x"})), "zip-slip"),
        "absolute": (_upload(server, "parcels.zip", _zip({"/tmp/evil.txt": b"x"})), "absolute"),
        "zip bomb": (_upload(server, "parcels.zip", _zip({"a.shp": bytes(20 << 20)})), "zip bomb"),
        "binary as txt": (_upload(server, "坐标.txt", bytes(range(256)) * 64), "not text"),
        "name with ..": (_upload(server, "../坐标.txt", b"x"), "'..'"),
        "href to a server path": (server.check({"projects": {"href": "file:///etc/passwd"}}), "href"),
        "wrong CRS": (
            server.check(
                {
                    "projects": {
                        "type": "FeatureCollection",
                        "features": [
                            {
                                "type": "Feature",
                                "properties": {"project_id": "X"},
                                "geometry": {"type": "Point", "coordinates": [3_720_000.0, 2_900_000.0]},
                            }
                        ],
                    }
                }
            ),
            "",
        ),
    }
    for label, ((status, body), words) in cases.items():
        assert 400 <= status < 500, (label, status, body)
        assert words in body.get("description", ""), (label, body)
        assert "Traceback" not in body.get("description", "")
    # Nothing written outside the jobs' folders (the zip-slip target included).
    assert not list(server.state.parent.rglob("evil.txt"))
    for job in set((server.state / "jobs").iterdir()) - jobs_before:
        assert not list(job.rglob("evil.txt"))
    # A 2 GB request is refused before it is read.
    host, port = server.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", "/processes/check/execution")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", str(2 << 30))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
    assert server.get("/conformance")[0] == 200


def test_ten_concurrent_checks_give_identical_results(server):
    request = {"projects": sites_geojson(), "formats": ["csv"]}
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: server.check(request, timeout=300), range(10)))
    statuses = [s for s, _ in results]
    assert statuses == [200] * 10
    rows = [r["rows"] for _, r in results]
    assert all(r == rows[0] for r in rows)
    assert len({r["job"] for _, r in results}) == 10  # each in its own job folder


def test_audit_prints_the_log_as_a_table(server, cli):
    proc = cli("web", "--audit", "--state-dir", str(server.state), check=True)
    assert "check" in proc.stdout
    assert "done" in proc.stdout
    assert "refused" in proc.stdout


def test_non_loopback_host_needs_a_token(cli, tmp_path):
    proc = cli("web", "--host", "0.0.0.0", "--state-dir", str(tmp_path / "s"))
    assert proc.returncode == 2
    assert "token" in proc.stderr


def test_an_asynchronous_job_gives_the_same_rows(server):
    body = json.dumps({"inputs": {"projects": sites_geojson(), "formats": ["csv"]}}).encode()
    host, port = server.url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request(
        "POST",
        "/processes/check/execution",
        body=body,
        headers={"Content-Type": "application/json", "Prefer": "respond-async"},
    )
    response = conn.getresponse()
    response.read()
    assert response.status == 201
    job = response.getheader("Location").split(server.url, 1)[1]
    conn.close()
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = json.loads(server.get(job + "?f=json")[1])["status"]
        if status in ("successful", "failed"):
            break
        time.sleep(0.5)
    assert status == "successful"
    result = json.loads(server.get(job + "/results?f=json")[1])
    _, sync = server.check({"projects": sites_geojson(), "formats": ["csv"]})
    assert result["rows"] == sync["rows"]


QGIS_PROBE = """
import sys
from qgis.core import QgsApplication, QgsVectorLayer
app = QgsApplication([], False)
app.initQgis()
url, name = sys.argv[1], sys.argv[2]
layer = QgsVectorLayer(f"url='{url}' typename='{name}'", name, "OAPIF")
print("valid", layer.isValid())
print("count", layer.featureCount())
print("names", ",".join(sorted(str(f["name"]) for f in layer.getFeatures())))
app.exitQgis()
"""


def test_real_qgis_opens_a_collection_with_its_oapif_provider(server, tmp_path):
    system_python = "/usr/bin/python3"
    probe = subprocess.run([system_python, "-c", "import qgis.core"], capture_output=True, timeout=120)
    if probe.returncode != 0:
        pytest.skip("Debian's QGIS is not installed (apt-get install python3-qgis qgis-providers)")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    env.pop("PYTHONPATH", None)  # the system Python with its own packages
    proc = subprocess.run(
        [system_python, "-c", QGIS_PROBE, server.url, "counties"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    assert lines.get("valid") == "True", proc.stdout + proc.stderr
    assert lines["count"] == "12"
    names = lines["names"].split(",")
    assert "雁峰区" in names and "耒阳市" in names  # Chinese names intact through QGIS


def test_stats_and_monitor_changes_processes_give_the_cli_rows(server, cli, tmp_path):
    api = processes_api.Processes(server.url)
    assert {"check", "stats", "monitor-changes"} <= {p["id"] for p in api.processes()}
    status, stats = server.post("/processes/stats/execution", {"inputs": {}})
    assert status == 200, stats
    cli("stats", "control-lines", "--out", str(tmp_path / "s.csv"), check=True)
    assert_same_rows(pd.read_csv(tmp_path / "s.csv", dtype={"code": str}), stats["columns"], stats["rows"])
    status, changes = server.post("/processes/monitor-changes/execution", {"inputs": {}}, timeout=300)
    assert status == 200, changes
    cli("monitor", "changes", "--out", str(tmp_path / "c.csv"), check=True)
    expected = pd.read_csv(tmp_path / "c.csv", dtype=str)
    assert changes["columns"] == list(expected.columns)
    assert len(changes["rows"]) == len(expected)
    assert [r["level"] for r in changes["rows"]] == expected["level"].tolist()
    area = next(c for c in changes["columns"] if c.endswith("_ha"))
    assert [float(r[area]) for r in changes["rows"]] == expected[area].astype(float).tolist()


def test_pasted_coordinates_give_the_rows_of_the_file(server, files):
    text = files["txt"].read_bytes().decode("gb18030")
    status, pasted = server.check({"coordinates": text, "formats": ["csv"]})
    assert status == 200, pasted
    raw = files["txt"].read_bytes()
    status, uploaded = server.check(
        {
            "file": {"value": base64.b64encode(raw).decode(), "encoding": "base64"},
            "filename": files["txt"].name,
            "formats": ["csv"],
        }
    )
    assert status == 200, uploaded
    assert pasted["rows"] == uploaded["rows"]


def test_a_zipped_shapefile_upload_gives_the_cli_rows(server, cli, tmp_path):
    shp = tmp_path / "shp" / "地块.shp"
    shp.parent.mkdir()
    sites_frame().to_file(shp, encoding="gbk")
    archive = tmp_path / "地块.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in shp.parent.iterdir():
            z.write(part, part.name)
    raw = archive.read_bytes()
    status, result = server.check(
        {
            "file": {"value": base64.b64encode(raw).decode(), "encoding": "base64"},
            "filename": archive.name,
            "formats": ["csv"],
        }
    )
    assert status == 200, result
    expected = cli_rows(cli, archive, tmp_path / "x.csv")
    assert_same_rows(expected, result["columns"], result["rows"])
    assert {r["name"] for r in result["rows"]} == {"工业地块", "旅游设施", "商业地块"}
