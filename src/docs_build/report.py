"""Reports for people and for machines: ``check --format text|json|github`` and ``list``.

The pipeline hands over a list of :class:`Problem` (already sorted, already promoted by
``--strict``); this module only decides how those facts are printed. Every format carries the
same facts, so a problem a reviewer sees inline on a pull request is the one ``check`` prints in
the terminal. The JSON shapes are a published interface (``docs/authoring.md``): fields may be
added, never renamed or removed, without bumping :data:`REPORT_VERSION`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Problem, Severity
from .model import Model
from .site import badges, build_catalog

#: Version of the JSON shapes printed by ``check --format json`` and ``list --format json``.
REPORT_VERSION = 1
CHECK_FORMATS = ("text", "json", "github")
LIST_FORMATS = ("text", "json", "markdown")


def counts(problems: Iterable[Problem]) -> dict[str, int]:
    """``{"errors": n, "warnings": n, "files": n}``: the numbers every summary shows."""
    found = list(problems)
    errors = sum(p.is_error for p in found)
    return {
        "errors": errors,
        "warnings": len(found) - errors,
        "files": len({p.location.path for p in found}),
    }


# -- check ---------------------------------------------------------------------------------------


def text_report(problems: Iterable[Problem]) -> str:
    """Compiler-style lines with the offending source line and a caret, one problem per block."""
    return "".join(p.format() + "\n" for p in problems)


def json_report(
    problems: list[Problem],
    *,
    models: int,
    strict: bool,
    catalog: list[dict[str, Any]] | None = None,
) -> str:
    """The stable machine-readable report (``version`` 1); see docs/authoring.md."""
    report: dict[str, Any] = {
        "version": REPORT_VERSION,
        "ok": not any(p.is_error for p in problems),
        "strict": strict,
        "summary": counts(problems),
        "models": models,
        "problems": [p.as_dict() for p in problems],
    }
    if catalog is not None:
        report["catalog"] = catalog
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def escape_data(text: str) -> str:
    """Escape a workflow-command message: GitHub decodes ``%25``, ``%0D`` and ``%0A``."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value, where ``:`` and ``,`` are also separators."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_report(problems: Iterable[Problem], *, prefix: str = "") -> str:
    """One ``::error``/``::warning`` workflow command per problem, so it shows up on the diff.

    ``prefix`` is the project directory relative to the repository root (empty when the project
    is the repository), because GitHub matches ``file=`` against repository paths.
    """
    lines = []
    for p in problems:
        loc = p.location
        props = [f"file={escape_property(_join(prefix, loc.path))}"]
        if loc.line:
            props.append(f"line={loc.line}")
            if loc.col:
                props.append(f"col={loc.col}")
        command = "error" if p.severity is Severity.ERROR else "warning"
        lines.append(f"::{command} {','.join(props)}::{escape_data(p.message)}\n")
    return "".join(lines)


def _join(prefix: str, path: str) -> str:
    if not prefix or os.path.isabs(path):
        return path
    return f"{prefix}/{path}"


def github_prefix(root: Path, environ: Mapping[str, str]) -> str:
    """Where the project sits inside the checked-out repository, as a POSIX prefix.

    Actions runs steps in ``GITHUB_WORKSPACE`` (the repository root); outside Actions the
    current directory stands in for it. A project outside that directory gets no prefix.
    """
    base = Path(environ.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    try:
        rel = root.resolve().relative_to(base).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel


# -- list ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One model as ``list`` shows it."""

    task: str
    name: str
    slug: str
    file: str
    flags: tuple[str, ...]
    warnings: int
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "name": self.name,
            "slug": self.slug,
            "file": self.file,
            "flags": list(self.flags),
            "warnings": self.warnings,
            "errors": self.errors,
        }


def catalog_rows(
    models: list[Model], problems: list[Problem], today: dt.date, task_labels: dict[str, str]
) -> list[Row]:
    """Models in catalog order (task, then weight), each with its flags and problem counts."""
    per_file: dict[str, list[Problem]] = {}
    for p in problems:
        per_file.setdefault(p.location.path, []).append(p)
    rows = []
    for group in build_catalog(models, today, task_labels).groups:
        for entry in group.models:
            m = entry.model
            found = per_file.get(m.source, [])
            errors = sum(p.is_error for p in found)
            rows.append(
                Row(
                    task=group.name,
                    name=m.name,
                    slug=m.slug,
                    file=m.source,
                    flags=tuple(b.label for b in badges(m, today)),
                    warnings=len(found) - errors,
                    errors=errors,
                )
            )
    return rows


def _tasks(rows: list[Row]) -> dict[str, int]:
    tasks: dict[str, int] = {}
    for row in rows:
        tasks[row.task] = tasks.get(row.task, 0) + 1
    return tasks


def _unlisted(rows: list[Row], problems: list[Problem]) -> list[str]:
    """Files with errors that produced no model (a reviewer must not miss a broken descriptor)."""
    listed = {r.file for r in rows}
    return sorted({p.location.path for p in problems if p.is_error and p.location.path not in listed})


def list_text(rows: list[Row], problems: list[Problem]) -> str:
    """An aligned table, one model per line, then per-task counts and the problem totals."""
    header = ("TASK", "MODEL", "FLAGS", "WARNINGS")
    cells = [(r.task, r.name, ", ".join(r.flags) or "-", str(r.warnings)) for r in rows]
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(3)]
    lines = []
    for row in [header, *cells]:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths, strict=True)) + "  " + row[3])
    tasks = _tasks(rows)
    per_task = ", ".join(f"{name} {n}" for name, n in tasks.items())
    lines.append("")
    lines.append(
        f"{_plural(len(rows), 'model')} in {_plural(len(tasks), 'task')}" + (f": {per_task}" if tasks else "")
    )
    c = counts(problems)
    lines.append(f"{_plural(c['errors'], 'error')}, {_plural(c['warnings'], 'warning')}")
    unlisted = _unlisted(rows, problems)
    if unlisted:
        lines.append(f"not listed because of errors: {', '.join(unlisted)} (run docs-build check)")
    return "\n".join(lines) + "\n"


def list_markdown(rows: list[Row], problems: list[Problem]) -> str:
    """The same table as GitHub-flavoured Markdown, for ``$GITHUB_STEP_SUMMARY`` or a PR comment."""

    def cell(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

    lines = ["| Task | Model | Flags | Warnings |", "| --- | --- | --- | ---: |"]
    for r in rows:
        name = f"`{r.name}`"
        lines.append(f"| {cell(r.task)} | {cell(name)} | {cell(', '.join(r.flags))} | {r.warnings} |")
    c = counts(problems)
    lines.append("")
    lines.append(
        f"{_plural(len(rows), 'model')} in {_plural(len(_tasks(rows)), 'task')}; "
        f"{_plural(c['errors'], 'error')}, {_plural(c['warnings'], 'warning')}."
    )
    unlisted = _unlisted(rows, problems)
    if unlisted:
        lines.append("")
        lines.append("Not listed because of errors: " + ", ".join(f"`{cell(u)}`" for u in unlisted))
    return "\n".join(lines) + "\n"


def list_json(rows: list[Row], problems: list[Problem]) -> str:
    """``{"version", "models": [...], "tasks": {label: n}, "summary", "unlisted"}``; stable."""
    report = {
        "version": REPORT_VERSION,
        "models": [r.as_dict() for r in rows],
        "tasks": _tasks(rows),
        "summary": counts(problems),
        "unlisted": _unlisted(rows, problems),
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
