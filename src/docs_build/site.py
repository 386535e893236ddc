"""Site-wide facts derived from all models: badges, the catalog grouped by task, URLs."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from .model import KNOWN_FLAGS, Model
from .templates import BUILTIN_DIR


@dataclass(frozen=True)
class Badge:
    """A label shown next to a model; ``kind`` is a fixed CSS-safe word."""

    label: str
    kind: str


@dataclass(frozen=True)
class Entry:
    """A model as listed in the catalog."""

    model: Model
    url: str
    badges: list[Badge]


@dataclass(frozen=True)
class Group:
    """One task heading of the catalog."""

    name: str
    task_type: str
    description: str
    models: list[Entry]


@dataclass(frozen=True)
class Catalog:
    """All models, grouped by task name (ascending), weight descending within a task."""

    groups: list[Group]
    models: list[Model]


def model_url(model: Model) -> str:
    """Site-relative URL of a model's page directory."""
    return f"models/{model.slug}/"


def deprecation(model: Model, today: dt.date) -> Badge | None:
    """Deprecated / Planned deprecation from ``planned_deprecation_date`` vs the build date."""
    raw = model.prop("planned_deprecation_date")
    if not raw:
        return None
    try:
        when = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None
    if when <= today:
        return Badge("Deprecated", "deprecated")
    return Badge("Planned deprecation", "planned-deprecation")


def badges(model: Model, today: dt.date) -> list[Badge]:
    """Badges in a fixed order, so pages and the catalog agree."""
    found: list[Badge] = []
    if model.flags["beta"]:
        found.append(Badge("Beta", "beta"))
    if model.flags["lora"]:
        found.append(Badge("LoRA", "lora"))
    if model.flags["function_calling"]:
        found.append(Badge("Function calling", "function-calling"))
    dep = deprecation(model, today)
    if dep is not None:
        found.append(dep)
    return found


T = TypeVar("T")


class PartMemo:
    """What site-wide files derive from each model, kept between rebuilds by ``serve``.

    A process that stays up keeps the same :class:`Model` object for a descriptor whose bytes
    did not change, so a model's catalog entry, its ``llms.txt`` line and its search-index
    entry can be looked up by the model's identity instead of being made again for all 10 000
    models after one edit. Entries are keyed by ``id`` and hold the model itself, so an id is
    never reused while its entry lives. :meth:`trim` after each rebuild drops what the rebuild
    did not ask for (edited and deleted models). Whoever owns the memo drops it whenever
    anything besides the models changes (templates, config, build date).
    """

    def __init__(self) -> None:
        self._now: dict[tuple[str, int], tuple[Model, Any]] = {}
        self._next: dict[tuple[str, int], tuple[Model, Any]] = {}

    def get(self, kind: str, model: Model, make: Callable[[], T]) -> T:
        """The ``kind`` part of ``model``, made by ``make`` unless an earlier rebuild made it."""
        key = (kind, id(model))
        found = self._now.get(key)
        value: T = found[1] if found is not None and found[0] is model else make()
        self._next[key] = (model, value)
        return value

    def trim(self) -> None:
        """End of a rebuild: keep only the parts it used."""
        self._now, self._next = self._next, {}


def build_catalog(
    models: list[Model], today: dt.date, task_labels: dict[str, str], memo: PartMemo | None = None
) -> Catalog:
    """Group models by task; ``sorted`` is stable, so equal weights keep file-name order.

    With ``memo`` an unchanged model keeps its :class:`Entry` object from the last rebuild, so
    the parts of site-wide files derived from an entry can be memoised too.
    """
    by_task: dict[str, list[Model]] = {}
    for m in models:
        by_task.setdefault(task_labels.get(m.task_type, m.task_name), []).append(m)

    def entry(m: Model) -> Entry:
        return Entry(m, model_url(m), badges(m, today))

    groups: list[Group] = []
    for name in sorted(by_task, key=str.casefold):
        members = sorted(by_task[name], key=lambda m: -m.weight)
        entries = (
            [entry(m) for m in members]
            if memo is None
            else [memo.get("entry", m, functools.partial(entry, m)) for m in members]
        )
        groups.append(
            Group(
                name=name,
                task_type=members[0].task_type,
                description=members[0].task_description,
                models=entries,
            )
        )
    return Catalog(groups, models)


@dataclass(frozen=True)
class Link:
    """A header link from a property such as ``info``; ``url`` is empty unless http(s)."""

    label: str
    url: str
    text: str


@dataclass(frozen=True)
class Fact:
    """A property shown in the model page's property table: label and value as written."""

    id: str
    label: str
    value: str


_HTTP = re.compile(r"https?://[^\s/?#]+\S*\Z", re.IGNORECASE)


@functools.cache
def property_labels() -> dict[str, dict[str, str]]:
    """The built-in label map (``builtin/properties.yml``): ``links`` and ``limits``, id → label."""
    data = yaml.safe_load((BUILTIN_DIR / "properties.yml").read_text(encoding="utf-8"))
    groups = ("links", "limits")
    return {group: {str(k): str(v) for k, v in (data.get(group) or {}).items()} for group in groups}


def links(model: Model) -> list[Link]:
    """Links from the link properties (``info``, ``terms``), in descriptor order.

    Only http and https URLs become links; anything else (``javascript:``, a bare word) is kept
    as text, so a descriptor cannot make a page link somewhere a reader would not expect.
    """
    labels = property_labels()["links"]
    found: list[Link] = []
    for p in model.properties:
        if p.id in labels and p.value.strip():
            value = p.value.strip()
            found.append(Link(labels[p.id], value if _HTTP.match(value) else "", value))
    return found


def facts(model: Model) -> list[Fact]:
    """Every property that is neither a flag (shown as a badge) nor a link, labelled.

    Ids without a label are shown under their raw id: an unknown property is information the
    author wanted published, so it is never dropped.
    """
    labels = property_labels()
    found: list[Fact] = []
    for p in model.properties:
        if p.id in KNOWN_FLAGS or p.id in labels["links"]:
            continue
        found.append(Fact(p.id, labels["limits"].get(p.id, p.id), p.value))
    return found


#: Sections of a text-generation page; other tasks have no Prompting section.
TEXT_GENERATION_SECTIONS = ("code-examples", "prompting", "responses", "api-schema")
DEFAULT_SECTIONS = ("code-examples", "responses", "api-schema")


def page_sections(model: Model) -> list[str]:
    """Section names of a model page in order; each is a template looked up per model and task."""
    if model.task_type == "text-generation":
        return list(TEXT_GENERATION_SECTIONS)
    return list(DEFAULT_SECTIONS)
