"""The verdicts the texts give: per clause, typed or untyped, through the CLI, and in monitoring.

The expected verdicts below are written from the texts (自然资发〔2022〕142号 一(一) and 二,
自然资规〔2018〕3号 一(一)–(六), 土地管理法 第三十五条/第三十七条, 自然资发〔2021〕166号, the
城镇开发边界 texts), not read from hygis's data files: a data row that drifts from the text fails here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import hygis
from hygis.check.categories import judge_by_category, load_project_types, load_type_defaults, project_types
from hygis.monitor import changes

from .conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
GK = "EPSG:4547"  # CGCS2000 3° Gauss–Krüger, CM 114°E: how many Hengyang offices hand their files over
X0, Y0 = 360_900.0, 2_977_300.0  # central Hengyang (112.60°E, 26.90°N) in EPSG:4547

A, C, OK = "needs approval", "conflict", "compliant"

#: type → verdict on (red line overlap, 自然保护地核心保护区, permanent farmland overlap, outside the
#: development boundary), with the clause that gives it.
EXPECTED = {
    # 142号 二 (国家重大项目) / 3号 一(一) / 边界外 by permit
    "central_major": (A, C, A, A),
    # 142号 二 (国务院投资主管部门确认的交通、能源、水利等基础设施) / 3号 一(六)
    "infrastructure_confirmed": (A, C, A, A),
    # 142号 一(一)1 (军事国防) / 3号 一(二)
    "military": (A, C, A, OK),
    # not linear: 142号 二 (国家级规划明确的交通项目) / 3号 一(三)1
    "airport_national": (A, C, A, A),
    # 142号 一(一)6 (线性基础设施) / 3号 一(三)2
    "railway_national": (A, C, A, OK),
    # 142号 一(一)6 / 3号 一(三)3 (国家高速公路、国道, 省级高速公路)
    "highway_national": (A, C, A, OK),
    # 142号 一(一)6 admits a road in the red line; 3号 一(三) admits no city or county road
    "road_other": (A, C, C, OK),
    # 142号 一(一)6 / 3号 一(四)
    "grid_major": (A, C, A, OK),
    # 142号 二 / 3号 一(四)
    "energy_national": (A, C, A, A),
    # 142号 二 (国家级规划明确的水利项目: not a refusal) / 3号 一(五)
    "water_national": (A, C, A, A),
    # 142号 一(一)6 (防洪、供水设施) / 3号 一(五) admits only national-plan water projects
    "water_local": (A, C, C, A),
    # 142号 二 gives a national-plan port the national-major route / 3号 一(三) lists no port
    "port_national": (A, C, C, A),
    # neither linear nor in a national plan: refused on both lines
    "port_yard": (C, C, C, A),
    # 142号 一(一) 生态修复 / 166号: 永久基本农田不得转为林地、草地、园地等 / 条例 第二十六条 (core)
    "ecological_restoration": (A, A, C, OK),
    # 142号 一(一)5 / no 3号 class
    "tourism_facilities": (A, C, C, A),
    # a resort is development: 142号 一(一)5 admits only moderate sightseeing and its facilities
    "tourism_development": (C, C, C, A),
    # 142号 一(一)1 / 条例 第二十六条 (调查监测、管护巡护、科研观测 in the core)
    "research_monitoring": (A, A, C, A),
    # 142号 一(一)2: 原住居民 may build without enlarging construction land; new villages may not
    "resident_facilities": (A, C, C, OK),
    "village": (C, C, C, OK),
    # 142号 一(一)3 / 条例 第二十六条 (文物和其他文化遗产保护 in the core)
    "heritage_protection": (A, A, C, A),
    "environmental_facility": (C, C, C, A),
    # concentrated urban construction: 城镇开发边界管理办法 — no 开发区、非农产业园区 outside
    "industrial_park": (C, C, C, C),
    "urban_construction": (C, C, C, C),
    "other": (C, C, C, A),
}


def test_every_type_is_in_the_table_of_the_texts():
    assert set(EXPECTED) == set(load_project_types().index)


@pytest.mark.parametrize("kind", sorted(EXPECTED))
def test_each_category_on_each_line_gives_the_verdict_of_its_clause(kind):
    t = np.array([kind], dtype=object)
    red, core, farm, outside = EXPECTED[kind]
    cases = [
        ("ecological_redline", "overlap", red),
        ("ecological_redline", "core", core),
        ("ecological_redline", "none", OK),
        ("permanent_farmland", "overlap", farm),
        ("permanent_farmland", "none", OK),
        ("urban_development_boundary", "outside", outside),
        ("urban_development_boundary", "inside", OK),
    ]
    for line, condition, expected in cases:
        verdict, rule, source, _ = judge_by_category(t, line, np.array([condition], dtype=object))
        assert verdict[0] == expected, (kind, line, condition)
        assert rule[0] and source[0], (kind, line, condition)
        if condition == "overlap" and line == "permanent_farmland":
            assert "第三十五条" in source[0] or "3号" in source[0]
        if condition == "overlap" and line == "ecological_redline":
            assert "142号" in source[0]


def test_every_cited_clause_quotes_its_text_or_says_it_is_a_default():
    cats = pd.read_csv(REPO / "data" / "line_categories.csv", dtype=str, keep_default_na=False)
    for row in cats.itertuples():
        assert row.clause, row
        if row.status in ("text", "secondary"):
            # A short quote of the text, and where it was read.
            assert len(row.quote) >= 10 and any("\u4e00" <= ch <= "\u9fff" for ch in row.quote), row
            assert any(w in row.source for w in ("stored copy", "secondary", "reported", "draft")), row
        else:
            assert row.status in ("hygis default", "unverified"), row


#: Names that imply a type: the untyped project must get it, and be judged as the typed one is.
NAMED = [
    ("南衡高铁（衡阳段）", "交通基建", "railway_national"),
    ("衡阳南岳机场改扩建", "交通基建", "airport_national"),
    ("衡永高速公路", "交通基建", "highway_national"),
    ("城区道路改造工程", "交通基建", "road_other"),
    ("衡州大道快速化改造工程", "交通基建", "road_other"),
    ("衡阳港扩容及疏港铁路", "交通基建", "port_yard"),
    ("城乡供水一体化工程", "城乡融合", "water_local"),
    ("湘江湿地生态修复工程", "生态环保", "ecological_restoration"),
    ("南岳生态文旅度假区", "文旅发展", "tourism_development"),
    ("南岳衡山生态文旅度假区", "文旅发展", "tourism_development"),
    ("游客服务中心", "文旅发展", "tourism_facilities"),
    ("垃圾焚烧发电厂", "生态环保", "environmental_facility"),
    ("智造产业园", "产业升级", "industrial_park"),
    ("丰家洲文创园", "文旅发展", "urban_construction"),
    ("某项目", "", "other"),
]


def test_typed_and_untyped_versions_of_a_named_project_agree():
    untyped = pd.DataFrame(
        {"project_id": [f"U{k}" for k in range(len(NAMED))], "name": [n for n, _g, _t in NAMED]}
    ).assign(group=[g or "*" for _n, g, _t in NAMED])
    types, basis = project_types(untyped)
    assert list(types) == [t for _n, _g, t in NAMED]
    assert all(b and b != "given" for b in basis)
    typed, given = project_types(untyped.assign(项目类型=[t for _n, _g, t in NAMED]))
    assert list(given) == ["given"] * len(NAMED)
    for line, conditions in (
        ("ecological_redline", ("overlap", "core", "none")),
        ("permanent_farmland", ("overlap", "none")),
        ("urban_development_boundary", ("outside", "inside")),
    ):
        for condition in conditions:
            cond = np.full(len(NAMED), condition, dtype=object)
            assert list(judge_by_category(types, line, cond)[0]) == list(
                judge_by_category(typed, line, cond)[0]
            )


def test_no_default_admits_what_the_law_admits_only_when_named():
    """A group alone never gives a class 3号 or 142号 二 admits only when the plan names it."""
    defaults = load_type_defaults()
    by_group = defaults[defaults.name_pattern == ""]
    kinds = load_project_types().loc[by_group.project_type]
    assert (kinds["permanent_farmland"] == "prohibited").all()
    assert not (kinds["ecological_redline"] == "national_major").any()


def test_a_strict_default_says_which_fact_would_change_it():
    t = np.array(["road_other", "other"], dtype=object)
    verdict, rule, _, _ = judge_by_category(
        t, "permanent_farmland", np.array(["overlap"] * 2, dtype=object), np.array([True, True])
    )
    assert list(verdict) == [C, C]
    assert "高速公路" in rule[0] and "3号 一(三)3" in rule[0]
    for word in ("铁路", "高速公路", "机场", "电网", "能源", "水利", "项目类型"):
        assert word in rule[1]
    # Given (not assumed), the type needs no such note.
    _, given_rule, _, _ = judge_by_category(t, "permanent_farmland", np.array(["overlap"] * 2, dtype=object))
    assert "项目类型未给出" not in given_rule[0]


# --------------------------------------------------------------------------- Chinese 项目类型
def test_chinese_type_names_and_synonyms_are_accepted():
    projects = pd.DataFrame(
        {
            "project_id": list("ABCDEF"),
            "name": ["x"] * 6,
            "group": ["*"] * 6,
            "项目类型": ["产业园区", "铁路", "水利", "国家级规划明确的民用运输机场", " 高速公路 ", "Village"],
        }
    )
    types, basis = project_types(projects)
    assert list(types) == [
        "industrial_park",
        "railway_national",
        "water_national",
        "airport_national",
        "highway_national",
        "village",
    ]
    assert set(basis) == {"given"}


def test_an_unknown_type_is_refused_with_the_chinese_names():
    projects = pd.DataFrame({"project_id": ["A"], "name": ["x"], "group": ["*"], "项目类型": ["飞碟场"]})
    with pytest.raises(hygis.HygisInputError) as err:
        project_types(projects)
    text = str(err.value)
    assert "飞碟场" in text and "A" in text
    for name in ("产业园区、开发区", "国家级规划明确的铁路", "其他道路", "生态保护修复"):
        assert name in text


# --------------------------------------------------------------------------- the issue's table, by the CLI
def _box(x: float, y: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + h)


#: id, name, group, 项目类型, site, line, expected verdict on that line
ROWS = [
    ("T1", "城区道路改造工程", "交通基建", "", _box(100, 100, 200, 40), "permanent_farmland", C),
    ("T2", "城乡供水一体化工程", "城乡融合", "", _box(100, 300, 200, 100), "permanent_farmland", C),
    ("T3", "湘江湿地生态修复工程", "生态环保", "", _box(100, 500, 200, 200), "permanent_farmland", C),
    ("T4", "南岳生态文旅度假区", "文旅发展", "", _box(2100, 100, 300, 300), "ecological_redline", C),
    (
        "T5",
        "南岳衡山生态文旅度假区（高端民宿、康养中心）",
        "文旅发展",
        "",
        _box(2100, 500, 300, 300),
        "ecological_redline",
        C,
    ),
    ("T6", "南衡高铁", "交通基建", "railway_national", _box(400, 100, 400, 30), "permanent_farmland", A),
    (
        "T7",
        "游客服务中心",
        "文旅发展",
        "tourism_facilities",
        _box(2500, 100, 50, 50),
        "ecological_redline",
        A,
    ),
    # The same, typed in Chinese as a planner writes it.
    ("T8", "南衡高铁", "交通基建", "铁路", _box(400, 300, 400, 30), "permanent_farmland", A),
    ("T9", "游客服务中心", "文旅发展", "游客服务中心", _box(2500, 300, 50, 50), "ecological_redline", A),
    # Untyped twins of T6/T7: the name implies the type, the verdict agrees.
    ("T10", "南衡高铁", "交通基建", "", _box(400, 500, 400, 30), "permanent_farmland", A),
    ("T11", "游客服务中心", "文旅发展", "", _box(2500, 500, 50, 50), "ecological_redline", A),
    # In a 自然保护区's 核心保护区 (--protected-areas): no human activity but protection, even for T7's kind.
    ("T12", "游客服务中心", "文旅发展", "游客服务中心", _box(2850, 850, 50, 50), "ecological_redline", C),
]


@pytest.fixture(scope="module")
def issue_case(tmp_path_factory):
    folder = tmp_path_factory.mktemp("law")
    farmland = gpd.GeoDataFrame({"DLMC": ["水田"]}, geometry=[_box(0, 0, 1000, 1000)], crs=GK)
    redline = gpd.GeoDataFrame({"name": ["南岳衡山"]}, geometry=[_box(2000, 0, 1000, 1000)], crs=GK)
    udb = gpd.GeoDataFrame({"name": ["中心城区"]}, geometry=[_box(-500, -500, 4000, 2000)], crs=GK)
    protected = gpd.GeoDataFrame(
        {
            "名称": ["南岳衡山", "南岳衡山"],
            "类型": ["风景名胜区", "自然保护区"],
            "功能分区": ["", "核心保护区"],
        },
        geometry=[_box(2000, 0, 1000, 1000), _box(2800, 800, 200, 200)],
        crs=GK,
    )
    projects = gpd.GeoDataFrame(
        {
            "project_id": [r[0] for r in ROWS],
            "name": [r[1] for r in ROWS],
            "group": [r[2] for r in ROWS],
            "项目类型": [r[3] for r in ROWS],
        },
        geometry=[r[4] for r in ROWS],
        crs=GK,
    )
    paths = {}
    layers = (("farmland", farmland), ("redline", redline), ("udb", udb), ("projects", projects))
    for name, gdf in (*layers, ("protected", protected)):
        paths[name] = folder / f"{name}.geojson"
        gdf.to_file(paths[name], driver="GeoJSON")
    out = folder / "report.csv"
    proc = run_cli(
        "check",
        "--projects",
        str(paths["projects"]),
        "--permanent-farmland",
        str(paths["farmland"]),
        "--ecological-redline",
        str(paths["redline"]),
        "--urban-development-boundary",
        str(paths["udb"]),
        "--protected-areas",
        str(paths["protected"]),
        "--crs",
        GK,
        "--out",
        str(out),
        check=True,
    )
    report = pd.read_csv(out, encoding="utf-8-sig", dtype={"project_id": str})
    return report.set_index(["project_id", "control_line"]), proc


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_the_issues_table_through_the_cli(issue_case, row):
    report, _ = issue_case
    pid, _name, _group, _type, _site, line, expected = row
    got = report.loc[(pid, line)]
    assert got["verdict"] == expected, (pid, got["rule"])
    if expected == C and line == "permanent_farmland":
        assert "第三十五条" in got["source"] and "项目类型" in got["rule"]
    if expected == C and line == "ecological_redline":
        assert "142号 一(一)" in got["source"]
    if line == "ecological_redline":  # the whole red line here is a 风景名胜区: its own laws apply
        assert "风景名胜区" in got["rule"] and "依照法律法规执行" in got["source"]


def test_the_cli_says_untyped_projects_were_assumed(issue_case):
    _, proc = issue_case
    assert "no project_type" in proc.stderr and "项目类型" in proc.stderr


# --------------------------------------------------------------------------- protected areas
def test_core_zones_and_reserves(tmp_path):
    redline = gpd.GeoDataFrame(geometry=[_box(0, 0, 1000, 1000)], crs=GK)
    areas = gpd.GeoDataFrame(
        {
            "名称": ["南岳衡山", "南岳衡山"],
            "类型": ["风景名胜区", "自然保护区"],
            "功能分区": ["", "核心保护区"],
        },
        geometry=[_box(0, 0, 1000, 1000), _box(0, 600, 400, 400)],
        crs=GK,
    )
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["R", "S", "M", "V"],
            "name": ["南衡高铁", "生态修复", "监测站", "游客服务中心"],
            "group": ["交通基建", "生态环保", "生态环保", "文旅发展"],
        },
        geometry=[
            _box(500, 100, 300, 30),
            _box(50, 650, 100, 100),
            _box(200, 800, 20, 20),
            _box(150, 700, 30, 30),
        ],
        crs=GK,
    )
    report = hygis.check_projects(hygis.resolve(projects, ecological_redline=redline), protected_areas=areas)
    rows = report[report.control_line == "ecological_redline"].set_index("project_id")
    # Outside the core: the railway is a limited activity, and the scenic area's own law is said.
    assert rows.loc["R", "verdict"] == A and "风景名胜区" in rows.loc["R", "rule"]
    assert "依照法律法规执行" in rows.loc["R", "source"]
    # In the core: restoration and monitoring only (条例 第二十六条); a visitor centre is refused.
    assert rows.loc["S", "verdict"] == A and rows.loc["S", "category"] == "core_allowed"
    assert rows.loc["M", "verdict"] == A
    assert rows.loc["V", "verdict"] == C and "核心保护区" in rows.loc["V", "rule"]


def test_an_unknown_zone_value_is_refused():
    areas = gpd.GeoDataFrame({"功能分区": ["特别区"]}, geometry=[_box(0, 0, 10, 10)], crs=GK)
    projects = gpd.GeoDataFrame(
        {"project_id": ["A"], "name": ["x"], "group": ["*"]}, geometry=[_box(0, 0, 5, 5)], crs=GK
    )
    with pytest.raises(hygis.HygisInputError, match="特别区.*核心保护区"):
        hygis.check_projects(hygis.resolve(projects), protected_areas=areas)


# --------------------------------------------------------------------------- monitoring
def test_paddy_planted_with_trees_in_permanent_farmland_is_red():
    """变化图斑 0101 → 0301: 土地管理法 第三十七条 禁止占用永久基本农田发展林果业和挖塘养鱼."""
    farmland = gpd.GeoDataFrame(geometry=[_box(0, 0, 1000, 1000)], crs=GK)
    lines = hygis.resolve(permanent_farmland=farmland)
    spots = gpd.GeoDataFrame(
        {
            "TBBH": ["M1", "M2", "M3"],
            "BGQDLBM": ["0101", "0101", "0101"],
            "BGHDLBM": ["0301", "0201", "0301"],
        },
        geometry=[_box(100, 100, 100, 100), _box(300, 100, 100, 100), _box(3000, 3000, 100, 100)],
        crs=GK,
    )
    result = changes.classify_changes(spots.assign(BGNF=2026), lines, workers=1).set_index("change_id")
    assert (result.loc["M1", "level"], result.loc["M1", "rule"]) == ("red", "R4")
    assert result.loc["M2", "level"] == "red"
    # Outside permanent farmland the same change enters 耕地占补平衡 (2024): yellow, R5.
    assert (result.loc["M3", "level"], result.loc["M3", "rule"]) == ("yellow", "R5")
    rules = changes.load_rules().set_index("rule_id")
    assert "第三十七条" in rules.loc["R4", "source"] and "占补平衡" in rules.loc["R5", "source"]


# --------------------------------------------------------------------------- the review document
def test_docs_rules_md_is_generated_from_the_data():
    spec = importlib.util.spec_from_file_location("make_rules", REPO / "docs" / "make_rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert written == module.render(), "docs/rules.md is stale: run python docs/make_rules.py"
    cats = pd.read_csv(REPO / "data" / "line_categories.csv", dtype=str, keep_default_na=False)
    for row in cats.itertuples():
        assert row.quote in written and row.clause in written
