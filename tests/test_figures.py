"""Print figures (``hygis figure``): the PDF a bureau files, checked as a printer and a reader would.

Each figure is written to PDF and read back with poppler (pdfinfo, pdffonts, pdftotext, pdftoppm):
the paper size, every font embedded, the title, the legend, the numeric scale, the north arrow and
the illustrative stamp in the text; the scale bar's printed length against the map's scale.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from hygis.errors import HygisInputError, HygisOutputError
from hygis.figures import Sheet, figure, measured_scale, save_figure
from hygis.figures.layout import fit_scale, round_scale
from hygis.plan import resolve
from tests.conftest import run_cli, skip_or_fail

MM_PER_PT = 25.4 / 72
A3_PT = (420 / MM_PER_PT, 297 / MM_PER_PT)
A4_PT = (297 / MM_PER_PT, 210 / MM_PER_PT)


def poppler(tool: str, *args: str) -> str:
    if shutil.which(tool) is None:
        skip_or_fail(f"{tool} (poppler-utils) is not installed")
    proc = subprocess.run([tool, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def page_size_pt(pdf: Path) -> tuple[float, float]:
    m = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", poppler("pdfinfo", str(pdf)))
    assert m, "pdfinfo gave no page size"
    return float(m.group(1)), float(m.group(2))


def fonts(pdf: Path) -> list[list[str]]:
    """pdffonts' rows: name, type …, emb, sub, uni, object id."""
    lines = poppler("pdffonts", str(pdf)).splitlines()[2:]
    return [line.split() for line in lines if line.strip()]


def text_of(pdf: Path) -> str:
    return poppler("pdftotext", "-enc", "UTF-8", str(pdf), "-")


@pytest.fixture(scope="module")
def inputs():
    return resolve()


@pytest.fixture(scope="module")
def control_lines(inputs, tmp_path_factory):
    """The control-line figure on A3 landscape, and its PDF."""
    fig = figure("control-lines", inputs, paper="A3", orientation="landscape", unit="衡阳市自然资源和规划局")
    pdf = save_figure(fig, tmp_path_factory.mktemp("fig") / "控制线.pdf")
    return fig, pdf


@pytest.fixture(scope="module")
def project_a4(inputs, tmp_path_factory):
    """The 审查 figure of P14 (a site drawn from its published area) on A4 portrait."""
    fig = figure("project", inputs, paper="A4", orientation="portrait", project_id="P14", date="2026年12月")
    pdf = save_figure(fig, tmp_path_factory.mktemp("fig") / "P14.pdf")
    return fig, pdf


# ---------------------------------------------------------------------- the PDF
def test_page_is_the_paper(control_lines, project_a4):
    w, h = page_size_pt(control_lines[1])
    assert (w, h) == pytest.approx(A3_PT, abs=0.5)
    w, h = page_size_pt(project_a4[1])
    assert (w, h) == pytest.approx(A4_PT[::-1], abs=0.5)  # portrait


def test_every_font_is_embedded(control_lines, project_a4):
    for _, pdf in (control_lines, project_a4):
        rows = fonts(pdf)
        assert rows, "no fonts: the text was not written as text"
        # The columns from the right: object id (2 fields), uni, sub, emb.
        assert all(row[-5] == "yes" for row in rows), rows


def test_text_carries_the_sheet_elements(control_lines):
    fig, pdf = control_lines
    text = text_of(pdf)
    flat = re.sub(r"\s+", "", text)
    assert "衡阳市市域国土空间控制线规划图" in flat
    assert f"1:{fig.hygis.scale}" in flat
    for label in fig.hygis.legend_labels:
        assert re.sub(r"\s+", "", label) in flat, label
    assert "永久基本农田（示意）" in flat and "县级行政区界" in flat
    assert "2000国家大地坐标系" in flat and "高斯-克吕格" in flat and "EPSG:4546" in flat
    assert "编制单位：衡阳市自然资源和规划局" in flat
    assert "编制日期：" in flat
    assert re.search(r"^\s*N\s*$", text, re.M), "no north-arrow label N"
    # The county names lie beneath the lines.
    assert "耒阳市" in flat and "衡东县" in flat


