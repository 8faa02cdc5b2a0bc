"""Benchmark: `hygis web` under a bounded load of simultaneous users, on 127.0.0.1 only.

    python benchmarks/bench_web.py                       # starts `hygis web` itself, 20 users × 5 checks
    python benchmarks/bench_web.py --users 10 --rounds 3
    python benchmarks/bench_web.py --url http://127.0.0.1:5000   # a server already running (loopback only)

Each user sends, one after another, ``--rounds`` checks of 1–10 parcels (squares of about 70 ha on
the embedded layers, seeded) as the page sends a pasted GeoJSON, asking for the rows only
(``formats: ["csv"]``) or, with ``--files``, for every file the page offers. It prints the latency of
the requests (p50, p95, max) over HTTP, end to end, and checks that every answer for the same
parcels is identical. Traffic goes to 127.0.0.1 only; the run stops by itself.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a clone without installing

from hygis.plan import layers
from tests.web_fixtures import start_server, stop_server


def parcels(n: int, seed: int) -> dict:
    """``n`` squares of ~70 ha on the embedded farmland, red line and urban boundary (seeded)."""
    rng = np.random.default_rng(seed)
    pool = [
        g.representative_point()
        for name in ("permanent_farmland", "ecological_redline", "urban_development_boundary")
        for g in layers.load(name).geometry.iloc[:20]
    ]
    features = []
    for k in range(n):
        p = pool[int(rng.integers(len(pool)))]
        half = 0.004
        box = shapely.box(p.x - half, p.y - half, p.x + half, p.y + half)
        features.append(
            {
                "type": "Feature",
                "properties": {"project_id": f"B{k + 1}", "name": f"地块{k + 1}"},
                "geometry": shapely.geometry.mapping(box),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--files", action="store_true", help="ask for every file (xlsx, html, gpkg, txt, map)"
    )
    parser.add_argument("--url", default=None, help="a running server on 127.0.0.1 (default: start one)")
    args = parser.parse_args()
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://[::1]", "http://localhost")):
        parser.error("--url must be on this machine (127.0.0.1): load is never sent elsewhere")
    cases = [parcels(1 + k % 10, seed=k) for k in range(10)]
    formats = ["xlsx", "html", "gpkg", "csv", "txt", "map"] if args.files else ["csv"]

    def check(url: str, case: int) -> tuple[float, int, str]:
        body = json.dumps({"inputs": {"projects": cases[case], "formats": formats}}).encode()
        request = urllib.request.Request(
            url + "/processes/check/execution", data=body, headers={"Content-Type": "application/json"}
        )
        t = time.perf_counter()
        with urllib.request.urlopen(request, timeout=600) as r:
            result = json.loads(r.read())
        return time.perf_counter() - t, case, json.dumps(result["rows"], sort_keys=True)

    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.url else start_server(Path(tmp))
        url = args.url or server.url  # type: ignore[union-attr]
        try:
            for case in range(len(cases)):  # one of each first: the answers the others must equal
                check(url, case)
            jobs = [(u * args.rounds + r) % len(cases) for u in range(args.users) for r in range(args.rounds)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.users) as pool:
                results = list(pool.map(lambda c: check(url, c), jobs))
            wall = time.perf_counter() - started
        finally:
            if server is not None:
                stop_server(server)
    latencies = sorted(r[0] for r in results)
    answers: dict[int, set[str]] = {}
    for _, case, rows in results:
        answers.setdefault(case, set()).add(rows)
    identical = all(len(v) == 1 for v in answers.values())
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))]
    print(
        f"hygis web: {args.users} users × {args.rounds} checks of 1–10 parcels "
        f"({'every file' if args.files else 'rows only'}), {len(results)} requests in {wall:.1f} s"
    )
    print(
        f"latency p50 {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s; "
        f"answers identical per case: {identical}"
    )
    if not identical:
        sys.exit(1)


if __name__ == "__main__":
    main()
