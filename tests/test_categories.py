"""Verdicts by the categories of 自然资发〔2022〕142号 and 自然资规〔2018〕3号, from the project's type."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import hygis
from hygis.check.categories import judge_by_category, load_line_categories, load_project_types, project_types
from hygis.constants import CONTROL_LINES, VERDICTS

GK = "EPSG:4547"
X0, Y0 = 460_000.0, 2_975_000.0


def test_every_type_has_a_category_and_every_category_a_verdict_and_a_source():
    types, cats = load_project_types(), load_line_categories()
    for line in CONTROL_LINES:
        own = set(cats[cats.control_line == line].category) - {"*"}
        assert set(types[line]) <= own, line
    assert set(cats.verdict) <= set(VERDICTS) and (cats.source.str.len() > 10).all()
    assert types["basis"].str.len().gt(5).all()


def test_categories_by_line():
    t = np.array(["railway_national", "industrial_park", "water_local", "central_major"], dtype=object)
    v, rule, source, cat = judge_by_category(t, "permanent_farmland", np.array(["overlap"] * 4))
    assert list(cat) == ["key_project", "prohibited", "prohibited", "key_project"]
    assert list(v) == ["needs approval", "conflict", "conflict", "needs approval"]
    assert "自然资规〔2018〕3号" in source[0] and "补划" in rule[0]
    v, rule, source, cat = judge_by_category(t, "ecological_redline", np.array(["overlap"] * 4))
    assert list(cat) == ["limited_activity", "prohibited", "limited_activity", "national_major"]
    assert "省级人民政府" in rule[0] and "国务院" in rule[3] and "142号" in source[1]
    v, _, _, cat = judge_by_category(t, "urban_development_boundary", np.array(["outside"] * 3 + ["inside"]))
    assert list(v) == ["compliant", "conflict", "needs approval", "compliant"]
    assert list(cat) == ["outside_allowed", "outside_prohibited", "outside_permit", "inside"]


def test_types_given_assumed_or_refused():
    projects = pd.DataFrame(
        {
            "project_id": ["A", "B", "C"],
            "name": ["南衡高铁", "城乡供水一体化工程", "x"],
            "group": ["交通基建", "城乡融合", "产业升级"],
            "项目类型": ["", "", "military"],
        }
    )
    types, basis = project_types(projects, defaults=True)
    assert list(types) == ["railway_national", "water_local", "military"]
    assert "assumed" in basis[0] and basis[2] == "given"
    types, _ = project_types(projects, defaults=False)
    assert list(types) == [None, None, "military"]
    with pytest.raises(hygis.HygisInputError, match="not project types hygis knows"):
        project_types(projects.assign(项目类型=["railway", "", ""]), defaults=False)


def test_a_users_project_type_decides_the_verdict_and_the_row_cites_the_clause():
    """The same farmland: a national railway needs approval and 补划, an industrial park is refused."""
    farm = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100)], crs=GK)
    site = shapely.box(X0 - 50, Y0, X0 + 50, Y0 + 100)
    projects = gpd.GeoDataFrame(
        {
            "project_id": ["R", "I", "N"],
            "name": ["某铁路", "某园区", "某项目"],
            "group": ["交通基建", "交通基建", "交通基建"],
            "project_type": ["railway_national", "industrial_park", None],
        },
        geometry=[site, site, site],
        crs=GK,
    )
    with pytest.warns(hygis.errors.HygisWarning, match="no project_type"):  # N is untyped
        report = hygis.check_projects(hygis.resolve(projects, permanent_farmland=farm))
    rows = report[report.control_line == "permanent_farmland"].set_index("project_id")
    assert rows.loc["R", "verdict"] == "needs approval" and rows.loc["R", "category"] == "key_project"
    assert "自然资规〔2018〕3号" in rows.loc["R", "source"]
    assert rows.loc["I", "verdict"] == "conflict" and rows.loc["I", "category"] == "prohibited"
    # Untyped, 交通基建: assumed a road not shown to be in a national plan — 3号 does not admit it.
    assert rows.loc["N", "project_type"] == "road_other" and rows.loc["N", "category"] == "prohibited"
    assert rows.loc["N", "verdict"] == "conflict" and "第三十五条" in rows.loc["N", "source"]
    assert "highway_national" in rows.loc["N", "rule"]  # the fact that would change the verdict