def test_legend_lists_only_what_is_drawn(project_a4, control_lines):
    fig, _ = project_a4
    labels = fig.hygis.legend_labels
    # P14's surroundings hold no red line and no farmland patch: neither is explained.
    assert not any("生态保护红线" in x for x in labels)
    assert not any("永久基本农田" in x for x in labels)
    assert "项目用地范围（用地红线）" in labels and "界址点及编号" in labels
    assert "市界" not in labels  # the city's boundary is far from the site
    assert "市界" in control_lines[0].hygis.legend_labels


def test_rendered_pages_are_maps(control_lines, tmp_path):
    """pdftoppm renders the PDF at the paper's size, and the map frame is drawn on, not blank."""
    _, pdf = control_lines
    poppler("pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page"))
    png = next(tmp_path.glob("page*.png"))
    from matplotlib.image import imread

    image = imread(png)
    assert image.shape[1] == pytest.approx(420 / 25.4 * 30, abs=2)
    assert image.shape[0] == pytest.approx(297 / 25.4 * 30, abs=2)
    h, w = image.shape[:2]
    centre = image[h // 4 : 3 * h // 4, w // 8 : 5 * w // 8, :3]
    inked = (centre < 0.9).any(axis=2).mean()
    assert inked > 0.3, f"only {inked:.0%} of the map's centre is drawn on"


# ---------------------------------------------------------------------- the scale
def test_map_is_at_its_scale(control_lines, project_a4):
    """The axes' ground extent over their printed size equals 1:N across and up (from the PDF's page)."""
    for fig, pdf in (control_lines, project_a4):
        info = fig.hygis
        ax = info.map_axes
        nx, ny = measured_scale(ax)
        assert nx == pytest.approx(info.scale, rel=1e-6)
        assert ny == pytest.approx(info.scale, rel=1e-6)
        # Independently of matplotlib's figure size: the page pdfinfo reads.
        page_w_pt, _ = page_size_pt(pdf)
        map_w_mm = ax.get_position().width * page_w_pt * MM_PER_PT
        x0, x1 = ax.get_xlim()
        assert (x1 - x0) / (map_w_mm / 1000) == pytest.approx(info.scale, rel=0.005)


def test_scale_bar_is_true_on_paper(control_lines, project_a4):
    """The bar's printed length is its label's ground length divided by N (within 1 %)."""
    for fig, _ in (control_lines, project_a4):
        info = fig.hygis
        bar = info.scale_bar.info  # filled when the figure was drawn (saved)
        ground_m = bar.value * {"km": 1000.0, "m": 1.0}[bar.units]
        ax = info.map_axes
        # The bar's length in data units (m), through the map's own transform, to printed mm.
        p0 = ax.transData.transform((0.0, 0.0))
        p1 = ax.transData.transform((float(bar.length_px), 0.0))
        printed_mm = (p1[0] - p0[0]) / fig.dpi * 25.4
        assert printed_mm == pytest.approx(ground_m / info.scale * 1000, rel=0.01)
        assert 15 < printed_mm < 120  # a bar one can read and measure
        assert info.scale_bar.label == f"比例尺 1:{info.scale}"


def test_scale_is_a_round_number_that_fits():
    assert round_scale(640_000) == 700_000
    assert round_scale(7_001) == 8_000
    assert round_scale(1_000) == 1_000
    sheet = Sheet.make("A3", "landscape")
    box = sheet.map
    bounds = (0.0, 0.0, 180_000.0, 170_000.0)
    n = fit_scale(bounds, box)
    fits = lambda d: 180_000 * 1.08 <= box.w / 1000 * d and 170_000 * 1.08 <= box.h / 1000 * d  # noqa: E731
    assert fits(n)
    # The round number below it would not fit.
    rounds = sorted({int(m * 10**k) for m in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8) for k in range(2, 8)})
    below = max(r for r in rounds if r < n)
    assert not fits(below)


# ---------------------------------------------------------------------- map elements
def test_north_arrow_points_to_true_north(control_lines):
    fig = control_lines[0]
    arrow = fig.hygis.north_arrow
    assert arrow in fig.hygis.map_axes.get_children()
    from matplotlib_map_utils.core.north_arrow import _rotate_arrow

    # Hengyang lies east of EPSG:4546's central meridian (111°E): true north is ~0.6° west of grid north.
    assert 0.3 < _rotate_arrow(fig.hygis.map_axes, arrow._rotation) < 1.0


