"""Settings and their defaults; CLI flags override the config file, which overrides defaults.

The config file is optional: ``docs-build.toml`` in the project root, or ``[tool.docs-build]``
in ``pyproject.toml``. Unknown keys are errors (with a suggestion), like unknown descriptor keys.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .errors import Location, Problem, UsageError

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
    """Read the project's config file if there is one; problems are located in that file."""
    root = root.absolute()
    path = root / CONFIG_FILE
    table: dict[str, Any] = {}
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            return Config(root), [Problem(Location(CONFIG_FILE, 1, 1), f"invalid TOML: {exc}")]
    else:
        pyproject = root / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError):
                data = {}
            tool = data.get("tool", {})
            if "docs-build" in tool:
                table, path = tool["docs-build"], pyproject
    if not table:
        return Config(root, config_file=None), []
    return _from_table(root, table, path)


def _from_table(root: Path, table: dict[str, Any], path: Path) -> tuple[Config, list[Problem]]:
    problems: list[Problem] = []
    display = path.name
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in SETTINGS:
            close = difflib.get_close_matches(key, list(SETTINGS), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(SETTINGS)}"
            problems.append(
                Problem(Location(display, _line_of_key(path, key), 1), f"unknown setting '{key}'{hint}")
            )
            continue
        kind, _help = SETTINGS[key]
        if not isinstance(value, kind):
            problems.append(
                Problem(
                    Location(display, _line_of_key(path, key), 1),
                    f"setting '{key}' must be a {kind.__name__}",
                )
            )
            continue
        values[key] = value
    for key in ("out_dir", "models_dir", "templates_dir"):
        if key in values:
            values[key] = root / values[key]
    if "task_labels" in values:
        values["task_labels"] = {str(k): str(v) for k, v in values["task_labels"].items()}
    return Config(root, config_file=path, **values), problems


def _line_of_key(path: Path, key: str) -> int:
    try:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip().startswith((key, f'"{key}"')):
                return number
    except OSError:
        pass
    return 1
