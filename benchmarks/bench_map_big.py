"""Benchmark: hygis's big polygon layer vs folium's GeoJson layer, in headless Chromium.

    python benchmarks/bench_map_big.py --patches 200000            # both, naive capped at 180 s a step
    python benchmarks/bench_map_big.py --patches 200000 --skip-naive

Generates N non-overlapping farmland-like patches (seeded; 6–30 vertices each, some with holes,
some multi-part) over ~150 × 150 km around Hengyang, writes one map with
:func:`hygis.maps.big.add_big_polygons` and one with ``folium.GeoJson`` (same style, same
tooltip fields), both with Leaflet inlined and no basemap so that nothing touches the network,
then loads each in a fresh headless Chromium (Debian's /usr/bin/chromium through the PyPI
``playwright`` package, network emulated offline: any non-file request would fail and is
counted) and measures:

* **first frame**: ``performance.now()`` (ms since navigation start) at the second
  ``requestAnimationFrame`` after DOMContentLoaded *and* the moment every canvas-tile layer
  on the map has drawn all its visible tiles (``GridLayer.isLoading()`` false). The second
  rAF callback runs only once the frame showing the layer has been produced (style, layout,
  paint recorded), so SVG paint time counts for the naive layer too.
* **zoom redraw**: ``map.setZoom(z, {animate: false})`` then the same condition (tiles
  drawn + two rAF), for each zoom of a sequence in to street level; mean and max are printed.
* **memory**: peak over the run of the summed RSS of all Chromium processes (sampled every
  0.2 s with psutil; RSS counts shared pages once per process, so it overstates), and the
  summed PSS (proportional set size: shared pages split between processes, the honest total)
  at its peak over the same samples.
* **HTML size** and the Python time to write each map.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hygis import crs as hcrs  # noqa: E402
from hygis.constants import M2_PER_MU  # noqa: E402
from hygis.maps.big import add_big_polygons  # noqa: E402
from hygis.maps.offline import make_offline  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 800}
#: Centre of the synthetic farmland (near 衡阳市区), WGS 84.
CENTRE = (112.57, 26.89)
#: The conventional permanent-farmland colours (yellow fill, darker outline).
FARMLAND_STYLE = {
    "color": "#b8860b",
    "weight": 1,
    "opacity": 0.9,
    "fillColor": "#f2d14b",
    "fillOpacity": 0.65,
}
TOOLTIP_FIELDS = ["tbbh", "dlmc", "county", "area_mu"]

_DLMC = np.array(["水田", "水浇地", "旱地"])
_COUNTIES = np.array(
    [
        "衡阳县",
        "衡南县",
        "衡山县",
        "衡东县",
        "祁东县",
        "耒阳市",
        "常宁市",
        "珠晖区",
        "雁峰区",
        "石鼓区",
        "蒸湘区",
        "南岳区",
    ]
)


# --------------------------------------------------------------------------- data
def generate_patches(n: int, seed: int = 0, extent_km: float = 150.0) -> gpd.GeoDataFrame:
    """N non-overlapping farmland-like patches around Hengyang (WGS 84), reproducibly.

    The extent is cut into a grid of cells (10 % left empty); each patch is a star-shaped
    polygon of 6–30 vertices inside its own cell (so none overlap), 5 % with a hole, 2 % with
    a second small part in the cell's corner. Attributes: ``tbbh`` (图斑编号), ``dlmc``
    (地类名称), ``county``, ``area_mu`` (亩, in the area CRS of hygis.crs).
    """
    rng = np.random.default_rng(seed)
    area_crs = hcrs.area_crs((CENTRE[0] - 0.1, CENTRE[1] - 0.1, CENTRE[0] + 0.1, CENTRE[1] + 0.1))
    cx0, cy0 = gpd.GeoSeries([shapely.Point(CENTRE)], crs=hcrs.WGS84).to_crs(area_crs).iloc[0].coords[0]
    side = extent_km * 1000.0
    g = int(np.ceil(np.sqrt(n / 0.9)))
    cell = side / g
    chosen = rng.choice(g * g, size=n, replace=False)
    col, row = chosen % g, chosen // g
    cx = cx0 - side / 2 + (col + 0.5) * cell
    cy = cy0 - side / 2 + (row + 0.5) * cell

    k = rng.integers(6, 31, size=n)
    patch_of_vertex = np.repeat(np.arange(n), k)
    # One vertex per angular sector, sectors < 180°: a star-shaped polygon around the cell
    # centre, which never self-intersects.
    start = np.cumsum(k) - k
    j = np.arange(k.sum()) - start[patch_of_vertex]
    angles = 2 * np.pi * (j + rng.uniform(0.1, 0.9, size=k.sum())) / k[patch_of_vertex]
    r_max = 0.45 * cell
    radii = r_max * rng.uniform(0.55, 1.0, size=k.sum())
    xs = cx[patch_of_vertex] + radii * np.cos(angles)
    ys = cy[patch_of_vertex] + radii * np.sin(angles)
    rings = shapely.linearrings(np.column_stack([xs, ys]), indices=patch_of_vertex)
    polys = shapely.polygons(rings)

    holed = rng.random(n) < 0.05
    hole = shapely.buffer(shapely.points(cx[holed], cy[holed]), 0.15 * r_max, quad_segs=2)
    polys[holed] = shapely.difference(polys[holed], hole)
    multi = rng.random(n) < 0.02
    corner = shapely.box(
        cx[multi] + 0.36 * cell, cy[multi] + 0.36 * cell, cx[multi] + 0.46 * cell, cy[multi] + 0.46 * cell
    )
    polys[multi] = shapely.union(polys[multi], corner)

    area_mu = np.round(shapely.area(polys) / M2_PER_MU, 2)
    gdf = gpd.GeoDataFrame(
        {
            "tbbh": np.char.add("430400-", np.char.zfill(np.arange(1, n + 1).astype(str), 6)),
            "dlmc": _DLMC[rng.choice(3, size=n, p=[0.7, 0.05, 0.25])],
            "county": _COUNTIES[rng.integers(0, len(_COUNTIES), size=n)],
            "area_mu": area_mu,
        },
        geometry=polys,
        crs=area_crs,
    )
    return gdf.to_crs(hcrs.WGS84)


# --------------------------------------------------------------------------- maps
def base_map(gdf: gpd.GeoDataFrame) -> folium.Map:
    m = folium.Map(location=[CENTRE[1], CENTRE[0]], zoom_start=9, tiles=None, control_scale=True)
    make_offline(m)  # both maps inline Leaflet as hygis's offline maps do: no network for either
    minx, miny, maxx, maxy = gdf.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def hygis_map(gdf: gpd.GeoDataFrame, name: str = "永久基本农田 (hygis)") -> folium.Map:
    m = base_map(gdf)
    add_big_polygons(m, gdf, name, FARMLAND_STYLE, tooltip_fields=TOOLTIP_FIELDS)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def naive_map(gdf: gpd.GeoDataFrame, name: str = "永久基本农田 (folium.GeoJson)") -> folium.Map:
    m = base_map(gdf)
    folium.GeoJson(
        gdf,
        name=name,
        style_function=lambda feature: FARMLAND_STYLE,
        tooltip=folium.GeoJsonTooltip(fields=TOOLTIP_FIELDS),
    ).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


# --------------------------------------------------------------------------- browser
#: Injected before any page script. `__hyWhenDrawn(map)` resolves at the second rAF after every
#: canvas-tile layer on the map has drawn its visible tiles; `__hyFirstFrame` is set to
#: performance.now() at that moment after DOMContentLoaded.
INIT_SCRIPT = """
window.__hyWhenDrawn = function (map) {
  return new Promise(function (resolve) {
    function busy() {
      var b = false;
      map.eachLayer(function (l) {
        if (window.L && l instanceof L.GridLayer && l.isLoading && l.isLoading()) { b = true; }
      });
      return b;
    }
    function check() {
      if (busy()) { requestAnimationFrame(check); return; }
      requestAnimationFrame(function () {
        requestAnimationFrame(function () { resolve(performance.now()); });
      });
    }
    check();
  });
};
window.__hyMaps = function () {
  return Object.keys(window)
    .filter(function (k) { return /^map_[0-9a-f]+$/.test(k) && window[k] && window[k].setZoom; })
    .map(function (k) { return window[k]; });
};
document.addEventListener('DOMContentLoaded', function () {
  var maps = window.__hyMaps();
  Promise.all(maps.map(window.__hyWhenDrawn)).then(function (t) {
    window.__hyFirstFrame = Math.max.apply(null, t.concat([0]));
  });
});
"""


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def offline_page(browser):
    """A page with the network off (Chromium's offline emulation) that records every
    non-file request it attempts, every failed request and every JavaScript error."""
    context = browser.new_context(viewport=VIEWPORT, offline=True)
    page = context.new_page()
    page.hygis_errors = []  # type: ignore[attr-defined]
    page.hygis_failed = []  # type: ignore[attr-defined]
    page.hygis_remote = []  # type: ignore[attr-defined]

    def on_request(req):
        if not req.url.startswith(("file:", "data:", "blob:")):
            page.hygis_remote.append(req.url)

    page.on("request", on_request)
    page.on("requestfailed", lambda req: page.hygis_failed.append(req.url))
    page.on("pageerror", lambda exc: page.hygis_errors.append(str(exc)))
    page.on("console", lambda msg: msg.type == "error" and page.hygis_errors.append(msg.text))
    page.add_init_script(INIT_SCRIPT)
    return page


class MemorySampler(threading.Thread):
    """Peak summed RSS and PSS (bytes) of the Chromium processes below this Python process."""

    def __init__(self, period: float = 0.2):
        super().__init__(daemon=True)
        self.period = period
        self.peak_rss = 0
        self.peak_pss = 0
        self._halt = threading.Event()

    def run(self):
        import psutil

        me = psutil.Process()
        while not self._halt.is_set():
            rss = pss = 0
            for proc in me.children(recursive=True):
                try:
                    if "chrom" not in proc.name().lower():
                        continue
                    info = proc.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
                except Exception:  # a process may end between listing and reading
                    continue
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self._halt.wait(self.period)

    def stop(self):
        self._halt.set()
        self.join()


ZOOM_STEPS = (10, 11, 12, 13, 14, 16, 12, 10)


def measure(html: Path, cap_s: float, zooms=ZOOM_STEPS) -> dict:
    """Load ``html`` in a fresh Chromium and measure (see the module docstring)."""
    from playwright.sync_api import TimeoutError as PWTimeout
    from playwright.sync_api import sync_playwright

    out: dict = {"first_frame_ms": None, "zoom_ms": [], "timed_out": None}
    with sync_playwright() as p:
        sampler = MemorySampler()
        sampler.start()
        browser = launch(p)
        try:
            page = offline_page(browser)
            t0 = time.perf_counter()
            try:
                page.goto(html.as_uri(), wait_until="commit", timeout=cap_s * 1000)
                page.wait_for_function(
                    "window.__hyFirstFrame !== undefined", timeout=cap_s * 1000, polling=50
                )
                out["first_frame_ms"] = page.evaluate("window.__hyFirstFrame")
                for z in zooms:
                    page.evaluate(
                        """z => { window.__hyZoom = undefined; setTimeout(function () {
                              var map = window.__hyMaps()[0], t0 = performance.now();
                              map.setZoom(z, {animate: false});
                              window.__hyWhenDrawn(map).then(function (t) { window.__hyZoom = t - t0; });
                           }, 0); }""",
                        z,
                    )
                    page.wait_for_function("window.__hyZoom !== undefined", timeout=cap_s * 1000, polling=20)
                    out["zoom_ms"].append((z, page.evaluate("window.__hyZoom")))
            except PWTimeout:
                out["timed_out"] = f"> {cap_s:.0f} s" + (
                    " (load)" if out["first_frame_ms"] is None else " (zoom)"
                )
                out["wall_s"] = time.perf_counter() - t0
            out["errors"] = list(page.hygis_errors)
            out["failed"] = list(page.hygis_failed) + list(page.hygis_remote)
            try:
                out["layer_timings"] = page.evaluate(
                    """() => {
                      var r = null;
                      window.__hyMaps()[0].eachLayer(function (l) { if (l.timings) { r = l.timings; } });
                      return r;
                    }"""
                )
            except Exception:
                out["layer_timings"] = None
        finally:
            browser.close()
            sampler.stop()
    out["peak_rss"] = sampler.peak_rss
    out["peak_pss"] = sampler.peak_pss
    return out


# --------------------------------------------------------------------------- report
def _mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def _fmt_ms(v) -> str:
    return "—" if v is None else f"{v:,.0f} ms"


def _summary(r: dict | None) -> dict:
    if r is None:
        return {}
    zooms = [ms for _, ms in r["zoom_ms"]]
    return {
        "first": r["first_frame_ms"],
        "zoom_mean": float(np.mean(zooms)) if zooms else None,
        "zoom_max": float(np.max(zooms)) if zooms else None,
        "rss": r["peak_rss"],
        "pss": r["peak_pss"],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patches", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=REPO / "out" / "bench_map_big")
    ap.add_argument("--skip-naive", action="store_true", help="measure only hygis's layer")
    ap.add_argument(
        "--naive-cap", type=float, default=180.0, help="seconds allowed for each naive step (load, each zoom)"
    )
    ap.add_argument("--cap", type=float, default=60.0, help="seconds allowed for each hygis step")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    gdf = generate_patches(args.patches, seed=args.seed)
    nv = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    print(f"{len(gdf):,} patches, {nv:,} vertices, generated in {time.perf_counter() - t:.1f} s")

    results: dict[str, dict | None] = {}
    sizes: dict[str, int] = {}
    # What Chromium itself holds with an empty Leaflet map, to read the memory figures against.
    empty = args.out / "empty.html"
    base_map(gdf.iloc[:1]).save(str(empty))
    r0 = measure(empty, args.cap, zooms=())
    print(f"empty Leaflet map: peak RSS {_mb(r0['peak_rss'])}, peak PSS {_mb(r0['peak_pss'])}", flush=True)
    for label, build, cap in (("hygis", hygis_map, args.cap), ("naive", naive_map, args.naive_cap)):
        if label == "naive" and args.skip_naive:
            results[label] = None
            continue
        path = args.out / f"{label}_{args.patches}.html"
        t = time.perf_counter()
        build(gdf).save(str(path))
        sizes[label] = path.stat().st_size
        print(
            f"{label}: wrote {path} ({_mb(sizes[label])}) in {time.perf_counter() - t:.1f} s; "
            "loading in Chromium …",
            flush=True,
        )
        r = measure(path, cap)
        results[label] = r
        print(
            f"  first frame {_fmt_ms(r['first_frame_ms'])}; zooms "
            + ", ".join(f"z{z}: {ms:,.0f} ms" for z, ms in r["zoom_ms"])
            + (f"; TIMED OUT {r['timed_out']}" if r["timed_out"] else "")
            + f"; peak RSS {_mb(r['peak_rss'])}, peak PSS {_mb(r['peak_pss'])}"
            + f"; JS errors {len(r['errors'])}, failed requests {len(r['failed'])}",
            flush=True,
        )
        if r.get("layer_timings"):
            print(f"  layer: {r['layer_timings']}")
        for e in r["errors"][:5]:
            print(f"  JS error: {e}")

    h, nv_ = _summary(results["hygis"]), _summary(results.get("naive"))
    print()
    print(f"{args.patches:,} patches, Chromium {VIEWPORT['width']}×{VIEWPORT['height']}, headless, no GPU")
    print(f"{'':24}{'hygis':>14}{'folium.GeoJson':>18}{'naive / hygis':>16}")

    def row(label, hv, nvv, fmt, naive_note=""):
        ratio = f"{nvv / hv:,.1f}×" if hv and nvv else ("—" if not naive_note else naive_note)
        print(
            f"{label:24}{fmt(hv):>14}{(fmt(nvv) if nvv is not None else (naive_note or '—')):>18}{ratio:>16}"
        )

    naive_r = results.get("naive")
    timed_out = naive_r["timed_out"] if naive_r else None
    row("HTML size", sizes.get("hygis"), sizes.get("naive"), lambda v: _mb(v) if v else "—")
    row("first frame", h.get("first"), nv_.get("first"), _fmt_ms, timed_out or "")
    row("zoom redraw, mean", h.get("zoom_mean"), nv_.get("zoom_mean"), _fmt_ms, timed_out or "")
    row("zoom redraw, max", h.get("zoom_max"), nv_.get("zoom_max"), _fmt_ms, timed_out or "")
    row("peak memory, sum RSS", h.get("rss"), nv_.get("rss"), lambda v: _mb(v) if v else "—")
    row("peak memory, sum PSS", h.get("pss"), nv_.get("pss"), lambda v: _mb(v) if v else "—")
    target_ok = (
        h.get("first") is not None
        and h["first"] <= 2000
        and h["zoom_max"] is not None
        and h["zoom_max"] <= 300
        and h["rss"] <= 1.5e9
    )
    print(f"targets (first frame ≤ 2 s, zoom ≤ 0.3 s, memory ≤ 1.5 GB): {'met' if target_ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
