"""Shared fixtures: small projects written into tmp_path, and the CLI run as a user runs it."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from docs_build.cli import cli

PROJECTS = Path(__file__).parent / "projects"

#: A complete, valid descriptor in the real catalog's shape; tests vary it with .format().
DESCRIPTOR = """\
model:
  id: "00000000-0000-4000-8000-000000000001"
  source: 1
  name: "@cf/acme/{slug}"
  description: "{description}"
  task:
    id: "c329a1f9-323d-4e91-b2aa-582dd4188d34"
    name: "{task_name}"
    description: "Models that write text."
  tags: []
  properties:
{properties}
task_type: "{task_type}"
model_display_name: "{slug}"
layout: "model"
weight: {weight}
title: "{slug}"
"""


def descriptor(
    slug: str = "tiny-chat",
    *,
    description: str = "A small test model.",
    task_name: str = "Text Generation",
    task_type: str = "text-generation",
    properties: Mapping[str, str] | None = None,
    weight: int = 0,
) -> str:
    """YAML text of a valid descriptor; ``properties`` maps id → value (quoted as strings)."""
    props = properties if properties is not None else {"beta": "true"}
    lines = "".join(f'    - property_id: "{k}"\n      value: "{v}"\n' for k, v in props.items())
    return DESCRIPTOR.format(
        slug=slug,
        description=description,
        task_name=task_name,
        task_type=task_type,
        properties=lines or "    []\n",
        weight=weight,
    ).replace("  properties:\n    []\n", "  properties: []\n")


MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write a project: ``models`` maps file name → YAML text, ``templates`` name → text."""

    def make(
        models: Mapping[str, str] | None = None,
        templates: Mapping[str, str] | None = None,
        name: str = "proj",
        config: str | None = None,
    ) -> Path:
        root = tmp_path / name
        (root / "models").mkdir(parents=True)
        for file, text in (models if models is not None else {"tiny-chat.yaml": descriptor()}).items():
            (root / "models" / file).write_text(text, encoding="utf-8")
        for file, text in (templates or {}).items():
            path = root / "templates" / file
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if config is not None:
            (root / "docs-build.toml").write_text(config, encoding="utf-8")
        return root

    return make


RunCli = Callable[..., Result]


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Invoke ``docs-build -C project ARGS`` in-process; stdout and stderr kept apart."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01, for stable pages

    def run(project: Path, *args: str, env: Mapping[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(
            cli, ["-C", os.fspath(project), *args], env=dict(env or {}), catch_exceptions=False
        )

    return run


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, to prove a directory was left untouched."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
