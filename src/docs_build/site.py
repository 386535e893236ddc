"""Site-wide facts derived from all models: badges, the catalog grouped by task, URLs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .model import Model


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


def build_catalog(models: list[Model], today: dt.date, task_labels: dict[str, str]) -> Catalog:
    """Group models by task; ``sorted`` is stable, so equal weights keep file-name order."""
    by_task: dict[str, list[Model]] = {}
    for m in models:
        by_task.setdefault(task_labels.get(m.task_type, m.task_name), []).append(m)
    groups: list[Group] = []
    for name in sorted(by_task, key=str.casefold):
        members = sorted(by_task[name], key=lambda m: -m.weight)
        groups.append(
            Group(
                name=name,
                task_type=members[0].task_type,
                description=members[0].task_description,
                models=[Entry(m, model_url(m), badges(m, today)) for m in members],
            )
        )
    return Catalog(groups, models)
