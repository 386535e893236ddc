"""Stage 2: validation into a Model and Hugo's flag rule, derived once."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import descriptor
from docs_build.errors import Problem
from docs_build.load import load_bytes
from docs_build.model import Model, build_model, flag_value, kebab


def build(text: str) -> tuple[Model | None, list[Problem]]:
    src, problems = load_bytes(text.encode(), Path("m.yaml"), "models/m.yaml")
    assert problems == [], problems
    return build_model(src)


def test_valid_descriptor_builds_a_model() -> None:
    model, problems = build(descriptor("tiny-chat", properties={"beta": "true", "lora": "true"}, weight=7))
    assert problems == []
    assert model is not None
    assert (model.name, model.slug, model.title, model.weight) == (
        "@cf/acme/tiny-chat",
        "tiny-chat",
        "tiny-chat",
        7,
    )
    assert model.flags["lora"] and model.flags["beta"]
    assert model.flags["function_calling"] is False  # unset flags are off, never undefined
    assert model.task_type == "text-generation"


@pytest.mark.parametrize(
    ("props", "lora"),
    [
        ({"lora": "true"}, True),
        ({"lora": "false"}, False),
        ({}, False),
        ({"beta": "true"}, False),
        ({"LoRA": "true"}, False),  # ids are case-sensitive, as in Hugo's eq
        ({"lora": "sometimes"}, False),
    ],
)
def test_hugo_flag_rule(props: dict[str, str], lora: bool) -> None:
    model, _ = build(descriptor(properties=props))
    assert model is not None and model.flags["lora"] is lora


def test_duplicate_property_ids_warn_and_any_true_wins() -> None:
    text = descriptor(properties={"lora": "false"}).replace(
        '      value: "false"\n', '      value: "false"\n    - property_id: "lora"\n      value: "true"\n'
    )
    model, problems = build(text)
    assert model is not None and model.flags["lora"] is True
    [warning] = problems
    assert warning.severity.value == "warning"
    assert "duplicate property 'lora'" in warning.message
    assert (warning.location.line, warning.location.col) == (14, 20)


@pytest.mark.parametrize(
    ("raw", "written", "expected"),
    [
        ("true", "true", True),  # YAML boolean
        ("yes", "yes", True),  # YAML 1.1 boolean
        ('"True"', "True", True),
        ('"on"', "on", True),
        ("false", "false", False),
        ('"No"', "No", False),
    ],
)
def test_non_canonical_flag_values_are_taken_as_meant_and_warned(
    raw: str, written: str, expected: bool
) -> None:
    text = descriptor(properties={"lora": "PLACEHOLDER"}).replace('"PLACEHOLDER"', raw)
    model, problems = build(text)
    assert model is not None and model.flags["lora"] is expected
    [warning] = problems
    assert warning.severity.value == "warning"
    assert written in warning.message
    assert f'write value: "{"true" if expected else "false"}"' in warning.message
    assert warning.location.line == 13


def test_numbers_keep_their_written_form() -> None:
    text = descriptor(properties={"version": "X"}).replace('"X"', "1.10")
    model, problems = build(text)
    assert problems == [] and model is not None
    assert model.prop("version") == "1.10"


def test_slug_defaults_to_last_segment_of_the_name() -> None:
    text = (
        descriptor("tiny-chat")
        .replace('model_display_name: "tiny-chat"\n', "")
        .replace('title: "tiny-chat"\n', "")
    )
    model, _ = build(text)
    assert model is not None and model.slug == "tiny-chat" and model.title == "tiny-chat"


def test_json_schema_strings_are_parsed_and_bad_json_located() -> None:
    good = descriptor() + 'json_schema:\n  input: "{\\"type\\": \\"object\\"}"\n  output: {type: object}\n'
    model, problems = build(good)
    assert problems == [] and model is not None
    assert model.input_schema == {"type": "object"} and model.output_schema == {"type": "object"}
    bad = descriptor() + 'json_schema:\n  input: "{oops"\n'
    model, problems = build(bad)
    assert model is None
    assert str(problems[0].location) == "models/m.yaml:21:10"
    assert "not valid JSON" in problems[0].message


def test_all_errors_are_collected() -> None:
    text = "model:\n  name: 'bad name!'\n  task: {name: X}\n  extra: 1\nweight: heavy\n"
    model, problems = build(text)
    assert model is None
    messages = [p.message for p in problems]
    assert any("missing required key 'description'" in m for m in messages)
    assert any("unknown key 'extra'" in m for m in messages)
    assert any("'weight' must be an integer" in m for m in messages)
    assert any("is not a model id" in m for m in messages)


def test_unknown_key_suggests_the_right_one() -> None:
    model, problems = build(descriptor().replace("task_type:", "task_typ:"))
    assert model is None
    assert "did you mean 'task_type'?" in problems[0].message
    assert problems[0].location.col == 1


def test_yaml_11_surprise_in_a_string_field_explains_the_quote() -> None:
    model, problems = build(descriptor().replace('description: "A small test model."', "description: yes"))
    assert model is None
    assert 'quote it: description: "yes"' in problems[0].message


def test_flag_value_and_kebab_helpers() -> None:
    assert flag_value("true", None) == ("true", True, True)
    assert flag_value(True, "true") == ("true", True, False)
    assert flag_value(2048, "2048") == ("2048", False, True)
    assert kebab("Text-to-Image") == "text-to-image"
    assert kebab("Automatic Speech Recognition") == "automatic-speech-recognition"


def test_description_whitespace_is_trimmed() -> None:
    model, _ = build(descriptor(description="  spaced \\n out  "))
    assert model is not None and model.description == "spaced out"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x", "example.com"])
def test_link_properties_must_be_http_urls(url: str) -> None:
    model, problems = build(descriptor(properties={"info": url}))
    assert model is not None and model.prop("info") == url
    [warning] = problems
    assert warning.severity.value == "warning" and "should be an http(s) URL" in warning.message


def test_http_links_are_fine() -> None:
    _, problems = build(descriptor(properties={"info": "https://example.com", "terms": "http://x.org/t"}))
    assert problems == []


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_json_schema_numbers_must_be_json(number: str) -> None:
    bad = descriptor() + f'json_schema:\n  input: "{{\\"maximum\\": {number}}}"\n'
    model, problems = build(bad)
    assert model is None
    assert "which JSON does not allow" in problems[0].message and problems[0].location.line == 21
