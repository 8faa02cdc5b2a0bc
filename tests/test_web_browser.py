"""The page of `hygis web` in a real headless Chromium (Debian's), as a planner uses it: upload a
坐标 .txt → the parcels on the map → the verdict table → the .xlsx downloaded equals
`hygis check --out x.xlsx` on the same file. Every request leaves only for 127.0.0.1.

Screenshots go to tests/artifacts/ — look at them.
"""

from __future__ import annotations

import pandas as pd
import pytest

from .conftest import ARTIFACTS
from .web_fixtures import start_server, stop_server, write_sites_txt

pytestmark = pytest.mark.browser
pytest.importorskip("pygeoapi")

#: Sheets of the report whose values are the check's (provenance and warnings name paths and times).
#: The workbook's tables a planner compares (the method sheet holds the time it was made).
SHEETS = ("审查结果", "项目汇总", "分县统计", "永久基本农田图斑明细")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("web-browser")
    cache = tmp_path_factory.getbasetemp() / "hygis-cache"
    srv = start_server(base, env={"HYGIS_CACHE_DIR": str(cache), "HYGIS_KERNEL_DIR": str(cache / "kernel")})
    try:
        yield srv
    finally:
        stop_server(srv)


def test_a_planner_uploads_coordinates_and_downloads_the_cli_report(browser, server, cli, tmp_path):
    txt = write_sites_txt(tmp_path / "界址坐标.txt")
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    errors: list[str] = []
    outside: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    def only_here(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_here)
    try:
        page.goto(server.url + "/")
        # The page asks /collections for the lines' status after it loads: wait for its answer.
        page.wait_for_selector("#banner:not([hidden])", timeout=30_000)
        assert "示意数据" in page.text_content("#banner")  # the lines are the illustrative ones
        page.set_input_files("#file", str(txt))
        page.click("#run")
        page.wait_for_selector("#verdicts tbody tr", timeout=180_000)
        assert "审查完成" in page.text_content("#status")
        rows = page.locator("#verdicts tbody tr")
        assert rows.count() == 9  # 3 parcels × 3 lines
        assert "冲突" in page.text_content("#verdicts")
        # The parcels on the compliance map (the project's own renderer), drawn by Leaflet.
        site_map = page.frame_locator("#map")
        site_map.locator(".leaflet-container").wait_for(timeout=60_000)
        assert site_map.locator("path.leaflet-interactive").count() >= 3
        assert page.locator("#preaudit tbody tr").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-page.png"), full_page=True)
        with page.expect_download(timeout=60_000) as download:
            page.click("#downloads a[download='report.xlsx']")
        got = tmp_path / "from-page.xlsx"
        download.value.save_as(got)
    finally:
        page.close()
    assert errors == []
    assert outside == []
    expected = tmp_path / "x.xlsx"
    cli("check", "--projects", str(txt), "--out", str(expected), check=True)
    mine, theirs = pd.read_excel(got, sheet_name=None), pd.read_excel(expected, sheet_name=None)
    assert list(mine) == list(theirs)
    assert set(SHEETS) <= set(theirs)  # named as the workbook names them: compared, not skipped
    for sheet in SHEETS:
        pd.testing.assert_frame_equal(mine[sheet], theirs[sheet], check_exact=True, obj=sheet)
