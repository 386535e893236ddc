"""Shared machinery of the bad-input and fault suites: a good site, broken, rebuilt, compared.

Every failing case follows one script: copy a project whose ``build/`` came from a good build,
break it, build again, then check the outcome exactly (exit code, every problem head line) and
prove the damage did not spread: the previous ``build/`` is byte-identical, the project holds no
new files (temporary directories are gone), and nothing printed a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from conftest import snapshot
from docs_build.cli import cli

BAD = Path(__file__).parent
BASE = BAD / "base"
EPOCH = "1767225600"  # 2026-01-01, so pages are byte-stable between builds

#: ``path:line:col: severity: message`` (col may be absent for template errors: Jinja has lines only).
HEAD = re.compile(
    r"^(?P<path>[^\s:][^:]*):(?P<line>\d+)(?::(?P<col>\d+))?: (?P<sev>error|warning): (?P<msg>.+)$"
)


def run(project: Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
    """``docs-build -C project ARGS`` in-process, as a user runs it (stderr kept apart)."""
    runner = CliRunner()
    full_env = {"SOURCE_DATE_EPOCH": EPOCH, **(env or {})}
    return runner.invoke(cli, ["-C", os.fspath(project), *args], env=full_env, catch_exceptions=False)


def heads(stderr: str) -> list[str]:
    """The problem lines of ``stderr`` (not the quoted source lines or carets under them)."""
    return [line for line in stderr.splitlines() if HEAD.match(line)]


def listing(root: Path) -> set[str]:
    """Every path under ``root`` (files and directories, dot files included)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def copy_base(target: Path, built: Path | None = None) -> Path:
    """A fresh copy of the good project; with ``built``, the copy includes its ``build/``."""
    shutil.copytree(built or BASE, target, symlinks=True)
    return target


def overlay(project: Path, files: Mapping[str, bytes | str]) -> None:
    """Write ``files`` (project-relative path → content) into ``project``."""
    for rel, content in files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)


@dataclass
class Before:
    """What a project looked like before the breaking build."""

    site: dict[str, bytes]
    files: set[str]


def before(project: Path) -> Before:
    """Record the site and the project's file list (call after breaking, before building)."""
    return Before(snapshot(project / "build"), listing(project))


def assert_located(lines: list[str]) -> None:
    """Each problem has a path and 1-based numbers: a line always, a column unless a template."""
    for line in lines:
        m = HEAD.match(line)
        assert m, line
        assert int(m["line"]) >= 1, line
        if m["col"] is None:
            assert ".j2:" in line or "<builtin>" in line, (
                f"only template problems may omit the column: {line}"
            )
        else:
            assert int(m["col"]) >= 1, line


def assert_refused(project: Path, result: Result, expected: list[str], was: Before, code: int = 1) -> None:
    """The build failed cleanly: exact problems, exit ``code``, nothing lost or left behind."""
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    got = heads(result.stderr)
    assert got == expected, result.stderr
    assert_located([g for g in got if " error: " in g or " warning: " in g])
    assert result.exit_code == code, result.output
    assert snapshot(project / "build") == was.site, "the previous build/ changed"
    assert listing(project) == was.files, f"files appeared or vanished: {listing(project) ^ was.files}"