def test_illustrative_stamp_with_embedded_lines_only(inputs, control_lines, tmp_path):
    fig, pdf = control_lines
    assert fig.hygis.stamp is not None
    flat = re.sub(r"\s+", "", text_of(pdf))
    assert "示意数据·非官方成果" in flat and "ILLUSTRATIVE" in flat
    # The same lines handed in as the office's own: no stamp, no "(示意)" in the legend.
    own = resolve(
        ecological_redline=inputs.ecological_redline,
        permanent_farmland=inputs.permanent_farmland,
        urban_development_boundary=inputs.urban_development_boundary,
    )
    fig2 = figure("control-lines", own, paper="A4")
    assert fig2.hygis.stamp is None
    assert "永久基本农田" in fig2.hygis.legend_labels
    pdf2 = save_figure(fig2, tmp_path / "own.pdf")
    assert "示意数据" not in re.sub(r"\s+", "", text_of(pdf2))


# ---------------------------------------------------------------------- the figures
def test_project_figure_numbers_its_boundary_points(project_a4):
    fig, pdf = project_a4
    flat = re.sub(r"\s+", "", text_of(pdf))
    assert "抗战纪念城红色文旅提升工程（P14）规划符合性审查图" in flat
    assert "J1" in flat and "界址点128个" in flat
    assert "位置示意" in flat  # the locator inset's title
    assert len(fig.axes) == 3  # map, panel, locator
    # The per-line verdicts in the notes: P14 lies inside the boundary (none of it outside).
    assert "城镇开发边界：界外0.00公顷" in flat and "生态保护红线：重叠0.00公顷" in flat


def test_project_figure_hatches_each_line_apart(inputs):
    """P15 (南岳衡山) overlaps the red line and lies mostly outside the boundary: both drawn, told apart.
    A resort in the red line is a conflict (自然资发〔2022〕142号 一(一)5 admits only 适度参观旅游)."""
    fig = figure("project", inputs, paper="A4", project_id="P15")
    labels = fig.hygis.legend_labels
    assert "与生态保护红线重叠（冲突）" in labels
    assert "城镇开发边界外（需审批）" in labels
    hatches = {p.get_hatch() for p in fig.hygis.map_axes.patches if p.get_hatch()}
    assert len(hatches) == 2


def test_project_figure_of_a_users_sites(projects_gdf, tmp_path):
    """A surveyed square gets its four 界址点 J1–J4; a point project is drawn as a point, said to have
    no site."""
    inputs = resolve(projects=projects_gdf)
    fig = figure("project", inputs, paper="A4", project_id="A1")
    assert "界址点及编号" in fig.hygis.legend_labels
    flat = re.sub(r"\s+", "", text_of(save_figure(fig, tmp_path / "A1.pdf")))
    assert all(f"J{i}" in flat for i in range(1, 5)) and "J5" not in flat
    assert "界址点4个" in flat and "智造谷一期（A1）" in flat
    # Its coordinates listed as a survey states them: X northing, Y easting, in EPSG:4546.
    from hygis.figures.plates import boundary_points

    site = projects_gdf.to_crs(4546).geometry.iloc[0]
    x, y = boundary_points(site)[0]
    assert f"J1X={y:,.3f}Y={x:,.3f}" in flat
    fig = figure("project", inputs, paper="A4", project_id="A3")
    assert fig.hygis.legend_labels[0] == "项目位置（点位，无用地范围）"
    flat = re.sub(r"\s+", "", text_of(save_figure(fig, tmp_path / "A3.pdf")))
    assert "点位项目，无用地范围" in flat


def test_project_figure_refuses_what_it_cannot_draw(inputs):
    with pytest.raises(HygisInputError, match="No project 'P99'.*P01"):
        figure("project", inputs, project_id="P99")
    with pytest.raises(HygisInputError, match="P01 .*has no site"):
        figure("project", inputs, project_id="P01")
    with pytest.raises(HygisInputError, match="Unknown figure"):
        figure("atlas", inputs)


