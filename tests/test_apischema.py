"""apischema: JSON Schema → parameter rows, variants, types, ranges and example bodies."""

from __future__ import annotations

from typing import Any

import pytest

from docs_build.apischema import api_doc, document, example_input, range_label, type_label, variant_title

CHAT: dict[str, Any] = {
    "type": "object",
    "oneOf": [
        {
            "title": "Prompt",
            "properties": {
                "prompt": {"type": "string", "minLength": 1, "maxLength": 4096, "description": "Text."},
                "raw": {"type": "boolean", "default": False},
                "temperature": {"type": "number", "minimum": 0, "maximum": 5},
            },
            "required": ["prompt"],
        },
        {
            "properties": {
                "messages": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"role": {"type": "string"}, "content": {"type": "string"}},
                        "required": ["role"],
                    },
                }
            },
            "required": ["messages"],
        },
    ],
}


def _rows(schema: dict[str, Any], variant: int = 0) -> dict[str, Any]:
    return {r.name: r for r in document(schema).variants[variant].rows}


def test_one_of_at_the_top_gives_one_variant_per_alternative() -> None:
    doc = document(CHAT)
    assert doc.alternatives
    assert [v.title for v in doc.variants] == ["Prompt", "Using messages"]
    assert [r.name for r in doc.variants[0].rows] == ["prompt", "raw", "temperature"]


def test_row_facts_name_type_default_range_description_required() -> None:
    rows = _rows(CHAT)
    assert rows["prompt"].type == "string"
    assert rows["prompt"].range == "length 1\u20134096"
    assert rows["prompt"].description == "Text."
    assert rows["prompt"].required and not rows["raw"].required
    assert rows["raw"].default == "false"
    assert rows["temperature"].range == "0\u20135"
    assert rows["temperature"].default == ""


def test_nested_array_items_are_flattened_with_paths() -> None:
    rows = _rows(CHAT, 1)
    assert list(rows) == ["messages", "messages[].role", "messages[].content"]
    assert rows["messages"].type == "array of object"
    assert rows["messages[].role"].required and not rows["messages[].content"].required
    assert rows["messages[].role"].depth == 1


def test_property_level_one_of_is_shown_as_alternatives() -> None:
    schema = {
        "type": "object",
        "properties": {
            "text": {
                "oneOf": [
                    {"type": "string", "minLength": 1},
                    {"type": "array", "items": {"type": "string"}, "maxItems": 100},
                ]
            }
        },
    }
    row = _rows(schema)["text"]
    assert row.type == "string or array of string"
    assert row.range == "string: length \u2265 1; array of string: \u2264 100 items"


def test_additional_properties_and_objects_nest() -> None:
    schema = {
        "type": "object",
        "properties": {
            "box": {"type": "object", "properties": {"xmin": {"type": "number"}}},
            "map": {"type": "object", "additionalProperties": {"type": "object", "properties": {"t": {}}}},
        },
    }
    assert list(_rows(schema)) == ["box", "box.xmin", "map", "map.*", "map.*.t"]
    assert _rows(schema)["map.*.t"].type == "any"


def test_array_of_objects_output_documents_the_items() -> None:
    schema = {
        "type": "array",
        "contentType": "application/json",
        "items": {"type": "object", "properties": {"label": {"type": "string"}, "score": {"type": "number"}}},
    }
    variant = document(schema).variants[0]
    assert variant.summary == "array of object (application/json)"
    assert [r.name for r in variant.rows] == ["label", "score"]


def test_binary_output_has_a_summary_and_no_rows() -> None:
    doc = document({"type": "string", "contentType": "image/png", "format": "binary"})
    assert not doc.alternatives
    assert doc.variants[0].summary == "binary string (image/png)"
    assert doc.variants[0].rows == ()


@pytest.mark.parametrize(
    ("schema", "title"),
    [
        ({"title": " Chat "}, "Chat"),
        ({"required": ["image", "prompt"]}, "Using image and prompt"),
        ({"contentType": "text/event-stream"}, "text/event-stream"),
        ({"type": "string", "format": "binary"}, "Binary data"),
        ({}, "Option 3"),
    ],
)
def test_variant_titles(schema: dict[str, Any], title: str) -> None:
    assert variant_title(schema, 3) == title


@pytest.mark.parametrize(
    ("schema", "label"),
    [
        ({"type": ["string", "null"]}, "string or null"),
        ({"enum": ["a", "b"]}, "enum"),
        ({"properties": {}}, "object"),
        ({}, "any"),
        ({"type": "array"}, "array"),
        (
            {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
            "array of array of number",
        ),
    ],
)
def test_type_labels(schema: dict[str, Any], label: str) -> None:
    assert type_label(schema) == label


@pytest.mark.parametrize(
    ("schema", "label"),
    [
        ({"minimum": 1}, "\u2265 1"),
        ({"maximum": 9999999999}, "\u2264 9999999999"),
        ({"exclusiveMinimum": 0}, "> 0"),
        ({"minItems": 1, "maxItems": 4}, "1\u20134 items"),
        ({"enum": ["text", "image_url"]}, "one of text, image_url"),
        ({"pattern": "^data:"}, "pattern ^data:"),
        ({"minimum": True}, ""),  # a boolean is not a bound
        ({"minimum": 0.5, "maximum": 2}, "0.5\u20132"),
    ],
)
def test_range_labels(schema: dict[str, Any], label: str) -> None:
    assert range_label(schema) == label


def test_example_input_uses_required_fields_of_the_first_object_variant() -> None:
    assert example_input(CHAT) == {"prompt": "\u2026"}
    schema = {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "k": {"type": "integer", "default": 3},
            "flags": {"type": "array", "items": {"type": "boolean"}},
            "mode": {"enum": ["fast", "slow"]},
            "opt": {"type": "string"},
        },
        "required": ["query", "k", "flags", "mode"],
    }
    assert example_input(schema) == {"query": "\u2026", "k": 3, "flags": [False], "mode": "fast"}
    assert example_input({"type": "string", "format": "binary"}) is None
    assert example_input(None) is None


def test_identical_schemas_are_documented_once() -> None:
    first = document({"type": "object", "properties": {"a": {"type": "string"}}})
    again = document({"type": "object", "properties": {"a": {"type": "string"}}})
    assert first is again
    assert '"a"' in first.raw


def test_api_doc_is_none_without_schemas() -> None:
    assert api_doc(None, None) is None
    doc = api_doc({"type": "object"}, None)
    assert doc is not None and doc.input is not None and doc.output is None


def test_deep_nesting_stops() -> None:
    schema: dict[str, Any] = {"type": "string"}
    for i in range(20):
        schema = {"type": "object", "properties": {f"l{i}": schema}}
    rows = document(schema).variants[0].rows
    assert 0 < len(rows) < 20


@pytest.mark.parametrize("required", [7, [[1]], "prompt", None])
def test_malformed_required_is_ignored_not_a_crash(required: object) -> None:
    from docs_build.apischema import example_input, required_names

    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": required}
    assert required_names(schema) == []
    example_input({"type": "object", "oneOf": [schema]})
    example_input(schema)
