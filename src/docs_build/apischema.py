"""JSON Schema → readable parameter tables for the ``## API Schema`` section.

A model's ``json_schema`` is written for machines; readers want a table of parameters with
their type, default, allowed range and whether they are required. This module turns a schema
into plain data (:class:`SchemaDoc`); templates decide how to print it, and they escape every
cell, because schema text comes from descriptors.

The functions are pure and cached by the schema's JSON text: in a real catalog most models of a
task share one schema, so a 10 000-page site documents a few dozen distinct schemas, not 10 000.
Only the vocabulary the catalogs use is interpreted (types, ``oneOf``/``anyOf``, ``items``,
``properties``, ``additionalProperties``, ranges, lengths, ``enum``, ``pattern``, ``default``);
anything else stays visible in the raw schema printed below the tables.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Between the ends of a range ("0\u20135"), as typeset documentation writes it.
EN_DASH = "\u2013"
#: Nesting deeper than this is summarised by its parent row (the raw schema shows the rest).
MAX_DEPTH = 6


@dataclass(frozen=True)
class Row:
    """One parameter: ``name`` is a path such as ``messages[].content``."""

    name: str
    type: str
    default: str
    range: str
    description: str
    required: bool
    depth: int


@dataclass(frozen=True)
class Variant:
    """One accepted shape of the payload; a schema with ``oneOf`` has several."""

    title: str
    summary: str
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class SchemaDoc:
    """A whole input or output schema: its variants and the pretty-printed original."""

    variants: tuple[Variant, ...]
    raw: str
    #: A minimal request body built from the required fields (see :func:`example_input`).
    example: dict[str, Any] | None = None

    @property
    def alternatives(self) -> bool:
        """True when the payload may take one of several shapes (``oneOf`` at the top)."""
        return len(self.variants) > 1


@dataclass(frozen=True)
class ApiDoc:
    """Input and output documentation of one model (either may be missing)."""

    input: SchemaDoc | None
    output: SchemaDoc | None


def api_doc(input_schema: Mapping[str, Any] | None, output_schema: Mapping[str, Any] | None) -> ApiDoc | None:
    """Both schemas documented, or None when the model has neither."""
    if input_schema is None and output_schema is None:
        return None
    return ApiDoc(
        document(input_schema) if input_schema is not None else None,
        document(output_schema) if output_schema is not None else None,
    )


def document(schema: Mapping[str, Any]) -> SchemaDoc:
    """Document ``schema``; identical schemas (by JSON text) are documented once per process."""
    from .templates import to_json  # the same text, memoised: the indenting encoder is slow

    return _document_text(str(to_json(schema)))


@functools.lru_cache(maxsize=1024)
def _document_text(raw: str) -> SchemaDoc:
    schema: dict[str, Any] = json.loads(raw)
    alternatives = _alternatives(schema)
    example = example_input(schema)
    if not alternatives:
        return SchemaDoc((_variant(schema, ""),), raw, example)
    base = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
    variants = []
    for i, alt in enumerate(alternatives, 1):
        merged = {**base, **alt} if isinstance(alt, dict) else base
        variants.append(_variant(merged, variant_title(merged, i)))
    return SchemaDoc(tuple(variants), raw, example)


def _alternatives(schema: Mapping[str, Any]) -> list[Any]:
    alts = schema.get("oneOf", schema.get("anyOf"))
    return list(alts) if isinstance(alts, list) and alts else []


def variant_title(schema: Mapping[str, Any], number: int) -> str:
    """A name for one alternative: its ``title``, its required fields, or its content type."""
    if isinstance(schema.get("title"), str) and schema["title"].strip():
        return str(schema["title"]).strip()
    required = required_names(schema)
    if required:
        return "Using " + " and ".join(required)
    if isinstance(schema.get("contentType"), str):
        return str(schema["contentType"])
    if schema.get("type") == "string" and schema.get("format") == "binary":
        return "Binary data"
    return f"Option {number}"


def _variant(schema: Mapping[str, Any], title: str) -> Variant:
    summary = type_label(schema)
    if isinstance(schema.get("contentType"), str):
        summary += f" ({schema['contentType']})"
    container: Mapping[str, Any] = schema
    items = schema.get("items")
    if "properties" not in schema and isinstance(items, dict) and "properties" in items:
        container = items  # an array of objects: document the objects' fields
    return Variant(title, summary, tuple(rows(container)))


def rows(schema: Mapping[str, Any], prefix: str = "", depth: int = 0) -> list[Row]:
    """Rows for the properties of an object schema, nested objects and arrays flattened."""
    props = schema.get("properties")
    if not isinstance(props, dict) or depth > MAX_DEPTH:
        return []
    required = set(required_names(schema))
    out: list[Row] = []
    for name, sub in props.items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        out.append(_row(path, sub, name in required, depth))
        out += _children(sub, path, depth + 1)
    return out


def _children(schema: Mapping[str, Any], path: str, depth: int) -> list[Row]:
    """Rows nested below one property: object fields, array items, map values, alternatives."""
    out: list[Row] = []
    out += rows(schema, f"{path}.", depth)
    items = schema.get("items")
    if isinstance(items, dict):
        out += rows(items, f"{path}[].", depth)
        for alt in _alternatives(items):
            if isinstance(alt, dict):
                out += rows(alt, f"{path}[].", depth)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and depth <= MAX_DEPTH:
        out.append(_row(f"{path}.*", extra, False, depth))
        out += _children(extra, f"{path}.*", depth + 1)
    for alt in _alternatives(schema):
        if isinstance(alt, dict):
            out += _children(alt, path, depth)
    return out


def required_names(schema: Mapping[str, Any]) -> list[str]:
    """The ``required`` names of a schema; a malformed ``required`` (not a list) counts as none."""
    value = schema.get("required")
    return [r for r in value if isinstance(r, str)] if isinstance(value, list) else []


def _row(path: str, schema: Mapping[str, Any], required: bool, depth: int) -> Row:
    description = schema.get("description")
    if not isinstance(description, str):
        title = schema.get("title")
        description = title if isinstance(title, str) else ""
    default = _value(schema["default"]) if "default" in schema else ""
    return Row(path, type_label(schema), default, range_label(schema), description.strip(), required, depth)


def type_label(schema: Mapping[str, Any]) -> str:
    """``string``, ``array of number``, ``string or array of string``, ``binary string``."""
    alts = _alternatives(schema)
    if alts and "type" not in schema:
        labels = [type_label(a) if isinstance(a, dict) else "any" for a in alts]
        return " or ".join(dict.fromkeys(labels))
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        items = schema.get("items")
        return f"array of {type_label(items)}" if isinstance(items, dict) and items else "array"
    if kind == "string" and schema.get("format") == "binary":
        return "binary string"
    if isinstance(kind, str):
        return kind
    if "enum" in schema:
        return "enum"
    if "properties" in schema:
        return "object"
    return "any"


def range_label(schema: Mapping[str, Any]) -> str:
    """Allowed values in a few words: ``0-5``, ``length 1-131072``, ``≤ 100 items``, ``one of …``."""
    alts = _alternatives(schema)
    if alts and "type" not in schema:
        parts = []
        for alt in alts:
            if isinstance(alt, dict) and (label := range_label(alt)):
                parts.append(f"{type_label(alt)}: {label}")
        return "; ".join(parts)
    parts = [
        _bounds(schema, "minimum", "maximum", "", ""),
        _exclusive(schema),
        _bounds(schema, "minLength", "maxLength", "length ", ""),
        _bounds(schema, "minItems", "maxItems", "", " items"),
    ]
    if isinstance(schema.get("enum"), list):
        parts.append("one of " + ", ".join(_value(v) for v in schema["enum"]))
    if isinstance(schema.get("pattern"), str):
        parts.append(f"pattern {schema['pattern']}")
    return ", ".join(p for p in parts if p)


def _bounds(schema: Mapping[str, Any], low: str, high: str, before: str, after: str) -> str:
    lo, hi = schema.get(low), schema.get(high)
    lo = lo if _is_number(lo) else None
    hi = hi if _is_number(hi) else None
    if lo is not None and hi is not None:
        return f"{before}{_value(lo)}{EN_DASH}{_value(hi)}{after}"
    if lo is not None:
        return f"{before}≥ {_value(lo)}{after}"
    if hi is not None:
        return f"{before}≤ {_value(hi)}{after}"
    return ""


def _exclusive(schema: Mapping[str, Any]) -> str:
    parts = []
    if _is_number(schema.get("exclusiveMinimum")):
        parts.append(f"> {_value(schema['exclusiveMinimum'])}")
    if _is_number(schema.get("exclusiveMaximum")):
        parts.append(f"< {_value(schema['exclusiveMaximum'])}")
    return ", ".join(parts)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _value(value: object) -> str:
    """A schema value as readers expect it: strings bare, everything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def example_input(schema: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A minimal request body for a task without its own examples: the required fields of the
    first object variant, each with a placeholder of its type. None when there is nothing to show.
    """
    if schema is None:
        return None
    candidates: Sequence[Any] = _alternatives(schema) or [schema]
    for alt in candidates:
        if not isinstance(alt, dict):
            continue
        merged = {**{k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}, **alt}
        props = merged.get("properties")
        if isinstance(props, dict):
            required = [r for r in required_names(merged) if r in props]
            return {name: _placeholder(props[name]) for name in required}
    return None


def _placeholder(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return None
    if "default" in schema:
        return schema["default"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    alts = _alternatives(schema)
    if alts and "type" not in schema:
        return _placeholder(alts[0])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) and kind else kind
    simple: dict[str, Any] = {"string": "…", "integer": 0, "number": 0, "boolean": False, "null": None}
    if kind == "array":
        return [_placeholder(schema.get("items"))] if isinstance(schema.get("items"), dict) else []
    if kind == "object" or "properties" in schema:
        found = schema.get("properties")
        props: dict[str, Any] = found if isinstance(found, dict) else {}
        required = [r for r in required_names(schema) if r in props]
        return {name: _placeholder(props[name]) for name in required}
    return simple.get(kind) if isinstance(kind, str) else None
