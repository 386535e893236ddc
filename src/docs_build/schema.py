"""The descriptor's JSON Schema, and the small interpreter that enforces it with locations.

One source of truth: ``docs-build schema`` prints :data:`DESCRIPTOR_SCHEMA`, editors validate
YAML against it through ``yaml-language-server``, and :func:`validate` walks the same mapping to
report problems at ``file:line:col``. Only the keywords used below are interpreted; a test runs
the ``jsonschema`` package over the fixtures to prove both agree.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from .errors import Problem
from .load import PathKey, Source

SCHEMA_ID = "https://docs-build.dev/schema/descriptor.json"

_STR: dict[str, Any] = {"type": "string"}
_ANY_SCALAR: dict[str, Any] = {"type": ["string", "number", "boolean"]}

#: End of string. Editors match patterns as ECMA-262 regexes, where ``$`` is the very end; in
#: Python (docs-build, the ``jsonschema`` package) ``$`` also matches before a final newline, so
#: ``name: |`` (a block scalar, which ends in "\n") would slip through. ``(?!\n)`` means the same
#: in both engines.
_END = r"$(?!\n)"
#: Model names are API identifiers; the pattern also keeps them safe inside code, paths and URLs.
NAME_PATTERN = r"^@?[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*" + _END
SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}" + _END
TASK_TYPE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*" + _END
#: Some text besides spaces (``minLength`` alone would let "  " through in every validator).
NONBLANK_PATTERN = r"\S"
_NONBLANK: dict[str, Any] = {"type": "string", "pattern": NONBLANK_PATTERN}

DESCRIPTOR_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "docs-build model descriptor",
    "description": "One model of the catalog, in the shape of the Workers AI Hugo page params.",
    "type": "object",
    "additionalProperties": False,
    "required": ["model"],
    "properties": {
        "model": {
            "type": "object",
            "description": "The model as the API describes it.",
            "additionalProperties": False,
            "required": ["name", "description", "task"],
            "properties": {
                "id": {"type": "string", "description": "API UUID of the model."},
                "source": {"type": "integer", "description": "1 for @cf models, 2 for @hf."},
                "name": {
                    "type": "string",
                    "pattern": NAME_PATTERN,
                    "description": "Model id used in API calls, e.g. @cf/meta/llama-2-7b-chat-int8.",
                },
                "description": {"type": "string", "description": "Plain text; never Markdown."},
                "task": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {
                        "id": _STR,
                        "name": _NONBLANK,
                        "description": _STR,
                    },
                },
                "tags": {"type": "array", "items": _STR},
                "properties": {
                    "type": "array",
                    "description": 'Open list; flag X is on when a property X has value "true".',
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["property_id", "value"],
                        "properties": {
                            "property_id": _NONBLANK,
                            "value": _ANY_SCALAR,
                        },
                    },
                },
            },
        },
        "task_type": {
            "type": "string",
            "pattern": TASK_TYPE_PATTERN,
            "description": "Task in kebab case; defaults to the task name in kebab case.",
        },
        "model_display_name": {
            "type": "string",
            "pattern": SLUG_PATTERN,
            "description": "Page slug; defaults to the last segment of model.name.",
        },
        "layout": {"type": "string", "enum": ["model"]},
        "weight": {"type": "integer", "description": "Catalog order, highest first."},
        "title": _NONBLANK,
        "json_schema": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "input": {"type": ["string", "object"]},
                "output": {"type": ["string", "object"]},
            },
        },
    },
}

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def schema_json() -> str:
    """The schema as printed by ``docs-build schema`` and stored in ``schema/``."""
    return json.dumps(DESCRIPTOR_SCHEMA, indent=2, ensure_ascii=False) + "\n"


def type_name(value: Any) -> str:
    """A YAML-ish name for a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _is_type(value: Any, types: str | list[str]) -> bool:
    for t in [types] if isinstance(types, str) else types:
        if isinstance(value, bool) and t in ("integer", "number"):
            continue
        if isinstance(value, _PY_TYPES[t]):
            return True
        if t == "integer" and isinstance(value, float) and value.is_integer():
            return True  # JSON Schema: 2.0 is an integer
    return False


def validate(src: Source) -> list[Problem]:
    """Every schema violation in ``src.data``, located; empty when the descriptor conforms."""
    problems: list[Problem] = []
    _check(src, src.data, DESCRIPTOR_SCHEMA, (), problems)
    return problems


def _field_name(path: PathKey) -> str:
    return ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in path).replace(".[", "[") or "document"


def _check(src: Source, value: Any, schema: dict[str, Any], path: PathKey, out: list[Problem]) -> None:
    expected = schema.get("type")
    if expected is not None and not _is_type(value, expected):
        out.append(src.problem(path, _type_message(src, value, expected, path)))
        return
    if isinstance(value, dict):
        _check_mapping(src, value, schema, path, out)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _check(src, item, schema["items"], (*path, i), out)
    elif isinstance(value, str):
        _check_string(src, value, schema, path, out)


