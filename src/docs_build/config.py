"""Settings and their defaults; CLI flags override the config file, which overrides defaults.

The config file is optional: ``docs-build.toml`` in the project root, or ``[tool.docs-build]``
in ``pyproject.toml``. Unknown keys are errors (with a suggestion), like unknown descriptor keys.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import Location, Problem, UsageError, line_of

CONFIG_FILE = "docs-build.toml"

#: key → (type, help); the single list of settings the file may hold.
SETTINGS: dict[str, tuple[type, str]] = {
    "title": (str, "site title shown in the header and <title>"),
    "base_url": (str, "absolute URL the site is served from (sitemap, canonical links)"),
    "out_dir": (str, "output directory, relative to the project (default: build)"),
    "models_dir": (str, "descriptor directory, relative to the project (default: models)"),
    "templates_dir": (str, "template overrides, relative to the project (default: templates)"),
    "strict": (bool, "treat warnings as errors"),
    "task_labels": (dict, "display names for task types, e.g. {text-generation = 'LLMs'}"),
}


@dataclass(frozen=True)
class Config:
    """Everything a build needs to know besides the descriptors and templates themselves."""

    root: Path
    title: str = "Model catalog"
    base_url: str = ""
    out_dir: Path | None = None
    models_dir: Path | None = None
    templates_dir: Path | None = None
    strict: bool = False
    task_labels: dict[str, str] = field(default_factory=dict)
    build_date: dt.date = field(default_factory=lambda: build_date_from_env())
    config_file: Path | None = None

    @property
    def models(self) -> Path:
        return self.models_dir or self.root / "models"

    @property
    def templates(self) -> Path:
        return self.templates_dir or self.root / "templates"

    @property
    def out(self) -> Path:
        return self.out_dir or self.root / "build"

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with the given (non-None) values replaced; how CLI flags win."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def source_date_epoch() -> int | None:
    """``SOURCE_DATE_EPOCH`` as an int, None when unset; a bad value is a usage error."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}") from None


def build_date_from_env() -> dt.date:
    """The date shown in pages: SOURCE_DATE_EPOCH (reproducible builds) or today, in UTC."""
    epoch = source_date_epoch()
    if epoch is not None:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).date()
    return dt.datetime.now(tz=dt.UTC).date()


def load_config(root: Path) -> tuple[Config, list[Problem]]:
    """Read the project's config file if there is one; problems are located in that file.

    ``docs-build.toml`` wins over ``[tool.docs-build]`` in ``pyproject.toml`` (only one is read).
    """
    root = root.absolute()
    path = root / CONFIG_FILE
    if path.is_file():
        table, problems = _read_toml(path)
        if problems:
            return Config(root), problems
        return _from_table(root, table, path, "")
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Config(root), []
    data, problems = _read_toml(pyproject)
    if problems:
        # Someone else's file: only our business when it (seems to) hold our table.
        mentions = "docs-build" in pyproject.read_text(encoding="utf-8", errors="replace")
        return Config(root), problems if mentions else []
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "docs-build" not in tool:
        return Config(root), []
    table = tool["docs-build"]
    if not isinstance(table, dict):
        line, col = _key_position(pyproject, "docs-build", "tool")
        where = Location(pyproject.name, line, col)
        return Config(root), [Problem(where, "'tool.docs-build' must be a table: write [tool.docs-build]")]
    return _from_table(root, table, pyproject, "tool.docs-build")


def _read_toml(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except UnicodeDecodeError:
        return {}, [Problem(Location(path.name, 1, 1), "file is not valid UTF-8; save it as UTF-8")]
    except tomllib.TOMLDecodeError as exc:
        # tomllib puts "(at line L, column C)" at the end of its message; move it to the front.
        m = re.search(r"\(at line (\d+), column (\d+)\)$", str(exc))
        line, col = (int(m[1]), int(m[2])) if m else (1, 1)
        what = str(exc)[: m.start()].strip() if m else str(exc)
        return {}, [Problem(Location(path.name, line, col), f"invalid TOML: {what}")]


#: What each setting's type means to someone editing the file.
_KIND_HELP = {
    str: ("a quoted string", 'title = "Model catalog"'),
    bool: ("true or false (unquoted)", "strict = true"),
    dict: ('a table of task_type = "Label" pairs', '[task_labels] then text-generation = "LLMs"'),
}


def _from_table(root: Path, table: dict[str, Any], path: Path, prefix: str) -> tuple[Config, list[Problem]]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}

    def problem(key: str, message: str, within: str = prefix) -> None:
        line, col = _key_position(path, key, within)
        if (line, col) == (1, 1) and within != prefix:  # e.g. inside an inline table
            line, col = _key_position(path, within.rsplit(".", 1)[-1], prefix)
        problems.append(Problem(Location(path.name, line, col), message, source_line=_line_text(path, line)))

    for key, value in table.items():
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, list(SETTINGS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known settings: {', '.join(SETTINGS)}"
            problem(key, f"unknown setting '{key}'{hint}")
            continue
        kind, _help = SETTINGS[key]
        if not isinstance(value, kind):
            what, example = _KIND_HELP[kind]
            problem(key, f"setting '{key}' must be {what}, not {_toml_type(value)}; e.g. {example}")
            continue
        values[key] = value
    if "base_url" in values and values["base_url"] and not re.match(r"https?://[^/]", values["base_url"]):
        problem("base_url", f"base_url must start with https:// or http://, not {values['base_url']!r}")
        del values["base_url"]
    for key in ("out_dir", "models_dir", "templates_dir"):
        if key in values:
            values[key] = root / values[key]
    labels: dict[str, Any] = values.get("task_labels", {})
    for task_type, label in labels.items():
        if not isinstance(label, str) or not label.strip():
            within = f"{prefix}.task_labels".lstrip(".")
            problem(task_type, f"task label for '{task_type}' must be a non-empty quoted string", within)
    if "task_labels" in values:
        values["task_labels"] = {str(k): str(v) for k, v in labels.items()}
    return Config(root, config_file=path, **values), problems


def _line_text(path: Path, line: int) -> str | None:
    try:
        return line_of(path.read_text(encoding="utf-8"), line)
    except (OSError, UnicodeDecodeError):
        return None


def _toml_type(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array"}
    return names.get(type(value), "a table" if isinstance(value, dict) else "a date or time")


def _table_name(header: str) -> str:
    """``[tool."docs-build"]`` → ``tool.docs-build`` (comments and quotes dropped)."""
    inner = header.strip().lstrip("[").split("]", 1)[0]
    return re.sub(r"[\s\"']", "", inner)


def _key_position(path: Path, key: str, table: str) -> tuple[int, int]:
    """1-based line and column of ``key`` inside ``[table]`` ("" is the top level), or 1:1.

    tomllib keeps no positions, so this scans the lines: enough to point an editor at the
    right place for the small, hand-written files config lives in. A sub-table written as its
    own header (``[task_labels]``) is found too.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1, 1
    current = ""
    full = f"{table}.{key}" if table else key
    for number, raw in enumerate(lines, 1):
        stripped = raw.strip()
        if stripped.startswith("["):
            current = _table_name(stripped)
            if current == full:
                return number, raw.index("[") + 1
            continue
        if current != table:
            continue
        m = re.match(r"\s*([\"']?)([^\"'=\s.]+)\1\s*[=.]", raw)
        if m and m[2] == key:
            return number, m.start(1) + 1
    return 1, 1
