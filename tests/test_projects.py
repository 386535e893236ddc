"""Fixture projects, compared with expected output: a golden site tree for valid projects, the
exact stderr and exit code for failing ones.

Regenerate on purpose only: ``UPDATE_GOLDEN=1 pytest tests/test_projects.py``, then review the
diff like any other change.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import PROJECTS, RunCli, snapshot

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

VALID = sorted(p.name for p in PROJECTS.iterdir() if (GOLDEN / p.name).is_dir() or p.name == "basic")
#: Valid projects checked by their own tests instead of a golden tree (tests/test_pages.py).
GOLDEN_FREE = {"catalog"}
FAILING = sorted(
    p.name for p in PROJECTS.iterdir() if p.is_dir() and p.name not in VALID and p.name not in GOLDEN_FREE
)


def _copy(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(PROJECTS / name, target, ignore=shutil.ignore_patterns("expect.txt"))
    return target


@pytest.mark.parametrize("name", VALID)
def test_valid_project_matches_golden_tree(name: str, tmp_path: Path, run_cli: RunCli) -> None:
    project = _copy(name, tmp_path)
    result = run_cli(project, "build", "--strict")
    assert result.exit_code == 0, result.output
    built = snapshot(project / "build")
    golden = GOLDEN / name
    if UPDATE:
        shutil.rmtree(golden, ignore_errors=True)
        shutil.copytree(project / "build", golden)
    assert sorted(built) == sorted(snapshot(golden)), "file set differs from the golden tree"
    for rel, data in built.items():
        assert data == (golden / rel).read_bytes(), f"{rel} differs from tests/golden/{name}/{rel}"


@pytest.mark.parametrize("name", FAILING)
def test_failing_project_reports_exactly(name: str, tmp_path: Path, run_cli: RunCli) -> None:
    project = _copy(name, tmp_path)
    result = run_cli(project, "check")
    actual = f"exit: {result.exit_code}\n{result.stderr}"
    expect = PROJECTS / name / "expect.txt"
    if UPDATE or not expect.exists():
        expect.write_text(actual, encoding="utf-8")
    assert actual == expect.read_text(encoding="utf-8")
    assert result.exit_code == 1 and "Traceback" not in result.output
