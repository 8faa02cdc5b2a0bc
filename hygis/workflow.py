"""The main job, ``hygis run``: every standard output for the plan in one go.

Each step is one routine of the package; this module only chains them and names the
files, so that ``hygis run`` on a fresh install gives a planner everything to open.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hygis import io
from hygis.analysis import counties, qa, stats, urban
from hygis.plan import layers, resolve
from hygis.plan.inputs import PlanInputs, illustrative_banner


def run(
    out_dir: str | Path = ".",
    inputs: PlanInputs | None = None,
    *,
    report: Callable[[str], None] = lambda _m: None,
) -> dict[str, Path]:
    """Write the standard outputs for the plan into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder for ``reports/`` and ``maps/`` (created if missing).
    inputs : PlanInputs, optional
        The plan's layers (default: the embedded ones).
    report : callable
        Receives one line of progress per step.

    Returns
    -------
    dict
        Output name → file written.
    """
    out = Path(out_dir)
    inputs = inputs or resolve()
    written: dict[str, Path] = {}
    report("layer summary")
    written["layers"] = io.write_table(layers.summary(), out / "reports" / "layers.csv")
    report("compliance check")
    from hygis.analysis.relocate import relocate_conflicts  # noqa: PLC0415
    from hygis.check.pipeline import check_projects  # noqa: PLC0415
    from hygis.check.report import write_report  # noqa: PLC0415

    compliance = check_projects(inputs)
    report("relocation suggestions for the conflicts")
    relocate_conflicts(compliance, inputs)
    written["compliance"] = write_report(compliance, out / "reports" / "compliance.xlsx")
    written["compliance_html"] = write_report(compliance, out / "reports" / "compliance.html", inputs=inputs)
    report("plan map")
    from hygis import maps  # noqa: PLC0415 - folium and the offline assets load only when maps are made

    written["plan_map"] = maps.save(maps.plan_map(inputs), out / "maps" / "hengyang_plan.html")
    report("compliance map")
    written["compliance_map"] = maps.save(
        maps.compliance_map(compliance, inputs), out / "maps" / "compliance.html"
    )
    report("control-line areas by county")
    written["control_line_stats"] = stats.write_control_line_stats(
        stats.control_line_stats(inputs), out / "reports" / "control_lines_by_county.xlsx"
    )
    report("control-line overlaps (不交叉、不重叠、不冲突)")
    written["control_line_overlaps"] = qa.write_overlaps(
        qa.control_line_overlaps(inputs), out / "reports" / "control_line_overlaps.gpkg"
    )
    report("county tables: investment by county and group, projects and towns")
    written["counties"] = counties.write_county_report(
        counties.county_report(inputs.projects), out / "reports" / "counties.xlsx"
    )
    report("urban system: distances, 融城 towns, service areas")
    written["urban"] = urban.write_urban_report(urban.urban_report(), out / "reports" / "urban_system.xlsx")
    written.update(_monitor(out, inputs, report))
    banner = illustrative_banner(inputs)
    if banner:
        report(banner)
    return written


def _monitor(out: Path, inputs: PlanInputs, report: Callable[[str], None]) -> dict[str, Path]:
    """The three monitors (issue 14) on hygis's illustrative example data: changes, indicators, projects."""
    from hygis import maps  # noqa: PLC0415 - folium loads only when maps are made
    from hygis.maps.warning import warning_map  # noqa: PLC0415
    from hygis.monitor import changes, example, indicators, projects  # noqa: PLC0415 - matplotlib for the charts

    written: dict[str, Path] = {}
    report("monitoring: example change polygons against the three lines (示意 illustrative)")
    result = changes.classify_changes(example.example_changes(inputs=inputs), inputs)
    written["monitor_changes"] = changes.write_changes(result, out / "reports" / "monitor_changes.xlsx")
    written["monitor_warning_map"] = maps.save(
        warning_map(result, inputs), out / "maps" / "monitor_warning.html"
    )
    report("monitoring: example indicator values against the 2030/2035 targets (示意 illustrative)")
    table = indicators.assess_indicators(example.example_values(), inputs=inputs)
    written["monitor_indicators"] = indicators.write_indicators(
        table, out / "reports" / "monitor_indicators.html"
    )
    report("monitoring: example project progress against the planned investment (示意 illustrative)")
    progress = projects.assess_projects(example.example_progress(inputs=inputs), inputs)
    written["monitor_projects"] = projects.write_projects(progress, out / "reports" / "monitor_projects.xlsx")
    return written
