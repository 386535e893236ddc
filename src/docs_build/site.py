"""Site-wide facts derived from all models: badges, the catalog grouped by task, URLs."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import yaml

from .model import KNOWN_FLAGS, Model
from .templates import BUILTIN_DIR, code
from .templates import escaped_text as _md


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
X = TypeVar("X")


#: Models per memoised chunk of a site-wide file: after one edit the chunk holding the edited
#: model is made again, every other chunk is one lookup.
PART_CHUNK = 25


class PartMemo:
    """What site-wide files derive from the models, kept between rebuilds by ``serve``.

    A process that stays up keeps the same :class:`Model` object for a descriptor whose bytes
    did not change. The catalog entries, index lines, ``llms.txt`` lines and search-index
    entries of a run of :data:`PART_CHUNK` models are therefore kept under the identities of
    those models, so one edit among 10 000 makes one chunk of each again instead of 10 000
    parts (looking up each model alone was still a tenth of an edit's work). A chunk's entry
    holds its models, so no id in its key is reused while it lives. :meth:`trim` after each
    rebuild drops the chunks it did not ask for. A model added, removed or moved shifts the
    chunks after it in its group, which are then made again. Whoever owns the memo drops it
    whenever anything besides the models changes (templates, config, build date).
    """

    def __init__(self) -> None:
        self._now: dict[tuple[str, tuple[int, ...]], tuple[list[Model], Any]] = {}
        self._next: dict[tuple[str, tuple[int, ...]], tuple[list[Model], Any]] = {}

    def chunk(self, kind: str, models: list[Model], make: Callable[[], T]) -> T:
        """The ``kind`` part of the run of ``models``, made by ``make`` unless the last rebuild
        made it for the very same model objects."""
        key = (kind, tuple(map(id, models)))
        found = self._now.get(key)
        if found is None:
            found = (models, make())
        self._next[key] = found
        value: T = found[1]
        return value

    def trim(self) -> None:
        """End of a rebuild: keep only the parts it used."""
        self._now, self._next = self._next, {}


def by_chunks(
    memo: PartMemo | None, kind: str, items: list[X], models: list[Model], make: Callable[[list[X]], T]
) -> Iterator[T]:
    """``make`` of each run of :data:`PART_CHUNK` items in order (``models[i]`` is the model of
    ``items[i]``); with ``memo``, runs of unchanged models come from the last rebuild."""
    size = PART_CHUNK
    for at in range(0, len(items), size):
        part = items[at : at + size]
        if memo is None:
            yield make(part)
        else:
            yield memo.chunk(kind, models[at : at + size], functools.partial(make, part))


def entry_chunks(
    memo: PartMemo | None, kind: str, entries: list[Entry], make: Callable[[list[Entry]], T]
) -> Iterator[T]:
    """:func:`by_chunks` of catalog entries, each keyed by its model."""
    return by_chunks(memo, kind, entries, [entry.model for entry in entries], make)


def entry_markdown(entry: Entry) -> str:
    """One model of the catalog index as a Markdown list item: title link, badges, description.

    This is what ``index.md.j2`` prints through ``catalog_entries``; it is written here rather
    than as a loop in the template because the loop over 10 000 entries was the largest part
    of the work after one edit in ``serve`` and ``build --watch`` (40 ms in Jinja, against
    a few for this plus the memo). Every value is escaped as the template's ``{{ }}`` would.
    """
    badges = "".join(f" [{_md(b.label)}]{{.badge .badge-{_md(b.kind)}}}" for b in entry.badges)
    title, description = _md(entry.model.title), _md(entry.model.description)
    return f"- [{title}]({code(entry.url)}){badges}\\\n  {description}\n"


def build_catalog(
    models: list[Model], today: dt.date, task_labels: dict[str, str], memo: PartMemo | None = None
) -> Catalog:
    """Group models by task; ``sorted`` is stable, so equal weights keep file-name order.

    With ``memo`` an unchanged model keeps its :class:`Entry` object from the last rebuild.
    """
    by_task: dict[str, list[Model]] = {}
    for m in models:
        by_task.setdefault(task_labels.get(m.task_type, m.task_name), []).append(m)

    def _entries(models: list[Model]) -> list[Entry]:
        return [Entry(m, model_url(m), badges(m, today)) for m in models]

    groups: list[Group] = []
    for name in sorted(by_task, key=str.casefold):
        members = sorted(by_task[name], key=lambda m: -m.weight)
        entries = [e for part in by_chunks(memo, "entry", members, members, _entries) for e in part]
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
