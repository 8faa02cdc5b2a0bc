"""The analysis routines on the plan map: service areas, control-line overlaps (QA), plan targets."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hygis.maps import styles
from hygis.maps.base import MapBuilder, swatch
from hygis.maps.controls import HtmlControl
from hygis.maps.draw import add_big_layer, is_big
from hygis.maps.escape import esc, fmt, popups, tooltips
from hygis.maps.geojson import POPUP, STYLE, TOOLTIP, feature_collection, geojson_layer


def add_catchments(b: MapBuilder, cells: gpd.GeoDataFrame) -> None:
    """County-seat service areas (:func:`hygis.urban.seat_catchments`), hidden until switched on."""
    spec = styles.get("analysis", "catchments")
    share = [f"{fmt(v, 1)} %" for v in cells["share_pct"]]
    props = pd.DataFrame(
        {
            POPUP: popups(
                cells.assign(share=share),
                "name",
                [("面积 area (km²)", "area_km2"), ("占全市 share of city", "share"), ("坐标系 CRS", "crs")],
            ),
            TOOLTIP: tooltips(cells["name"], share),
            STYLE: [spec["style"]] * len(cells),
        }
    )
    geojson_layer(feature_collection(b.display(cells.geometry), props), spec["layer"], show=False).add_to(b.m)
    b.add_legend(spec["layer"], [(swatch(spec["style"]), spec["layer"])])


def add_qa_overlaps(b: MapBuilder, overlaps: gpd.GeoDataFrame) -> None:
    """Where two control lines overlap (:func:`hygis.qa.control_line_overlaps`).

    The legend says when none do.
    """
    spec = styles.get("analysis", "qa_overlaps")
    if not len(overlaps):
        b.add_legend(spec["layer"], [("", spec["none"])])
        return
    rows = overlaps.to_crs(4326)
    label_cols = [c for c in ("pair", "id_a", "id_b", "area_ha", "area_mu") if c in rows.columns]
    name = f"{spec['layer']}: {len(rows)}"
    legend = [(swatch(spec["style"]), f"{len(rows)} · {fmt(rows['area_ha'].sum())} ha")]
    if is_big(rows.geometry.to_numpy()):
        # A user's farmland cut by the other lines: thousands of overlaps along their borders.
        rows = rows.assign(**{c: rows[c].round(3) for c in ("area_ha", "area_mu") if c in rows.columns})
        add_big_layer(b, rows, name, spec["style"], fields=[(c, c) for c in label_cols], on_top=True)
        b.add_legend(spec["layer"], legend)
        return
    props = pd.DataFrame(
        {
            POPUP: popups(rows, spec["layer"], [(c, c) for c in label_cols]),
            TOOLTIP: tooltips(*(rows[c] for c in label_cols[:2])),
            STYLE: [spec["style"]] * len(rows),
        }
    )
    geojson_layer(feature_collection(b.display(rows.geometry), props), name).add_to(b.m)
    b.add_legend(spec["layer"], legend)


def add_targets_panel(b: MapBuilder, targets: pd.DataFrame) -> None:
    """The plan's quantified targets (:func:`hygis.targets.load_targets`) as a collapsible panel; a
    unit in Chinese where the table gives one (``unit_zh``)."""
    title = styles.get("analysis", "targets_title")
    rows = "".join(
        f"<tr><td>{esc(r.indicator)}</td><td>{esc(r.comparison)}</td><td>{esc(r.target_2030)}</td>"
        f"<td>{esc(r.target_2035)}</td><td>{esc(getattr(r, 'unit_zh', '') or r.unit)}</td></tr>"
        for r in targets.fillna("").itertuples()
    )
    html = (
        f'<details class="hy-list"><summary><b>{esc(title)}</b></summary>'
        '<div style="max-height:40vh;overflow:auto"><table class="hy-targets">'
        f"<tr><th>指标 indicator</th><th></th><th>2030</th><th>2035</th><th>单位 unit</th></tr>{rows}"
        f"</table><div><small>{esc('来源 source: 规划 §二 (the plan text)')}</small></div></div></details>"
    )
    HtmlControl(html, position="bottomleft", css_class="hy-panel hy-targets-box").add_to(b.m)