def test_projects_and_urban_system(inputs):
    fig = figure("projects", inputs, paper="A4")
    labels = fig.hygis.legend_labels
    # Only the groups of projects that have a site are drawn (the plan's 19 has 4 located).
    geoms = inputs.projects.geometry
    located_groups = set(inputs.projects.loc[geoms.notna() & ~geoms.is_empty, "group"])
    assert {x for x in labels if x in located_groups} == located_groups
    assert "产业升级" not in labels  # its projects have no site yet
    fig = figure("urban-system", inputs, paper="A4")
    assert {"一级 中心城区", "二级 县城", "三级 特色乡镇"} <= set(fig.hygis.legend_labels)
    assert fig.hygis.stamp is None  # the urban system is public facts, not illustrative


def test_monitor_warning_counts_levels(inputs, tmp_path):
    from hygis.monitor import changes, example

    result = changes.classify_changes(
        example.example_changes(n_per_year=40, years=(2026,), inputs=inputs), inputs
    )
    fig = figure("monitor-warning", inputs, paper="A4", result=result)
    labels = fig.hygis.legend_labels
    red = int((result["level"] == "red").sum())
    assert f"红色预警变化图斑（{red:,} 处）" in labels
    assert fig.hygis.stamp is not None  # made-up changes on illustrative lines
    flat = re.sub(r"\s+", "", text_of(save_figure(fig, tmp_path / "w.pdf")))
    assert "衡阳市国土空间监测预警图（2026年）" in flat
    assert "非监测成果" in flat and "EPSG:4546" in flat


def test_svg_draws_text_as_outlines(project_a4, tmp_path):
    """An SVG renders without the font on the reader's machine: no <text> elements."""
    svg = save_figure(project_a4[0], tmp_path / "P14.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<text" not in svg


def test_save_refuses_an_unknown_format(control_lines, tmp_path):
    with pytest.raises(HygisOutputError, match=r"\.pdf, \.png, \.svg"):
        save_figure(control_lines[0], tmp_path / "f.jpg")
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------------- the command
def test_cli_png_and_svg(tmp_path):
    proc = run_cli("figure", "urban-system", "--paper", "A4", "--dpi", "40", "-o", str(tmp_path / "u.png"))
    assert proc.returncode == 0, proc.stderr
    assert "1:" in proc.stdout and "A4" in proc.stdout
    from matplotlib.image import imread

    image = imread(tmp_path / "u.png")
    long, short = 297 / 25.4 * 40, 210 / 25.4 * 40
    assert sorted(image.shape[:2]) == [pytest.approx(short, abs=2), pytest.approx(long, abs=2)]
    assert "Traceback" not in proc.stderr and "UserWarning" not in proc.stderr


def test_cli_pdf_and_user_mistakes(tmp_path):
    out = tmp_path / "控制线.pdf"
    proc = run_cli(
        "figure", "control-lines", "--paper", "A3", "--unit", "衡阳市自然资源和规划局", "-o", str(out)
    )
    assert proc.returncode == 0, proc.stderr
    assert page_size_pt(out) == pytest.approx(A3_PT, abs=0.5)
    assert all(row[-5] == "yes" for row in fonts(out))
    assert "示意数据" in proc.stdout
    proc = run_cli("figure", "project", "-o", str(tmp_path / "p.pdf"))
    assert proc.returncode == 2 and "needs the project's id" in proc.stderr
    proc = run_cli("figure", "project", "P01", "-o", str(tmp_path / "p.pdf"))
    assert proc.returncode == 2 and "has no site" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "p.pdf").exists()


def test_paper_sizes():
    assert (Sheet.make("A1", "portrait").width_mm, Sheet.make("A1", "portrait").height_mm) == (594.0, 841.0)
    a4 = Sheet.make("a4", "landscape")
    assert a4.factor == pytest.approx(210 / 297)
    assert np.isclose(a4.map.w + a4.panel.w + a4.mm("gutter_mm") * 3, a4.inner.w)
    with pytest.raises(HygisInputError, match="A4, A3, A1"):
        Sheet.make("B5", "landscape")