def _check_mapping(
    src: Source, value: dict[str, Any], schema: dict[str, Any], path: PathKey, out: list[Problem]
) -> None:
    props: dict[str, Any] = schema.get("properties", {})
    for key in schema.get("required", []):
        if key not in value:
            out.append(src.problem(path, _missing_message(key, path)))
    for key, item in value.items():
        if key in props:
            _check(src, item, props[key], (*path, key), out)
        elif schema.get("additionalProperties") is False:
            out.append(src.problem((*path, key), _unknown_key_message(key, props, path), key=True))


def _check_string(src: Source, value: str, schema: dict[str, Any], path: PathKey, out: list[Problem]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        out.append(
            src.problem(path, f"'{_field_name(path)}' must be at least {schema['minLength']} characters long")
        )
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(f'"{v}"' for v in schema["enum"])
        fix = f'; write {path[-1]}: "{schema["enum"][0]}"' if len(schema["enum"]) == 1 else ""
        out.append(
            src.problem(path, f"'{_field_name(path)}' must be one of {allowed}, not {json.dumps(value)}{fix}")
        )
    if "pattern" in schema and not re.search(schema["pattern"], value):
        name = _field_name(path)
        if schema["pattern"] == NONBLANK_PATTERN:
            out.append(src.problem(path, f"'{name}' must not be empty; write some text between the quotes"))
        else:
            help_ = _PATTERN_HELP.get(schema["pattern"], "has an invalid form")
            out.append(src.problem(path, f"'{name}' value {value!r} {help_}"))


_PATTERN_HELP = {
    NAME_PATTERN: "is not a model id: use letters, digits, '.', '_', '-' in '/'-separated parts, "
    "e.g. @cf/meta/llama-2-7b-chat-int8",
    SLUG_PATTERN: "is not a usable page slug: start with a letter or digit, then letters, digits, "
    "'.', '_' or '-' (at most 100 characters)",
    TASK_TYPE_PATTERN: "is not kebab case: write lower-case words joined by '-', e.g. text-generation",
}


def _type_message(src: Source, value: Any, expected: str | list[str], path: PathKey) -> str:
    wanted = " or ".join(
        {
            "object": "a mapping",
            "array": "a list",
            "string": "a string",
            "integer": "an integer",
            "number": "a number",
            "boolean": "a boolean",
        }[t]
        for t in ([expected] if isinstance(expected, str) else expected)
    )
    name = _field_name(path)
    got = type_name(value)
    key = path[-1] if path and isinstance(path[-1], str) else None
    types = [expected] if isinstance(expected, str) else expected
    if value is None:
        msg = f"'{name}' must be {wanted}, but it is empty"
        return msg + (f"; write a value after '{key}:'" if key else "; remove the empty '-' item")
    msg = f"'{name}' must be {wanted}, not {_A.get(got, got)}"
    plain = src.plain_text.get(path)
    if plain is not None and "string" in types:
        msg += f' (YAML reads unquoted {plain} as {got}); quote it: {name.split(".")[-1]}: "{plain}"'
    elif key and isinstance(value, str) and "integer" in types and re.fullmatch(r"\s*-?\d+\s*", value):
        msg += f"; remove the quotes: {key}: {value.strip()}"
    elif key and types == ["object"]:
        msg += f"; write its keys on the lines below '{key}:', indented"
        msg += " (e.g. name: Text Generation)" if key == "task" else ""
    elif key and types == ["array"]:
        msg += f'; write a list: {key}: ["..."], or one "- item" per line below it'
    return msg


_A = {"list": "a list", "mapping": "a mapping", "string": "a string", "integer": "an integer"}
_A |= {"number": "a number", "boolean": "a boolean"}

#: What a missing or misshapen key looks like when written correctly, for messages.
_EXAMPLES = {
    "model": "model: with name, description and task indented below it",
    "name": 'name: "@cf/acme/my-model"',
    "task.name": 'name: "Text Generation"',
    "description": 'description: "One or two plain sentences."',
    "task": "task: with name: Text Generation indented below it",
    "property_id": 'property_id: "beta"',
    "value": 'value: "true"',
}


def _missing_message(key: str, path: PathKey) -> str:
    where = f"'{_field_name(path)}'" if path else "the descriptor"
    example = _EXAMPLES.get(f"{path[-1]}.{key}" if path else key) or _EXAMPLES.get(key)
    return f"missing required key '{key}' in {where}" + (f"; add {example}" if example else "")


def _unknown_key_message(key: str, known: dict[str, Any], path: PathKey) -> str:
    where = f"in '{_field_name(path)}'" if path else "at the top level"
    msg = f"unknown key '{key}' {where}"
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    if close:
        return f"{msg}; did you mean '{close[0]}'?"
    return f"{msg}; known keys: {', '.join(sorted(known))}"
