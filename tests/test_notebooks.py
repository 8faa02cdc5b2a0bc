"""Every notebook in notebooks/ runs top to bottom on the embedded data, as a new user would run it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.notebook


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS, "notebooks/ holds no notebook"
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, (
                    f"{path.name}: strip outputs before committing"
                )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    # Run in a scratch copy of notebooks/ so that whatever a notebook writes stays out of the repo.
    work = tmp_path / "notebooks"
    shutil.copytree(path.parent, work, ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    nb = nbformat.read(work / path.name, as_version=4)
    # The kernel imports the hygis of this checkout (not whichever copy happens to be installed).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute(env=env)
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    # Each notebook ends in something a planner recognises: a map or a table.
    shown = {k for out in last.outputs for k in out.get("data", {})}
    assert shown & {"text/html", "image/png"}, f"{path.name} does not end in a map or a table"
    # Everything the notebook wrote is under its scratch folder out/.
    written = {p.relative_to(work).parts[0] for p in work.rglob("*") if p.is_file()} - {"out"}
    assert written <= {p.name for p in path.parent.iterdir()}, f"{path.name} wrote outside out/: {written}"
