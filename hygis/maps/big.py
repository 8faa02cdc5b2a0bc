"""Big polygon layers on folium maps: 10^5–10^6 farmland patches, fast, offline and safe.

Folium's :class:`folium.GeoJson` writes every coordinate as decimal text and lets Leaflet
make one SVG path per feature: at 200,000 patches that is 160–250 MB of HTML, ~17 s to the
first frame, seconds per zoom and ~5 GB of browser memory. :func:`add_big_polygons` draws the
same patches with a different technique:

* **Compact encoding.** Coordinates are projected to Web Mercator (the CRS Leaflet draws
  in), quantized to integers of ``precision_m`` ground metres (0.1 m by default, below the
  precision of any survey layer), delta-coded along the rings, zigzag-mapped and written as
  LEB128 varints: 2–3 bytes per vertex, inlined as base64 in the HTML (a ``file://`` page
  cannot fetch a sidecar file in Chromium). Rings are stored open and oriented (exteriors
  counter-clockwise, holes clockwise) so the browser gets areas from one shoelace pass.
  Patches are ordered along a Hilbert curve so neighbours are near in memory and deltas small.
* **Client-side spatial index.** The browser decodes the payload once into typed arrays and
  builds a uniform grid of the patches' bounding boxes (a counting sort, no objects per patch).
* **Canvas tiles with level of detail.** The layer is an ``L.GridLayer`` of 256-px canvas
  tiles, drawn synchronously from the index into a per-tile coverage buffer. A patch smaller
  than 4 px on screen adds its area to the pixels its bounding box overlaps (sub-pixel farmland
  keeps its true density); larger ones are rasterized exactly by a signed-area accumulation
  rasterizer (anti-aliased, holes cancel, no seams between neighbours; vertices closer than
  half a pixel skipped), several times cheaper than Canvas path calls; the coverage becomes the
  tile's pixels in one ``putImageData``. Outlines (Canvas strokes) only for patches larger
  than 12 px. Zoomed in, every vertex is drawn.
* **Lazy attributes.** Tooltip values sit in a JSON data block parsed after the first frame.
* **Hit-testing by the index.** Tooltips (hover) and popups (click) find the patch under the
  mouse by the grid and an even-odd point-in-polygon test; values are set with
  ``textContent``, so a value is always shown as literal text.

The JavaScript lives in ``assets/big/big_polygons.js`` and is inlined once per map; it needs
only Leaflet, which folium already loads.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure
from folium.map import Layer
from folium.template import Template

from hygis.crs import WEB_MERCATOR
from hygis.errors import HygisInputError
from hygis.maps.escape import script_json

log = logging.getLogger("hygis")

#: Web Mercator: the CRS Leaflet draws in. For display only, never for areas (see hygis.crs).

#: Default quantization step of coordinates, in ground metres at the layer's central latitude.
DEFAULT_PRECISION_M = 0.1

#: Style keys understood by the layer (Leaflet path options), with their defaults.
STYLE_DEFAULTS: dict[str, object] = {
    "color": "#3388ff",
    "weight": 1.0,
    "opacity": 1.0,
    "fillColor": None,  # None: the outline colour
    "fillOpacity": 0.5,
    "stroke": True,
    "fill": True,
}

#: The pane of layers drawn above vector overlays (Leaflet's overlayPane is at 400, markers at 600):
#: the default pane of big layers (350, set in the JavaScript) is beneath them.
PANE_ABOVE_VECTORS = {"pane": "hygisBigAbove", "paneZIndex": 410}

_ASSET = Path(__file__).resolve().parent / "assets" / "big" / "big_polygons.js"

# Quantized coordinates must stay below 2^30 so that zigzag deltas fit the browser's 32-bit ints.
_MAX_QUANTA = 2**30


@dataclass(frozen=True)
class EncodedPatches:
    """Polygons encoded for the browser (see the module docstring for the format).

    Attributes
    ----------
    payload : bytes
        The varint stream: rings per patch, vertices per ring, zigzag coordinate deltas.
    n_patches, n_rings, n_vertices : int
        Counts in the stream.
    origin : tuple of float
        Web Mercator metres (x, y) of quantized coordinate (0, 0).
    unit : float
        Web Mercator metres per quantum.
    extent : tuple of int
        Quantized bounding box (xmin, ymin, xmax, ymax) of all vertices.
    order : numpy.ndarray
        For each encoded patch, the position of its row in the input frame.
    """

    payload: bytes
    n_patches: int
    n_rings: int
    n_vertices: int
    origin: tuple[float, float]
    unit: float
    extent: tuple[int, int, int, int]
    order: np.ndarray

    def meta(self) -> dict:
        """The header the browser needs to decode :attr:`payload`."""
        return {
            "n_patches": self.n_patches,
            "n_rings": self.n_rings,
            "n_vertices": self.n_vertices,
            "origin": list(self.origin),
            "unit": self.unit,
            "extent": list(self.extent),
        }


# --------------------------------------------------------------------------- varints
def _zigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _unzigzag(values: np.ndarray) -> np.ndarray:
    v = values.astype(np.uint64)
    return (v >> np.uint64(1)).astype(np.int64) ^ -(v & np.uint64(1)).astype(np.int64)


def _varint_encode(values: np.ndarray) -> bytes:
    """Unsigned LEB128 of each value, vectorised: 7 bits a byte, high bit = more follows."""
    v = np.asarray(values, dtype=np.uint64)
    if v.size == 0:
        return b""
    nbytes = np.ones(v.size, dtype=np.int64)
    rest = v >> np.uint64(7)
    while rest.any():
        nbytes += rest > 0
        rest >>= np.uint64(7)
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        has = nbytes > k
        byte = ((v[has] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        byte |= np.where(nbytes[has] > k + 1, 0x80, 0).astype(np.uint8)
        out[starts[has] + k] = byte
    return out.tobytes()


def _varint_decode(data: bytes) -> np.ndarray:
    """Inverse of :func:`_varint_encode` (for tests and tools; the browser has its own)."""
    b = np.frombuffer(data, dtype=np.uint8)
    if b.size == 0:
        return np.zeros(0, dtype=np.uint64)
    last = (b & 0x80) == 0
    value_id = np.concatenate([[0], np.cumsum(last)[:-1]])
    first = np.concatenate([[True], last[:-1]])
    starts = np.flatnonzero(first)
    pos = np.arange(b.size) - starts[value_id]
    parts = (b & 0x7F).astype(np.uint64) << (7 * pos).astype(np.uint64)
    return np.add.reduceat(parts, starts)


# --------------------------------------------------------------------------- encoding
def encode_patches(
    geoms: gpd.GeoSeries | gpd.GeoDataFrame, precision_m: float = DEFAULT_PRECISION_M
) -> EncodedPatches:
    """Encode polygons for :class:`BigPolygons` (quantized, delta-coded Web Mercator).

    Parameters
    ----------
    geoms : geopandas.GeoSeries or GeoDataFrame
        Polygons or MultiPolygons with a CRS; no empty or missing geometries.
    precision_m : float
        Quantization step in ground metres at the central latitude (coarsened automatically
        if the extent would need more than 2^30 steps). Vertices move by at most half a step
        along each axis; consecutive vertices that fall on the same step are merged.

    Returns
    -------
    EncodedPatches
    """
    series = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    merc = series.to_crs(WEB_MERCATOR)
    n = len(merc)
    # Hilbert order of the patches: neighbours on the map are neighbours in the stream.
    order = np.argsort(merc.hilbert_distance().to_numpy(), kind="stable") if n > 1 else np.arange(n)
    values = merc.to_numpy()[order]

    xmin, ymin, xmax, ymax = merc.total_bounds
    lat_c = np.radians(_mercator_y_to_lat((ymin + ymax) / 2))
    # Mercator stretches ground distances by 1/cos(lat): one step of precision_m ground metres.
    unit = float(precision_m) / float(np.cos(lat_c))
    unit = max(unit, max(xmax - xmin, ymax - ymin) / (_MAX_QUANTA - 2))
    origin = (float(np.floor(xmin)), float(np.floor(ymin)))

    parts, part_patch = shapely.get_parts(values, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_patch = part_patch[ring_part]
    is_exterior = np.ones(len(rings), dtype=bool)
    is_exterior[1:] = ring_part[1:] != ring_part[:-1]
    counts = shapely.get_num_coordinates(rings)
    coords = shapely.get_coordinates(rings)
    q = np.rint((coords - np.array(origin)) / unit).astype(np.int64)

    ring_id = np.repeat(np.arange(len(rings)), counts)
    ends = np.cumsum(counts)
    keep = np.ones(len(q), dtype=bool)
    keep[ends - 1] = False  # the closing vertex repeats the first
    same_as_prev = np.zeros(len(q), dtype=bool)
    same_as_prev[1:] = (q[1:] == q[:-1]).all(axis=1) & (ring_id[1:] == ring_id[:-1])
    keep &= ~same_as_prev
    q, ring_id = q[keep], ring_id[keep]
    ring_counts = np.bincount(ring_id, minlength=len(rings))
    # A ring that collapsed below 3 distinct vertices at this precision has no area to draw.
    good_ring = ring_counts >= 3
    vkeep = good_ring[ring_id]
    q, ring_id = q[vkeep], ring_id[vkeep]
    remap = np.cumsum(good_ring) - 1
    ring_id = remap[ring_id]
    ring_patch, is_exterior = ring_patch[good_ring], is_exterior[good_ring]
    ring_counts = ring_counts[good_ring]

    q = _orient(q, ring_id, ring_counts, is_exterior)

    rings_per_patch = np.bincount(ring_patch, minlength=n)
    flat = q.reshape(-1)
    deltas = np.diff(flat.reshape(-1, 2), axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).reshape(-1)
    payload = b"".join(
        [_varint_encode(rings_per_patch), _varint_encode(ring_counts), _varint_encode(_zigzag(deltas))]
    )
    extent = tuple(int(v) for v in (*q.min(axis=0), *q.max(axis=0))) if len(q) else (0, 0, 0, 0)
    return EncodedPatches(
        payload=payload,
        n_patches=n,
        n_rings=int(len(ring_counts)),
        n_vertices=int(len(q)),
        origin=origin,
        unit=unit,
        extent=extent,  # type: ignore[arg-type]
        order=order,
    )


def _mercator_y_to_lat(y: float) -> float:
    return float(np.degrees(2 * np.arctan(np.exp(y / 6378137.0)) - np.pi / 2))


def _orient(
    q: np.ndarray, ring_id: np.ndarray, ring_counts: np.ndarray, is_exterior: np.ndarray
) -> np.ndarray:
    """Reverse rings so exteriors are counter-clockwise and holes clockwise (y up)."""
    starts = np.cumsum(ring_counts) - ring_counts
    nxt = np.arange(len(q)) + 1
    last = starts + ring_counts - 1
    nxt[last] = starts
    x = q[:, 0] - q[starts[ring_id], 0]  # relative to each ring's first vertex: exact in float64
    y = q[:, 1] - q[starts[ring_id], 1]
    x = x.astype(np.float64)
    y = y.astype(np.float64)
    cross = x * y[nxt] - x[nxt] * y
    signed = np.bincount(ring_id, weights=cross, minlength=len(ring_counts))
    flip = np.where(is_exterior, signed < 0, signed > 0)
    if not flip.any():
        return q
    idx = np.arange(len(q))
    rflip = flip[ring_id]
    s = starts[ring_id]
    idx[rflip] = (s + (s + ring_counts[ring_id] - 1) - idx)[rflip]
    return q[idx]


# --------------------------------------------------------------------------- attributes
def _as_text(column: pd.Series) -> pd.Series:
    """Attribute values as the text a planner expects: no 'nan', no '12.0'."""
    if pd.api.types.is_float_dtype(column):
        text = column.round(6).astype(str).str.replace(r"\.0$", "", regex=True)
    elif pd.api.types.is_datetime64_any_dtype(column):
        text = column.dt.strftime("%Y-%m-%d %H:%M:%S").str.replace(" 00:00:00", "", regex=False)
    else:
        text = column.astype(str)
    return text.where(column.notna(), "")


def _attribute_columns(
    gdf: gpd.GeoDataFrame, fields: list[str], order: np.ndarray, labels: Mapping[str, str] | None = None
) -> list[dict]:
    labels = labels or {}
    columns = []
    for field in fields:
        name = str(labels.get(field, field))
        text = _as_text(gdf[field]).to_numpy()[order]
        codes, uniques = pd.factorize(text)
        if len(uniques) * 4 <= len(text):  # dictionary-encode repetitive columns (地类, county …)
            columns.append({"name": name, "dict": [str(u) for u in uniques], "codes": codes.tolist()})
        else:
            columns.append({"name": name, "values": [str(v) for v in text]})
    return columns


@lru_cache(maxsize=1)
def _asset_js() -> str:
    return _ASSET.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- the layer
class RawHtml(Element):
    """Markup written into the page as it is.

    ``branca.element.Element(text)`` compiles its text as a Jinja template: a user's attribute
    ``{{ 7*7 }}`` came out as ``49`` (template code run from a data file) and lexing a table of 10^5
    values took seconds. Here the text is a value the template inserts, never template code.
    """

    _template = Template("{{ this.text }}")

    def __init__(self, text: str):
        super().__init__()
        self._name = "RawHtml"
        self.text = text


class BigPolygons(Layer):
    """A folium layer drawing many polygons on canvas tiles (see the module docstring).

    Use :func:`add_big_polygons`; this class holds the encoded data and renders it.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.hygisBigPolygons(
                "{{ this.payload_b64 }}",
                {{ this.meta_json }},
                {{ this.attributes_ref }},
                {{ this.options_json }}
            );
        {% endmacro %}
        """
    )

    def __init__(
        self,
        encoded: EncodedPatches,
        attributes: list[dict],
        name: str,
        options: dict,
        show: bool = True,
    ):
        # Leaflet's layer control sets names with innerHTML: escape, so a name is only text.
        super().__init__(name=html.escape(name), overlay=True, control=True, show=show)
        self._name = "HygisBigPolygons"
        self.encoded = encoded
        self.payload_b64 = base64.b64encode(encoded.payload).decode("ascii")
        self.meta_json = script_json(encoded.meta())
        self.attributes_json = script_json(attributes)
        self.options_json = script_json({**options, "name": name})
        # The attribute table goes in a JSON data block, parsed only when the page is idle or
        # a tooltip needs it: 10^5 values as a JavaScript literal would delay the first frame.
        self.attributes_ref = script_json(f"{self.get_name()}_attributes") if attributes else "null"

    def render(self, **kwargs):
        figure = cast(Figure, self.get_root())  # a folium map's page: it has a header and a body
        # One copy of the JavaScript per page, after Leaflet (folium adds Leaflet first).
        figure.header.add_child(RawHtml(f"<script>{_asset_js()}</script>"), name="hygis_big_polygons_js")
        if self.attributes_json and self.attributes_ref != "null":
            block = f'<script type="application/json" id="{self.get_name()}_attributes">'
            figure.html.add_child(
                RawHtml(f"{block}{self.attributes_json}</script>"),
                name=f"{self.get_name()}_attributes",
            )
        super().render(**kwargs)


def _check_style(style: dict | None) -> dict:
    style = dict(style or {})
    unknown = sorted(set(style) - set(STYLE_DEFAULTS))
    if unknown:
        msg = (
            f"Unknown style key(s) {unknown} for a big polygon layer; "
            f"use only {sorted(STYLE_DEFAULTS)} (Leaflet path options)."
        )
        raise HygisInputError(msg)
    merged = {**STYLE_DEFAULTS, **style}
    if merged["fillColor"] is None:
        merged["fillColor"] = merged["color"]
    for key in ("weight", "opacity", "fillOpacity"):
        try:
            merged[key] = float(merged[key])
        except (TypeError, ValueError):
            msg = f"Style {key!r} must be a number, not {merged[key]!r}."
            raise HygisInputError(msg) from None
    return merged


def _check_frame(gdf: gpd.GeoDataFrame, name: str, tooltip_fields: list[str] | None) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        msg = f"Layer {name!r}: expected a GeoDataFrame, got {type(gdf).__name__}."
        raise HygisInputError(msg)
    if gdf.crs is None:
        msg = (
            f"Layer {name!r} has no CRS: set it (e.g. gdf.set_crs('EPSG:4490')) or read the file "
            "with hygis.io.read_vector, which checks it."
        )
        raise HygisInputError(msg)
    missing = [f for f in (tooltip_fields or []) if f not in gdf.columns]
    if missing:
        fields = list(gdf.columns.drop(gdf.geometry.name))
        msg = f"Layer {name!r} has no field(s) {missing} for the tooltip; its fields are {fields}."
        raise HygisInputError(msg)
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        log.info("Layer %r: %d empty geometries are not drawn.", name, int(empty.sum()))
        gdf = gdf[~empty.to_numpy()]
    kinds = gdf.geom_type
    bad = ~kinds.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        first = bad.to_numpy().nonzero()[0][0]
        msg = (
            f"Layer {name!r}: feature {gdf.index[first]} is a {kinds.iloc[first]}; a big polygon layer draws "
            "only Polygons and MultiPolygons (read the file with geometry='polygon' to drop the others)."
        )
        raise HygisInputError(msg)
    return gdf


def add_big_polygons(
    m: folium.Map,
    gdf: gpd.GeoDataFrame,
    name: str,
    style: dict,
    tooltip_fields: list[str] | None = None,
    show: bool = True,
    *,
    precision_m: float = DEFAULT_PRECISION_M,
    field_labels: Mapping[str, str] | None = None,
    above_vectors: bool = False,
) -> BigPolygons:
    """Add a layer of many polygons (e.g. 200,000 farmland patches) to a folium map.

    The layer is drawn on canvas tiles from a compact binary encoding with a client-side
    spatial index and level of detail (see the module docstring); it needs no network and
    is listed in the map's ``folium.LayerControl`` under ``name``.

    Parameters
    ----------
    m : folium.Map
        The map (in Leaflet's default Web Mercator CRS).
    gdf : geopandas.GeoDataFrame
        Polygons or MultiPolygons in any CRS; empty geometries are skipped. Patches are
        expected not to overlap (as the parcels of a land-use layer): overlapping fills are
        drawn once with the even-odd rule.
    name : str
        The layer's name in the layer control and popup title (shown as text).
    style : dict
        Leaflet path options: ``color``, ``weight`` (px), ``opacity``, ``fillColor``,
        ``fillOpacity``, ``stroke``, ``fill``.
    tooltip_fields : list of str, optional
        Attributes shown, as literal text, in the tooltip on hover and the popup on click.
        None: the layer is not interactive.
    show : bool
        Whether the layer is shown when the map opens.
    precision_m : float
        Quantization step of the coordinates in ground metres (default 0.1 m).
    field_labels : mapping, optional
        The label shown for a tooltip field (e.g. ``{"area_ha": "面积 area (ha)"}``); default
        the field's name.
    above_vectors : bool
        Draw above the map's vector layers (results such as overlaps or changes, which the
        planner must see over the control lines) instead of beneath them (dense base layers
        such as farmland, under the boundaries drawn on them).

    Returns
    -------
    BigPolygons
        The folium layer (already added to ``m``).

    Raises
    ------
    HygisInputError
        No CRS, non-polygon features, unknown tooltip fields or style keys.
    """
    if getattr(m, "crs", "EPSG3857") != "EPSG3857":
        msg = f"Layer {name!r}: the big polygon layer draws on Web Mercator maps only, not {m.crs}."
        raise HygisInputError(msg)
    options = _check_style(style)
    gdf = _check_frame(gdf, name, tooltip_fields)
    if len(gdf) == 0:
        msg = f"Layer {name!r} has no polygons to draw."
        raise HygisInputError(msg)
    if above_vectors:
        options.update(PANE_ABOVE_VECTORS)
    encoded = encode_patches(gdf, precision_m=precision_m)
    attributes = _attribute_columns(gdf, list(tooltip_fields or []), encoded.order, field_labels)
    layer = BigPolygons(encoded, attributes, name=name, options=options, show=show)
    layer.add_to(m)
    return layer
