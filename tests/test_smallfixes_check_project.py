"""``check --format json|github`` on a project directory it cannot use still prints that format.

A CI step that parses the JSON report, or a workflow that turns stdout into annotations, must not
get a stray text line on stderr and nothing on stdout just because ``-C`` points nowhere. The
exit code stays 2: a wrong directory is a usage error, not bad content.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import MakeProject, RunCli


def test_json_report_for_a_missing_project(
    tmp_path: Path, run_cli: RunCli, make_project: MakeProject
) -> None:
    missing = tmp_path / "nowhere"
    result = run_cli(missing, "check", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == ""
    report = json.loads(result.stdout)
    normal = json.loads(run_cli(make_project(), "check", "--format", "json").stdout)
    assert list(report) == list(normal)  # same shape as every other check report
    assert report["ok"] is False and report["models"] == 0
    assert report["summary"] == {"errors": 1, "warnings": 0, "files": 1}
    assert report["problems"] == [
        {
            "path": missing.as_posix(),
            "line": 0,
            "col": 0,
            "severity": "error",
            "message": f"project directory {missing} does not exist",
        }
    ]


def test_github_annotation_for_a_missing_project(tmp_path: Path, run_cli: RunCli) -> None:
    missing = tmp_path / "nowhere"
    result = run_cli(missing, "check", "--format", "github", "--strict")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"::error file={missing.as_posix()}::project directory {missing} does not exist"
    ]


def test_text_format_for_a_missing_project_is_unchanged(tmp_path: Path, run_cli: RunCli) -> None:
    missing = tmp_path / "nowhere"
    result = run_cli(missing, "check")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"docs-build: error: project directory {missing} does not exist\n"


def test_json_report_for_an_unreadable_project(
    make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The tests may run as root, where chmod 000 does not stop reading, so access() says no.
    project = make_project()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: Path(path) != project and real_access(path, mode, **kw)
    )
    result = run_cli(project, "check", "--format", "json")
    assert result.exit_code == 2
    problems = json.loads(result.stdout)["problems"]
    assert [p["message"] for p in problems] == [
        f"project directory {project} cannot be read (permission denied)"
    ]
