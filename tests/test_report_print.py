"""The printable compliance report as a meeting gets it: printed to PDF by headless Chromium.

A4, at most 5 pages for the plan's 19 projects, page numbers, a summary in projects, conflicts and
approvals first, the landscape appendix, no absolute path. The pages are also rendered to PNG in
tests/artifacts/ (``pdftoppm -r 50``) — look at them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import hygis
from hygis.check.report import write_report

from .conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, skip_or_fail

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict[str, Path]:
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    if shutil.which("pdfinfo") is None:
        skip_or_fail("pdfinfo is missing (apt-get install poppler-utils)")
    sync_api = pytest.importorskip("playwright.sync_api")
    folder = tmp_path_factory.mktemp("print")
    inputs = hygis.resolve()
    report = hygis.check_projects(inputs)
    out = {}
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for lang in ("zh", "en"):
            page_html = write_report(report, folder / f"compliance_{lang}.html", inputs=inputs, lang=lang)
            page = browser.new_page()
            page.goto(page_html.as_uri())
            pdf = folder / f"compliance_{lang}.pdf"
            page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
            out[lang] = pdf
            out[f"{lang}_html"] = page_html
        browser.close()
    ARTIFACTS.mkdir(exist_ok=True)
    for old in ARTIFACTS.glob("compliance_print-*.png"):  # a longer earlier print leaves pages behind
        old.unlink()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(out["zh"]), str(ARTIFACTS / "compliance_print")], check=True
    )
    return out


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True
    )
    return re.findall(r"Page\s+\d+ size:\s+([\d.]+ x [\d.]+ pts.*)", info.stdout)


def _text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a4_and_at_most_five_pages_for_the_plans_19_projects(printed, lang):
    sizes = _pages(printed[lang])
    assert 1 <= len(sizes) <= 5, sizes
    assert all("A4" in s for s in sizes), sizes
    assert "594.96 x 841.92" in sizes[0]  # portrait first
    assert "841.92 x 594.96" in sizes[-1]  # the appendix: one landscape page


def test_summary_counts_projects_and_conflicts_come_first(printed):
    text = re.sub(r"\s+", "", _text(printed["zh"]))
    assert "共19个项目" in text and "1/" in text  # projects, not project × line rows; page numbers
    flagged, compliant, missing = (text.index(s) for s in ("冲突与需审批项目", "符合项目", "未定位项目"))
    assert flagged < compliant < missing < text.index("附表：全部项目审查结果")
    html = printed["zh_html"].read_text(encoding="utf-8")
    assert "/work/" not in html and "site-packages" not in html and "hygis data/corridor_widths.csv" in html
    # The 15 projects without a site are one list; the appendix has one row per project, not 57.
    assert html.count("<p class='list'>") == 1
    assert html.split("class='appendix'")[1].count("<tr>") == 2 + 19


def test_english_on_request(printed):
    text = re.sub(r"\s+", " ", _text(printed["en"]))
    assert "19 projects" in text and "Conflicts and approvals" in text and "审查概况" not in text
