"""Compliance reports a planner can open: ``.csv``, ``.xlsx``, ``.gpkg``, a printable ``.html`` and an
editable ``.docx`` opinion.

:func:`write_report` takes the frame of :func:`hygis.check.check_projects`; the suffix of the
path picks the format. Every format carries the area method (ellipsoidal or planar in which
zone), the area CRS, the warnings and, when an illustrative layer was used, the banner that says
so. The documents a bureau files (.xlsx, .gpkg, .html, .docx) speak Chinese by default — sheet and
layer names, headers with units, verdicts (:mod:`hygis.words`) — and English with
``lang="en"``; the .csv is data interchange and keeps the column names and values scripts read,
Chinese only with ``lang="zh"``. Writes are atomic (:mod:`hygis.io`).

The printable page is :mod:`hygis.check.report_html`, the Word opinion :mod:`hygis.check.report_docx`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from hygis import io, words
from hygis.check.pipeline import summary
from hygis.check.report_tables import (
    land_use_tables,
    meta,
    preaudit_tables,
    relocations,
    shown_path,
    table,
    warnings_table,
)
from hygis.constants import REPORT_FORMATS
from hygis.errors import HygisOutputError
from hygis.plan.inputs import PlanInputs


def write_report(
    report: gpd.GeoDataFrame,
    path: str | os.PathLike,
    *,
    inputs: PlanInputs | None = None,
    lang: str | None = None,
    figures: Mapping[Any, str | os.PathLike] | str | os.PathLike | None = None,
) -> Path:
    """Write a compliance report; the suffix picks the format.

    Parameters
    ----------
    report : GeoDataFrame
        From :func:`hygis.check.check_projects`.
    path : path-like
        ``.csv`` (UTF-8 with BOM: opens in Excel/WPS with Chinese intact; the banner, area method,
        CRS and warnings go in a ``-meta.csv`` beside it, the 土地利用现状 in a ``-land_use.csv``),
        ``.xlsx`` (sheets 审查结果, 项目汇总, 分县统计, 永久基本农田图斑明细, 土地利用现状汇总/明细, 警告,
        数据来源与方法; English names with
        ``lang="en"``), ``.gpkg`` (the same as layers, with the overlaps and the sites), ``.html`` (a
        printable A4 report: conflicts and approvals first, each with its map, the full table as a
        landscape appendix) or ``.docx`` (an editable 审查意见 for a reviewer to sign).
    inputs : PlanInputs, optional
        The inputs checked: the maps then also draw the control-line features near each site.
    lang : {"zh", "en"}, optional
        The language of the document. Default: Chinese for .xlsx, .gpkg, .html and .docx; the
        .csv keeps its data-interchange names unless ``"zh"`` is asked for.
    figures : dict or folder, optional
        ``project_id`` → a PNG of that project (e.g. made by ``hygis figure project ID``) for the
        .docx, or a folder of such PNGs named by project id (``P08.png``); without one, the .docx
        draws a simple map of its own.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in REPORT_FORMATS:
        msg = (
            f"{target.name}: a report is written as {', '.join(REPORT_FORMATS)}; the suffix picks the format."
        )
        raise HygisOutputError(msg)
    lang = words.check_lang(lang) if lang is not None else "en" if suffix == ".csv" else "zh"
    if suffix == ".csv":
        out = io.write_table(words.localise(table(report), "report", lang), target)
        io.write_table(
            pd.concat(
                [
                    meta(report, lang),
                    warnings_table(report).rename(columns={"warning": "value"}).assign(item="warning"),
                ]
            ),
            target.with_name(target.stem + "-meta.csv"),
        )
        # A .csv holds one table: the 土地利用现状 (per project × class × ownership) goes beside it.
        for key, frame in land_use_tables(report).items():
            if key == "land_use":
                io.write_table(
                    words.localise(frame, key, lang), target.with_name(target.stem + "-land_use.csv")
                )
        return out
    if suffix == ".xlsx":
        sheets = {
            "report": table(report),
            "summary": summary(report),
            **preaudit_tables(report, plain=True),
            **land_use_tables(report),
        }
        moved = relocations(report, plain=True)
        if moved is not None:
            sheets["relocation"] = moved
        sheets = {**sheets, "warnings": warnings_table(report)}
        localised = {words.sheet(k, lang): words.localise(v, k, lang) for k, v in sheets.items()}
        return io.write_table(
            {
                **localised,
                words.sheet("provenance", lang): words.localise(meta(report, lang), "provenance", lang),
            },
            target,
            banner=report.attrs.get("illustrative"),
        )
    if suffix == ".gpkg":
        return _write_gpkg(report, target, lang)
    if suffix == ".docx":
        from hygis.check.report_docx import write_docx  # noqa: PLC0415 - python-docx only for a .docx

        if figures is not None and not isinstance(figures, Mapping):
            figures = {p.stem: p for p in sorted(Path(figures).glob("*.png"))}
        return write_docx(report, target, inputs=inputs, lang=lang, figures=figures)
    from hygis.check.report_html import write_html  # noqa: PLC0415 - the printable page's own module

    return write_html(report, target, inputs, lang=lang)


def _localised_layer(frame: pd.DataFrame, key: str, lang: str) -> pd.DataFrame:
    if isinstance(frame, gpd.GeoDataFrame):
        plain = words.localise(pd.DataFrame(frame.drop(columns=frame.geometry.name)), key, lang)
        return gpd.GeoDataFrame(plain, geometry=frame.geometry.values, crs=frame.crs)
    return words.localise(frame, key, lang)


def _write_gpkg(report: gpd.GeoDataFrame, target: Path, lang: str) -> Path:
    compliance = gpd.GeoDataFrame(table(report), geometry=report.geometry.values, crs=report.crs)
    compliance["point_inside"] = compliance["point_inside"].map(lambda v: None if v is None else bool(v))
    overlaps = compliance[~(compliance.geometry.isna() | compliance.geometry.is_empty)]
    first = report.drop_duplicates("project_id")
    sites = gpd.GeoDataFrame(
        first[["project_id", "name", "group", "kind", "method", "site_ha", "location_note"]].reset_index(
            drop=True
        ),
        geometry=gpd.GeoSeries(first["site_geometry"].values, crs=report.crs).values,
        crs=report.crs,
    )
    moved = relocations(report)
    layers = {
        "compliance": compliance,
        "overlaps": overlaps,
        "sites": sites,
        **({"relocations": moved} if moved is not None else {}),
        **preaudit_tables(report),
        **land_use_tables(report),
        "warnings": warnings_table(report),
        "provenance": meta(report, lang),
    }
    return io.write_layers(
        {words.layer(k, lang): _localised_layer(v, k, lang) for k, v in layers.items()}, target
    )


__all__ = [
    "REPORT_FORMATS",
    "land_use_tables",
    "meta",
    "preaudit_tables",
    "relocations",
    "shown_path",
    "table",
    "warnings_table",
    "write_report",
]
