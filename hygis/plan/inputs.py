"""The plan's inputs, resolved once: the embedded layers, or the user's files in their place.

Every routine that works on the plan (``check``, ``map``, ``stats``, ``qa``, the raster
commands) takes a :class:`PlanInputs` from :func:`resolve`; the CLI's shared flags
``--projects``, ``--ecological-redline``, ``--permanent-farmland`` and
``--urban-development-boundary`` feed it and nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from hygis import io, settings
from hygis.crs import WGS84, CrsLike, area_crs_for, extent_wgs84, transformer
from hygis.errors import HygisInputError
from hygis.geometry import project
from hygis.io.fields import find_field, survey_attributes
from hygis.io.sources import split_layer
from hygis.messages import warn
from hygis.plan import layers
from hygis.plan.database import find_control_lines

#: Column names accepted as a project's id and name when a user's file does not use ours.
ID_ALIASES = ("project_id", "项目编号", "项目代码", "地块编号", "编号", "id", "ID", "code", "xmbh")
NAME_ALIASES = ("name", "项目名称", "地块名称", "名称", "name_cn", "xmmc")

#: A plan layer as a caller gives it: a path (a vector file, a folder or ``.zip`` holding one,
#: or a CSV/XLSX table of points), a GeoDataFrame, or None for the embedded layer.
LayerSource: TypeAlias = str | os.PathLike[str] | gpd.GeoDataFrame | None


@dataclass
class PlanInputs:
    """The four plan layers in WGS 84, with where each came from.

    Attributes
    ----------
    projects, ecological_redline, permanent_farmland, urban_development_boundary : GeoDataFrame
        In EPSG:4326; control lines hold only (multi)polygons.
    provenance : dict
        Per layer: ``status`` (the embedded layer's status, or ``user-file``), ``source`` and ``path``.
    notes : list of str
        Every repair or assumption made while reading, for the report's warnings.
    """

    projects: gpd.GeoDataFrame
    ecological_redline: gpd.GeoDataFrame
    permanent_farmland: gpd.GeoDataFrame
    urban_development_boundary: gpd.GeoDataFrame
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: Control lines given as files and not read yet (``resolve(..., defer=True)``): name →
    #: :class:`hygis.engine.index.DeferredLayer`. Reading one happens on first access to its
    #: attribute; the check asks for its prepared index instead (:meth:`line_for_check`).
    deferred: dict[str, Any] = field(default_factory=dict)
    #: The projects' geometry as read, in the file's CRS (row for row with ``projects``): a check in
    #: that CRS starts from it instead of projecting the WGS 84 copy back.
    native_projects: gpd.GeoSeries | None = None
    #: The WGS 84 geometries made from ``native_projects``: how :meth:`projects_as_read` knows
    #: that ``projects`` was not edited since.
    native_wgs84: np.ndarray | None = field(default=None, repr=False)
    #: The projects frame in the file's CRS while its WGS 84 copy is not made (``resolve(...,
    #: defer=True)``): ``projects`` is projected on first access (a map, a table by county), and a
    #: check measures from this frame (:meth:`projects_to_check`). 2.4·10⁶ vertices in GEOS
    #: take ~65 MB, and a .csv or .xlsx report needs no WGS 84 copy of them.
    projects_native: gpd.GeoDataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in self.deferred:
            self.__dict__.pop(name, None)  # so that the first access reads it (__getattr__)
        if self.projects_native is not None and self.__dict__.get("projects") is None:
            self.__dict__.pop("projects", None)  # projected on first access (__getattr__)

    def __getattr__(self, name: str) -> Any:
        if name == "projects" and self.__dict__.get("projects_native") is not None:
            native = self.__dict__["projects_native"]
            if native.crs is not None and not CRS(native.crs).equals(WGS84):
                wgs84 = project(native.geometry.values, native.crs, WGS84)
                frame = native.set_geometry(gpd.GeoSeries(wgs84, index=native.index, crs=WGS84))
            else:
                frame = native.to_crs(WGS84)
            # A copy of the references: editing the frame in place must not edit this record of it.
            self.native_wgs84 = np.array(frame.geometry.values, dtype=object, copy=True)
            self.__dict__["projects"] = frame
            return frame
        deferred = self.__dict__.get("deferred") or {}
        if name not in deferred:
            raise AttributeError(name)
        frame = deferred[name].frame().to_crs(WGS84)
        frame.attrs["hygis_layer"] = {**self.provenance.get(name, {}), "name": name}
        self.__dict__[name] = frame
        return frame

    def projects_to_check(self) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries | None]:
        """The projects a check starts from, and their geometry as read (:meth:`projects_as_read`).

        The frame in the file's CRS while no WGS 84 copy was made (nothing could have edited it),
        else ``projects`` as it now stands: a check takes each project's site from either, and its
        report projects the sites once.
        """
        if "projects" not in self.__dict__ and self.projects_native is not None:
            return self.projects_native, self.native_projects
        return self.projects, self.projects_as_read(self.projects)

    def projects_as_read(self, projects: gpd.GeoDataFrame) -> gpd.GeoSeries | None:
        """The projects' geometry in the file's CRS, if ``projects`` still holds the very geometries
        :func:`resolve` made from it; None once they were edited (a notebook may change a site), so
        that the check then projects what it is given."""
        made = self.native_wgs84
        if self.native_projects is None or made is None:
            return None
        current = np.asarray(projects.geometry.values, dtype=object)
        if len(current) != len(made) or not all(a is b for a, b in zip(current.tolist(), made.tolist())):
            return None
        return self.native_projects

    def deferred_notes(self) -> list[str]:
        """What reading the deferred lines said (from the cache when their index is kept there)."""
        return [note for d in self.deferred.values() for note in d.source().get("notes", [])]

    def line_for_check(self, name: str, area_crs: CRS, *, keep_features: bool = True) -> Any:
        """One control line ready for :func:`hygis.check.measure.measure_line`.

        A deferred line gives its prepared index (:class:`hygis.engine.index.LayerIndex`, from the
        cache when the file has not changed), any other its GeoDataFrame. ``keep_features=False``:
        the features read to prepare the index are not kept (:meth:`DeferredLayer.release
        <hygis.engine.index.DeferredLayer.release>`), for a check that needs only the index.
        """
        if name in self.deferred and name not in self.__dict__:
            from hygis.engine.overlap import disjoint_layer  # noqa: PLC0415

            return self.deferred[name].index(area_crs, disjoint_layer, keep_features=keep_features)
        return getattr(self, name)

    def control_lines(self) -> dict[str, gpd.GeoDataFrame]:
        """The three control lines by name, in :data:`hygis.layers.CONTROL_LINES` order."""
        return {name: getattr(self, name) for name in layers.CONTROL_LINES}

    def illustrative(self) -> list[str]:
        """Names of the layers in use that are illustrative (must be said on every output)."""
        return [k for k, v in self.provenance.items() if v.get("status") == "illustrative"]

    def area_crs(self, territory: gpd.GeoDataFrame | None = None) -> CRS:
        """The CGCS2000 Gauss–Krüger CRS for this plan (see :func:`hygis.crs.area_crs`): the one
        place it is chosen.

        Chosen over the plan's territory (the county units, or ``territory`` when a user gives
        their own) as well as the inputs, so that the check, the statistics and the QA measure in
        the same CRS whichever small file a user passes for one layer (EPSG:4546 for Hengyang).
        """
        units = layers.load("counties") if territory is None else territory
        frames = [
            gpd.GeoSeries(shapely.box(*self.deferred[name].bounds_wgs84()), crs=WGS84)
            if name in self.deferred and name not in self.__dict__
            else getattr(self, name)
            for name in layers.CONTROL_LINES
        ]
        projects = self.__dict__.get("projects")
        if projects is None and self.projects_native is not None:  # not projected yet: its box is
            projects = gpd.GeoSeries(shapely.box(*extent_wgs84(self.projects_native)), crs=WGS84)
        return area_crs_for(units, projects, *frames)


def resolve_layer(
    name: str,
    value: LayerSource = None,
    *,
    crs: CrsLike | None = None,
    gcj02_input: bool = False,
    swap_xy: bool = False,
    id_field: str | None = None,
    to_wgs84: bool = True,
    validate: bool = True,
) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    """Resolve one plan layer: embedded default, a path, or a GeoDataFrame → WGS 84.

    ``to_wgs84=False`` keeps a file's features in their own CRS (a large layer that is only
    measured is then projected once, straight to the area CRS). ``validate=False`` reads a file
    without the validity test (see :func:`hygis.io.clean_geometries`).

    Returns
    -------
    (GeoDataFrame, provenance dict, notes)
    """
    geometry = "polygon" if name in layers.CONTROL_LINES else "any"
    label = name.replace("_", " ")
    if value is None:
        gdf = layers.load(name)
        meta = gdf.attrs["hygis_layer"]
        prov = {
            "status": meta["status"],
            "source": meta.get("source", ""),
            "path": meta["path"],
            "title": meta.get("title", name),
        }
        if meta.get("source_zh"):  # the catalog's Chinese of the source, for a Chinese document
            prov["source_zh"] = meta["source_zh"]
        return gdf, prov, []
    if isinstance(value, gpd.GeoDataFrame):
        if value.crs is None and crs is None:
            msg = f"{label}: the GeoDataFrame has no CRS. Set one (gdf.set_crs('EPSG:4490')) or pass crs=."
            raise HygisInputError(msg)
        gdf = value.set_crs(crs, allow_override=True) if crs is not None else value
        gdf, notes = io.clean_geometries(
            gdf, label=label, geometry=geometry, id_field=id_field, keep_unlocated=name == "projects"
        )
        if not gdf.geometry.notna().any():
            msg = f"{label}: the GeoDataFrame has no usable geometry."
            raise HygisInputError(msg)
        io.check_coordinates(gdf, label)
        prov = {"status": "user-data", "source": "GeoDataFrame passed in Python", "path": "", "title": label}
    else:
        gdf = io.read_vector(
            value,
            crs=crs,
            gcj02_input=gcj02_input,
            swap_xy=swap_xy,
            geometry=geometry,
            id_field=id_field,
            label=label,
            keep_unlocated=name
            == "projects",  # a project without a site is reported as not located, not dropped
            validate=validate,
        )
        notes = list(gdf.attrs.get(io.NOTES_ATTR, []))
        prov = {
            "status": "user-file",
            "source": str(value),
            "path": str(os.path.abspath(split_layer(value)[0])),
            "title": label,
        }
    gdf = gdf.to_crs(WGS84) if to_wgs84 else gdf
    gdf.attrs["hygis_layer"] = {**prov, "name": name}
    return gdf, prov, notes


def normalise_projects(
    gdf: gpd.GeoDataFrame, id_field: str | None = None, *, label: str = "projects"
) -> gpd.GeoDataFrame:
    """Give a projects frame the ``project_id`` and ``name`` columns hygis reports by.

    Raises
    ------
    HygisInputError
        If no id column is found, or ids are missing or repeated.
    """
    gdf = gdf.copy()
    if id_field is not None:
        if id_field not in gdf.columns:
            msg = (
                f"{label}: no column '{id_field}' (from --project-id-field). "
                f"The columns are: {', '.join(map(str, gdf.columns))}."
            )
            raise HygisInputError(msg)
        source = id_field
    else:
        # A column that is there but empty (KML's id, say) names nothing.
        alias = next((c for c in ID_ALIASES if c in gdf.columns and _filled(gdf[c]).any()), None)
        if alias is None:
            msg = (
                f"{label}: no project id column. Name the column that identifies each project with "
                f"--project-id-field (Python: id_field=); "
                f"the columns are: {', '.join(map(str, gdf.columns))}."
            )
            raise HygisInputError(msg)
        source = alias
    ids = gdf[source]
    missing = ids.isna() | (ids.astype(str).str.strip() == "")
    if missing.any():
        rows = ", ".join(f"#{i + 1}" for i in np.flatnonzero(missing.to_numpy())[:10])
        msg = (
            f"{label}: {int(missing.sum())} project(s) have no id in column '{source}' "
            f"(features {rows}). Fill them in."
        )
        raise HygisInputError(msg)
    ids = ids.astype(str).str.strip()
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        msg = (
            f"{label}: project ids in column '{source}' must be unique; "
            f"repeated: {', '.join(sorted(set(dup))[:10])}."
        )
        raise HygisInputError(msg)
    gdf["project_id"] = ids.to_numpy()
    if "name" not in gdf.columns:
        name_col = next((c for c in NAME_ALIASES if c in gdf.columns), None)
        gdf["name"] = gdf[name_col].astype(str) if name_col else gdf["project_id"]
    return gdf


def _filled(values) -> np.ndarray:
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip()
    return (text != "").to_numpy()


def resolve(
    projects: LayerSource = None,
    ecological_redline: LayerSource = None,
    permanent_farmland: LayerSource = None,
    urban_development_boundary: LayerSource = None,
    *,
    control_lines: str | os.PathLike | None = None,
    crs: CrsLike | None = None,
    gcj02_input: bool = False,
    swap_xy: bool = False,
    project_id_field: str | None = None,
    defer: bool = False,
    cache: bool = True,
) -> PlanInputs:
    """Resolve the plan's four layers: each the embedded default, a path or a GeoDataFrame.

    Parameters
    ----------
    projects, ecological_redline, permanent_farmland, urban_development_boundary : path, GeoDataFrame or None
        None means the embedded layer of that name. A layer of a multi-layer source is chosen
        as ``"plan.gdb:YJJBNT"``.
    control_lines : path, optional
        A whole 三区三线 database (.gdb or .gpkg): each control line not given on its own is taken
        from the layer named like it (see :func:`hygis.plan.database.find_control_lines`); the
        choice is noted.
    crs : str, int or CRS, optional
        CRS for input files that have none (never guessed).
    gcj02_input : bool
        The projects file was digitised on Amap/Tencent (GCJ-02): correct it to WGS 84.
    swap_xy : bool
        The projects file has latitude and longitude swapped.
    project_id_field : str, optional
        Column of the projects file that identifies each project.
    defer : bool
        Do not read the control lines given as files now: the check then takes their prepared
        index from the user cache when the file has not changed since (:mod:`hygis.engine.index`),
        and reads a file only when it must (first use, changed file, or a map of its features).
        Nor project the projects to WGS 84 now: ``projects`` is made on first access, and a check
        starts from the frame as read (:meth:`PlanInputs.projects_to_check`).
    cache : bool
        With ``defer``: keep and reuse prepared indexes (False: read and prepare every time).
    """
    values = {
        "projects": projects,
        "ecological_redline": ecological_redline,
        "permanent_farmland": permanent_farmland,
        "urban_development_boundary": urban_development_boundary,
    }
    frames: dict[str, gpd.GeoDataFrame] = {}
    provenance: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    if control_lines is not None:
        missing = [line for line in layers.CONTROL_LINES if values[line] is None]
        found, chosen = find_control_lines(control_lines, lines=missing)
        values.update(found)
        for note in chosen:
            warn(note, notes)
    deferred: dict[str, Any] = {}
    native = None
    for name, value in values.items():
        is_projects = name == "projects"
        if defer and not is_projects and isinstance(value, (str, os.PathLike)):
            deferred[name] = _deferred(name, value, crs=crs, cache=cache)
            provenance[name] = {
                "status": "user-file",
                "source": str(value),
                "path": str(os.path.abspath(value)),
                "title": name.replace("_", " "),
            }
            frames[name] = None  # read on first access (PlanInputs.__getattr__)
            continue
        gdf, prov, layer_notes = resolve_layer(
            name,
            value,
            crs=crs,
            gcj02_input=gcj02_input and is_projects,
            swap_xy=swap_xy and is_projects,
            id_field=project_id_field if is_projects else None,
            to_wgs84=not is_projects,
        )
        notes.extend(layer_notes)
        if is_projects:
            label = (
                f"projects file {split_layer(value)[0].name}"
                if isinstance(value, (str, os.PathLike))
                else "projects"
            )
            gdf = normalise_projects(gdf, project_id_field if value is not None else None, label=label)
            native = gdf
            if value is not None:  # as the control lines' files, in the file's own CRS
                notes.extend(_outside_territory(gdf, name))
                notes.extend(official_area_quality(gdf, name.replace("_", " ")))
            provenance[name] = prov
            continue
        frames[name], provenance[name] = gdf, prov
        if value is not None:
            notes.extend(_outside_territory(gdf, name))
            notes.extend(official_area_quality(gdf, name.replace("_", " ")))
    assert native is not None  # the projects: always resolved (the embedded ones by default)
    inputs = PlanInputs(
        projects=None,  # made on first access (PlanInputs.__getattr__)
        **frames,
        provenance=provenance,
        notes=notes,
        deferred=deferred,
        native_projects=native.geometry,
        projects_native=native,
    )
    if not defer:
        _ = inputs.projects  # made now: every command but the check draws or tabulates them
        inputs.projects_native = None
    return inputs


def _deferred(name: str, path: str | os.PathLike, *, crs: Any, cache: bool) -> Any:
    """A control-line file to read only when needed (see :class:`hygis.engine.index.DeferredLayer`)."""
    from hygis.engine.index import DeferredLayer  # noqa: PLC0415

    def read(*, validate: bool = True) -> tuple[gpd.GeoDataFrame, list[str]]:
        gdf, _prov, notes = resolve_layer(name, path, crs=crs, to_wgs84=False, validate=validate)
        return gdf, notes + _outside_territory(gdf, name) + official_area_quality(gdf, name.replace("_", " "))

    # The cache keys a database's layer (plan.gdb:YJJBNT) by the database's files and the layer's name.
    source, layer = split_layer(path)
    # The survey attributes the 用地预审 figures itemise travel with the prepared index.
    return DeferredLayer(
        name,
        source,
        read,
        options={"crs": None if crs is None else str(crs), "source_layer": layer},
        use_cache=cache,
        attributes=survey_attributes,
    )


def official_area_quality(gdf: gpd.GeoDataFrame, label: str) -> list[str]:
    """The data-quality line of a layer that carries an official area field (TBMJ, MJ, 图斑面积 …).

    Compares the field with hygis's ellipsoidal area of each feature (the survey's own method) and
    reports the largest relative difference: a wrong CRS, a wrong unit, planar areas stored as
    official ones, or a layer edited after its areas were computed show at once. Issued through the
    warning channel and returned (empty when the layer has no such field).
    """
    column = find_field(gdf.columns, "official_area")
    if column is None or gdf.crs is None:
        return []
    # The engine's area measure, loaded only for a layer with an official area field: the plan
    # room reads inputs and stays importable without the engine (hygis --help, hygis layers).
    from hygis.engine.area import compare_official, measure  # noqa: PLC0415

    measured = measure(gdf.geometry, gdf.crs)
    check = compare_official(gdf[column].to_numpy(), measured)
    if check.compared == 0:
        return []
    if check.unit is None:
        msg = (
            f"{label}: data quality — the field {column} does not read as an area of these features "
            f"in m², ha, 亩 or km² (feature #{check.worst + 1} differs most): is it another quantity, "
            "or is the CRS wrong?"
        )
    else:
        msg = (
            f"{label}: data quality — {column} ({check.unit}) vs hygis's ellipsoidal area over "
            f"{check.compared:,} features: largest difference {check.max_rel:.3%} "
            f"(feature #{check.worst + 1})."
        )
        if check.max_rel > 1e-3:
            msg += (
                " Above 0.1 %: a wrong CRS, planar areas stored as official ones, or features edited after "
                "their areas were computed."
            )
    warn(msg)
    return [msg]


#: How far outside the county units a user's feature may lie before it counts as outside (m).
TERRITORY_TOLERANCE_M = 5_000.0


@lru_cache(maxsize=1)
def _territory() -> tuple[CRS, shapely.Geometry, int]:
    """The county units' union with :data:`TERRITORY_TOLERANCE_M` to spare, prepared, in their area CRS.

    Kept in the user cache while the counties file is unchanged (0.3 s a process otherwise).
    """
    file = layers.path("counties")
    st = file.stat()
    key = hashlib.blake2b(
        f"{file.resolve()}\0{st.st_size}\0{st.st_mtime_ns}\0{TERRITORY_TOLERANCE_M}\0{shapely.__version__}".encode(),
        digest_size=16,
    ).hexdigest()
    book = settings.cache_dir() / "territory" / f"{key}.json"
    try:
        kept = json.loads(book.read_text(encoding="utf-8"))
        metric, area, n = CRS.from_wkt(kept["crs"]), shapely.from_wkb(bytes.fromhex(kept["wkb"])), kept["n"]
    except (OSError, ValueError, KeyError, shapely.errors.GEOSException):
        units = layers.load("counties")
        metric = area_crs_for(units)
        area = shapely.union_all(units.to_crs(metric).geometry.to_numpy()).buffer(TERRITORY_TOLERANCE_M)
        n = len(units)
        settings.keep_in_cache(
            book, json.dumps({"crs": metric.to_wkt(), "wkb": shapely.to_wkb(area, hex=True), "n": n})
        )
    shapely.prepare(area)
    return metric, area, int(n)


def _outside_territory(gdf: gpd.GeoDataFrame, name: str) -> list[str]:
    """A note when a user's layer lies mostly outside the plan's territory: often a wrong CRS.

    A wrong Gauss–Krüger zone or central meridian moves data by hundreds of kilometres yet keeps
    it inside China, where no coordinate check can catch it; the territory can.
    """
    # Each feature by the centre of its box: a wrong zone moves all of them by far more than a
    # feature's size, and 10^5 points project in milliseconds where 10^5 patches take seconds.
    # Boxes of the geometry array itself: a copy of the frame of 10^5 rows costs more than the test.
    b = shapely.bounds(np.asarray(gdf.geometry.values))
    b = b[np.isfinite(b).all(axis=1)]  # features with a location
    if not len(b):
        return []
    metric, area, n_units = _territory()
    x, y = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
    if gdf.crs is not None and not CRS(gdf.crs).equals(metric):
        x, y = transformer(gdf.crs, metric).transform(x, y)
    inside = shapely.contains_xy(area, x, y)
    if inside.mean() >= 0.5:
        return []
    msg = (
        f"{name.replace('_', ' ')}: {int((~inside).sum())} of {len(b)} features "
        f"lie outside the plan's territory (the {n_units} county units, "
        f"with {TERRITORY_TOLERANCE_M / 1000:g} km to spare). Is the CRS right? "
        "A wrong Gauss–Krüger zone or central meridian moves data by hundreds of kilometres."
    )
    warn(msg)
    return [msg]


def warm_up() -> None:
    """Do once, in a process that forks one child per command (``hygis serve``), what the first
    :func:`resolve` of user files does in each: find the coordinate operations between WGS 84 and
    the plan's area CRS (~0.1 s each), build the territory the outside-territory test uses and read
    the embedded county units (which choose the area CRS) and control lines (the default of each
    line a user does not give)."""
    metric, _area, _n = _territory()  # from the user cache: does not read the counties itself
    for name in ("counties", *layers.CONTROL_LINES):
        layers.load(name)
    for src, dst in ((metric, WGS84), (WGS84, metric)):
        transformer(src, dst)


def illustrative_banner(inputs: PlanInputs) -> str | None:
    """The sentence every map and report shows when an illustrative layer is in use."""
    names = inputs.illustrative()
    if not names:
        return None
    pretty = ", ".join(layers.info(n).get("title", n) for n in names)
    return (
        f"示意数据，非官方成果 — ILLUSTRATIVE, NOT OFFICIAL: {pretty} "
        "were generated by a documented rule for demonstration. Replace them with the official layers."
    )


__all__ = ["PlanInputs", "resolve", "resolve_layer", "normalise_projects", "illustrative_banner", "warm_up"]
