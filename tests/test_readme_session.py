"""The README's planner's session runs as written, from the files ``hygis example`` writes.

The commands are taken from the README itself (the ```bash blocks under the session's heading),
so a README that drifts from the code fails here. Each runs as a user runs it, a subprocess in a
fresh folder; ``cd`` moves the folder the next commands run in.
"""

from __future__ import annotations

import re
import shlex

import geopandas as gpd
import pandas as pd
import pytest

from hygis.plan import example

from .conftest import REPO, run_cli

SESSION_HEADING = "## A planner's session"


def session_commands(readme: str) -> list[list[str]]:
    """Each command line of the bash blocks under the session's heading, split as a shell would."""
    start = readme.index(SESSION_HEADING)
    end = readme.find("\n## ", start + len(SESSION_HEADING))
    section = readme[start : end if end > 0 else None]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    return [
        words
        for block in blocks
        for line in block.splitlines()
        if (words := shlex.split(line, comments=True))
    ]


def outputs(words: list[str]) -> list[str]:
    """The files a command says it writes (--out, --map)."""
    return [words[i + 1] for i, w in enumerate(words[:-1]) if w in ("--out", "--map")]


def test_readme_session_runs_as_written(tmp_path):
    commands = session_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert commands[0][:2] == ["hygis", "example"], "the session starts by writing its files"
    assert len(commands) >= 4
    cwd = tmp_path
    for words in commands:
        if words[0] == "cd":
            cwd = cwd / words[1]
            assert cwd.is_dir(), f"cd {words[1]}: no such folder after the commands before it"
            continue
        assert words[0] == "hygis", f"the session runs hygis commands only, not {words[0]}"
        proc = run_cli(*words[1:], cwd=cwd)
        assert proc.returncode == 0, f"{shlex.join(words)} failed:\n{proc.stdout}\n{proc.stderr}"
        for name in outputs(words):
            assert (cwd / name).stat().st_size > 0, f"{shlex.join(words)} wrote no {name}"
    # The check found what the example is designed to hold: D1 in the red line, D2 in the farmland.
    reports = [cwd / name for words in commands for name in outputs(words) if name.endswith(".xlsx")]
    # (the .xlsx a bureau files speaks Chinese: sheet 审查结果, columns and verdicts in Chinese)
    report = pd.read_excel(next(p for p in reports if "审查" in p.name), sheet_name="审查结果")
    conflicts = report[report["审查结论"] == "冲突"]
    assert sorted(zip(conflicts["项目编号"], conflicts["控制线"])) == [
        ("D1", "生态保护红线"),
        ("D2", "永久基本农田"),
    ]


def test_example_writes_the_session_files_marked_illustrative(tmp_path):
    proc = run_cli("example", "示例", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "示例"
    assert sorted(p.name for p in folder.iterdir()) == sorted(example.FILES.values())
    assert "ILLUSTRATIVE" in (folder / "README.txt").read_text(encoding="utf-8")
    changes = gpd.read_file(folder / "变化图斑.gpkg")
    assert set(changes["SJLY"]) == {example.SOURCE_NOTE}
    farmland = gpd.read_file(folder / "三区三线.gdb", layer="永久基本农田")
    assert "illustrative" in farmland["SJLY"].iloc[0]


@pytest.mark.parametrize("existing", ["报盘坐标.txt", "三区三线.gdb"])
def test_example_never_overwrites_without_force(tmp_path, existing):
    folder = tmp_path / "hygis-example"
    folder.mkdir()
    target = folder / existing
    if existing.endswith(".gdb"):
        target.mkdir()
        (target / "mine").write_text("the bureau's own", encoding="utf-8")
    else:
        target.write_text("the surveyor's own", encoding="utf-8")
    proc = run_cli("example", cwd=tmp_path)
    assert proc.returncode == 2
    assert existing in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == [existing], "nothing written beside it either"
    proc = run_cli("example", "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(example.FILES.values())


def test_session_commands_are_read_from_the_readme():
    block = "```bash\nhygis example  # note\ncd hygis-example\n```"
    readme = f"# x\n\n{SESSION_HEADING}: files\n\n{block}\n\n## Next\n\n```bash\nhygis run\n```\n"
    assert session_commands(readme) == [["hygis", "example"], ["cd", "hygis-example"]]
    assert outputs(["hygis", "check", "--out", "审查.xlsx", "--map", "m.html"]) == ["审查.xlsx", "m.html"]
