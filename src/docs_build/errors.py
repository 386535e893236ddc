"""Problems and their one formatter.

Every stage reports what is wrong as a :class:`Problem` carrying a :class:`Location`, so the
terminal, ``check --format json|github`` and the dev server's overlay all print the same facts.
Stages collect problems instead of raising on the first one: a pull request with three broken
descriptors should hear about all three in one run.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


class Severity(enum.StrEnum):
    """How bad a problem is; ``--strict`` promotes warnings to errors."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True, slots=True)
class Location:
    """A place in a source file, 1-based like compilers print it (0 means unknown)."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, with where it is and what to do about it."""

    location: Location
    message: str
    severity: Severity = Severity.ERROR
    source_line: str | None = field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def promoted(self) -> Problem:
        """The same problem as an error (``--strict``)."""
        return Problem(self.location, self.message, Severity.ERROR, self.source_line)

    def format(self) -> str:
        """``path:line:col: severity: message`` plus the offending line and a caret."""
        head = visible(f"{self.location}: {self.severity.value}: {self.message}")
        if self.source_line is None or not self.location.line:
            return head
        text = visible(self.source_line.rstrip("\r\n").expandtabs(1))
        caret = " " * max(self.location.col - 1, 0) + "^"
        return f"{head}\n    {text}\n    {caret}"

    def as_dict(self) -> dict[str, object]:
        """The stable JSON shape used by ``check --format json``."""
        return {
            "path": self.location.path,
            "line": self.location.line,
            "col": self.location.col,
            "severity": self.severity.value,
            "message": self.message,
        }


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN``: a key or value from a descriptor
    must not be able to send terminal escape sequences to a CI log or a developer's terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def sort_key(problem: Problem) -> tuple[str, int, int, str]:
    """Order problems by file and position so output is stable between runs."""
    loc = problem.location
    return (loc.path, loc.line, loc.col, problem.message)


def apply_strict(problems: Iterable[Problem], strict: bool) -> list[Problem]:
    """Promote warnings when strict, and sort for deterministic output."""
    out = [p.promoted() if strict else p for p in problems]
    return sorted(out, key=sort_key)


def display_path(path: Path, root: Path) -> str:
    """A path as the user typed it: relative to the project when inside it, POSIX slashes."""
    text, top = str(path), str(root)
    if os.sep == "/" and text.startswith(top) and text[len(top) : len(top) + 1] == "/" and top != "/":
        return text[len(top) + 1 :]  # what relative_to gives, without its work
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def line_of(text: str, line: int) -> str | None:
    """The 1-based ``line`` of ``text``, for showing under a message."""
    if line < 1:
        return None
    lines = text.splitlines()
    return lines[line - 1] if line <= len(lines) else None


class BuildFailed(Exception):
    """Raised by the pipeline when errors were found; carries every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{sum(p.is_error for p in problems)} error(s)")
        self.problems = problems


class UsageError(Exception):
    """A problem with how docs-build was invoked (exit code 2), not with the content."""


class WorkerError(RuntimeError):
    """A build worker process died (a signal, the OOM killer); the build cannot be completed."""
