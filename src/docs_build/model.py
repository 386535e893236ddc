"""Stage 2: validate a loaded descriptor into a typed :class:`Model` and derive its flags once.

Templates test plain booleans (``model.flags.lora``) instead of re-implementing Hugo's
``range``/``eq`` loop, so the rule lives here and only here:

    flag X is on when some property has ``property_id: X`` and value ``"true"``.

Hugo compares with ``eq .value "true"``, so a YAML boolean ``true`` (or ``"True"``, ``yes``) is
silently *off* there. We take such values as the author meant them and warn, so ``check
--strict`` stops them in review; see :func:`flag_value`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import Location, Problem
from .load import Source
from .schema import validate

_TRUE_WORDS = frozenset({"true", "yes", "on", "y"})
_FALSE_WORDS = frozenset({"false", "no", "off", "n"})
#: Property ids that are flags in the built-in templates; others are only flags if "true".
KNOWN_FLAGS = frozenset({"beta", "lora", "function_calling"})
#: Property ids whose value the header shows as a link (only http and https ever become links).
LINK_PROPERTIES = frozenset({"info", "terms"})
_RESERVED_SLUGS = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


class Flags(dict[str, bool]):
    """Property flags; a flag nobody set is simply off (so templates need no ``is defined``)."""

    def __missing__(self, key: str) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class Property:
    """One ``{property_id, value}`` entry, value normalised to the text the author wrote."""

    id: str
    value: str
    location: Location


@dataclass(slots=True)
class Model:
    """A validated descriptor: everything templates may use, with flags derived."""

    source: str
    name: str
    description: str
    task_name: str
    task_description: str
    task_type: str
    slug: str
    title: str
    weight: int
    tags: list[str]
    properties: list[Property]
    flags: Flags
    model_id: str = ""
    input_schema: dict[str, Any] | None = None
    output_schema: dict[str, Any] | None = None
    location: Location = field(default_factory=lambda: Location(""))

    def prop(self, property_id: str, default: str = "") -> str:
        """The first value given for ``property_id`` (Hugo's templates also took the first)."""
        for p in self.properties:
            if p.id == property_id:
                return p.value
        return default

    @property
    def short_name(self) -> str:
        """The last segment of the model id (``llama-2-7b-chat-int8``)."""
        return self.name.rsplit("/", 1)[-1]


def kebab(text: str) -> str:
    """``Text Generation`` → ``text-generation`` (the catalog's task_type convention)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def flag_value(raw: object, plain: str | None) -> tuple[str, bool, bool]:
    """Normalise a property value: (text, is_true, canonical).

    ``canonical`` is False for values that look boolean but are not the exact strings
    ``"true"``/``"false"``: YAML booleans, ``"True"``, ``yes``, ``on``. Those are taken as the
    author meant them and reported as warnings.
    """
    if isinstance(raw, bool):
        text = "true" if raw else "false"
        return text, raw, False
    if isinstance(raw, str):
        word = raw.strip().lower()
        if raw in ("true", "false"):
            return raw, raw == "true", True
        if word in _TRUE_WORDS:
            return "true", True, False
        if word in _FALSE_WORDS:
            return "false", False, False
        return raw, False, True
    # Numbers: keep what was written (1.10 stays "1.10", not "1.1").
    return (plain if plain is not None else str(raw)), False, True


def build_model(src: Source) -> tuple[Model | None, list[Problem]]:
    """Validate ``src`` and build its Model; None when there are errors (all of them reported)."""
    if not isinstance(src.data, dict):
        from .schema import type_name

        got = "a list" if isinstance(src.data, list) else f"a single {type_name(src.data)} value"
        return None, [src.problem((), f"a descriptor must be a mapping with a 'model:' block, not {got}")]
    problems = validate(src)
    if any(p.is_error for p in problems):
        return None, problems + _property_warnings(src)
    data: dict[str, Any] = src.data
    m: dict[str, Any] = data["model"]
    properties, flags, prop_problems = _properties(src, m.get("properties") or [])
    problems += prop_problems
    schemas: dict[str, dict[str, Any] | None] = {}
    for part in ("input", "output"):
        schemas[part], schema_problems = _json_schema(src, data.get("json_schema") or {}, part)
        problems += schema_problems
    name: str = m["name"]
    slug = data.get("model_display_name") or name.rsplit("/", 1)[-1]
    problems += _check_slug(src, slug)
    task_name: str = m["task"]["name"].strip()
    if any(p.is_error for p in problems):
        return None, problems
    model = Model(
        source=src.display,
        name=name,
        description=" ".join(m["description"].split()),
        task_name=task_name,
        task_description=" ".join((m["task"].get("description") or "").split()),
        task_type=data.get("task_type") or kebab(task_name),
        slug=slug,
        title=(data.get("title") or slug).strip(),
        weight=int(data.get("weight", 0)),  # the schema allows 2.0 (an integer in JSON Schema)
        tags=list(m.get("tags") or []),
        properties=properties,
        flags=flags,
        model_id=m.get("id", ""),
        input_schema=schemas["input"],
        output_schema=schemas["output"],
        location=src.location(()),
    )
    return model, problems


def _properties(src: Source, items: list[dict[str, Any]]) -> tuple[list[Property], Flags, list[Problem]]:
    props: list[Property] = []
    flags = Flags()
    problems: list[Problem] = []
    first_seen: dict[str, Location] = {}
    for i, item in enumerate(items):
        pid: str = item["property_id"].strip()
        vpath = ("model", "properties", i, "value")
        text, is_true, canonical = flag_value(item["value"], src.plain_text.get(vpath))
        loc = src.location(vpath)
        if not canonical:
            shown = _shown(item["value"], src.plain_text.get(vpath))
            hugo = ' (Hugo only accepts the string "true" and would read it as off)' if is_true else ""
            problems.append(
                src.problem(
                    vpath,
                    f"property '{pid}' has non-canonical value {shown}; taken as \"{text}\"{hugo}; "
                    f'write value: "{text}"',
                    warning=True,
                )
            )
        elif pid in KNOWN_FLAGS and text not in ("true", "false"):
            problems.append(
                src.problem(
                    vpath,
                    f'flag \'{pid}\' must be "true" or "false", not {json.dumps(text)}, so it is off; '
                    f'write value: "true" to turn it on, or value: "false"',
                    warning=True,
                )
            )
        elif pid in LINK_PROPERTIES and not text.strip().lower().startswith(("https://", "http://")):
            problems.append(
                src.problem(
                    vpath,
                    f"property '{pid}' should be an http(s) URL; it is shown as plain text, not a link; "
                    'write value: "https://..."',
                    warning=True,
                )
            )
        if pid in first_seen:
            problems.append(
                src.problem(
                    ("model", "properties", i, "property_id"),
                    f"duplicate property '{pid}' (first at line {first_seen[pid].line}); "
                    'the flag is on if any entry says "true"; keep one entry',
                    warning=True,
                )
            )
        else:
            first_seen[pid] = loc
        flags[pid] = flags[pid] or is_true
        props.append(Property(pid, text, loc))
    return props, flags, problems


def _property_warnings(src: Source) -> list[Problem]:
    """Flag-value warnings for a descriptor that fails the schema elsewhere.

    An author fixing a misspelt key should not need a second round to learn that ``value: yes``
    is wrong too; so when the property list itself is well formed, its warnings come along.
    """
    m = src.data.get("model")
    items = m.get("properties") if isinstance(m, dict) else None
    if not isinstance(items, list) or not all(_well_formed(item) for item in items):
        return []
    return _properties(src, items)[2]


def _well_formed(item: object) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("property_id"), str)
        and isinstance(item.get("value"), str | bool | int | float)
    )


def _shown(raw: object, plain: str | None) -> str:
    if isinstance(raw, bool):
        return f"{plain or raw} (a YAML boolean)"
    return json.dumps(raw)


def _json_schema(
    src: Source, block: dict[str, Any], part: str
) -> tuple[dict[str, Any] | None, list[Problem]]:
    raw = block.get(part)
    if raw is None:
        return None, []
    if isinstance(raw, dict):
        return raw, []
    try:
        parsed = json.loads(raw, parse_constant=_not_json, parse_float=_finite_float)
    except _NotJson as exc:
        return None, [
            src.problem(
                ("json_schema", part),
                f"json_schema.{part} holds {exc}, which JSON does not allow; write a finite number",
            )
        ]
    except RecursionError:
        return None, [
            src.problem(("json_schema", part), f"json_schema.{part} nests too deeply; simplify the schema")
        ]
    except json.JSONDecodeError as exc:
        return None, [
            src.problem(
                ("json_schema", part),
                f"json_schema.{part} is not valid JSON: {exc.msg} "
                f"at line {exc.lineno} column {exc.colno} of the string; fix the JSON, "
                f"or write the schema as YAML (a mapping below '{part}:')",
            )
        ]
    except ValueError:  # an integer of more than 4300 digits
        return None, [
            src.problem(
                ("json_schema", part), f"json_schema.{part} holds a number too long to read; shorten it"
            )
        ]
    if not isinstance(parsed, dict):
        got = {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(parsed), "number")
        return None, [
            src.problem(
                ("json_schema", part),
                f"json_schema.{part} must hold a JSON object ({{...}}), not a JSON {got}",
            )
        ]
    return parsed, []


class _NotJson(ValueError):
    """A value Python's json module accepts but JSON (and browsers, editors) do not."""


def _not_json(name: str) -> float:
    raise _NotJson(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise _NotJson(f"{text} (too large for a number)")
    return value


def _check_slug(src: Source, slug: str) -> list[Problem]:
    where = ("model_display_name",) if "model_display_name" in src.data else ("model", "name")
    if slug.lower().split(".")[0] in _RESERVED_SLUGS:
        return [src.problem(where, f"page slug '{slug}' is a reserved file name on Windows; choose another")]
    from .schema import SLUG_PATTERN

    if not re.match(SLUG_PATTERN, slug) or slug.endswith("."):
        return [
            src.problem(
                where,
                f"page slug '{slug}' is not usable as a directory name; set model_display_name to "
                "letters, digits, '.', '_' or '-' that does not end in '.'",
            )
        ]
    return []
