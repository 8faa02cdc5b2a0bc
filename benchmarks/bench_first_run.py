"""Benchmark: ``hygis run`` on a new machine (the kernel compiled on the way), and after.

    python benchmarks/bench_first_run.py              # default, then a Windows desk simulated
    python benchmarks/bench_first_run.py --no-windows

What is timed: the wall and CPU seconds (the process and its children, from ``wait4``) of
``python -m hygis -q run`` — the README's main job on the embedded data — in a fresh folder:

* **first**: a fresh hygis cache folder (``HYGIS_CACHE_DIR``), so no compiled kernel, no prepared
  layers, no PROJ operations or territory cached: what a planner meets the first time. The kernel
  compiles in a helper process meanwhile (small calls run its functions by Python); the line also
  says when that compile finished (its cache complete), which may be after the run;
* **warm**: the same command again, every cache made.

CPU seconds are those of the command and the processes it waited for: the compile's helper
process, which may outlive the command, is not among them (~15 s of one core, once).

With a Windows desk simulated (``.ci/windows-like/sitecustomize.py``: no ``os.fork``,
multiprocessing knowing only ``spawn``, no C compiler on PATH, the cache under a path with spaces
and Chinese), the same two runs; their reports must equal the default run's (compared here).
The peers do not have this step (nothing of theirs compiles on first use); the check's peers are
in ``bench_peers.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENTRIES = ("_pair_areas", "_one_ring_layer", "_simple_rings", "_grid_pairs", "_bisect")


def _compiled(folder: Path) -> bool:
    return all(any(folder.glob(f"*/*{part}-*.nbi")) for part in ENTRIES)


def _run(workdir: Path, env: dict[str, str], kernel_dir: Path) -> tuple[float, float, float | None]:
    """(wall s, CPU s of the command and its children, s until the kernel's cache was complete)."""
    workdir.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hygis", "-q", "run"], cwd=workdir, env=env, stdout=subprocess.DEVNULL
    )
    compiled_at = 0.0 if _compiled(kernel_dir) else None
    while proc.poll() is None:
        if compiled_at is None and _compiled(kernel_dir):
            compiled_at = time.perf_counter() - t0
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"hygis run failed ({proc.returncode}) in {workdir}")
    while compiled_at is None and time.perf_counter() - t0 < 300:  # the helper may outlive the run
        if _compiled(kernel_dir):
            compiled_at = time.perf_counter() - t0
        time.sleep(0.05)
    time.sleep(0.5)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, compiled_at


def _reports(workdir: Path) -> dict[str, object]:
    """Every table the run wrote (each sheet of each workbook, each CSV), by name: workbooks
    carry the time they were written, so their sheets are compared, not their bytes."""
    import pandas as pd

    out: dict[str, object] = {}
    for path in sorted((workdir / "reports").iterdir()):
        if path.suffix == ".xlsx":
            for sheet, frame in pd.read_excel(path, sheet_name=None).items():
                # The time the report was made (数据来源与方法) differs by design.
                out[f"{path.name}:{sheet}"] = frame.replace(
                    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", "", regex=True
                )
        elif path.suffix == ".csv":
            out[path.name] = pd.read_csv(path)
    return out


def _same(a: dict[str, object], b: dict[str, object]) -> bool:
    return a.keys() == b.keys() and all(a[k].equals(b[k]) for k in a)  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--no-windows", action="store_true", help="skip the simulated Windows desk")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="hygis-first-run-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYGIS_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    desks = [("default", env, base / "default")]
    if not args.no_windows:
        no_cc = base / "bin"
        no_cc.mkdir()
        for tool in ("python3", "sh", "env"):  # a PATH without cc/gcc: only what the run needs
            target = Path(sys.executable if tool == "python3" else f"/bin/{tool}")
            (no_cc / tool).symlink_to(target)
        win = {
            **env,
            "PATH": str(no_cc),
            "PYTHONPATH": os.pathsep.join([str(REPO / ".ci" / "windows-like"), env["PYTHONPATH"]]),
            "HYGIS_SIMULATE_WINDOWS": "1",
        }
        desks.append(("Windows-like", win, base / "windows 桌面 临时"))
    print(f"hygis run, embedded data; {os.cpu_count()} cores; folders under {base}")
    print(f"{'desk':<14}{'run':<7}{'wall s':>8}{'CPU s':>8}  kernel compiled at")
    results = {}
    for name, desk_env, folder in desks:
        cache = folder / "cache 缓存"
        run_env = {**desk_env, "HYGIS_CACHE_DIR": str(cache)}
        for label in ("first", "warm"):
            wall, cpu, at = _run(folder / label, run_env, cache / "numba")
            when = "—" if label == "warm" else ("never (see the helper)" if at is None else f"{at:.1f} s")
            print(f"{name:<14}{label:<7}{wall:>8.1f}{cpu:>8.1f}  {when}", flush=True)
            results[(name, label)] = (wall, folder / label)
    # Every run wrote the same tables, to the last digit.
    ref = _reports(results[("default", "warm")][1])
    for (name, label), (_, folder) in results.items():
        same = _same(_reports(folder), ref)
        print(
            f"{name} {label}: {len(ref)} tables {'identical to' if same else 'DIFFERENT from'} default warm's"
        )
    if ("Windows-like", "warm") in results:
        ratio = results[("Windows-like", "warm")][0] / results[("default", "warm")][0]
        print(f"Windows-like / default, warm: {ratio:.2f}×")


if __name__ == "__main__":
    main()
