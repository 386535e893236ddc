"""Property-based tests over the loader and validator: any input ends in a Model or in located
problems (path set, line ≥ 1, col ≥ 1), never in an unexpected exception.

Inputs come from four directions: raw bytes, arbitrary text, YAML-shaped data dumped in
different styles, and small mutations of a valid descriptor (the realistic case: one wrong
keystroke). Example counts stay modest so the suite is quick on two cores
(``DOCS_BUILD_FUZZ_EXAMPLES=5000`` for a deeper local run); hypothesis keeps every failure it
finds in its database and replays it first next time.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docs_build.errors import Problem
from docs_build.load import load_bytes
from docs_build.model import Model, build_model
from docs_build.schema import SLUG_PATTERN

DISPLAY = "models/fuzz.yaml"
#: Examples per property; raise it for a deeper local run (DOCS_BUILD_FUZZ_EXAMPLES=5000).
EXAMPLES = int(os.environ.get("DOCS_BUILD_FUZZ_EXAMPLES", "150"))
FAST = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID = """\
model:
  id: "00000000-0000-4000-8000-000000000009"
  source: 1
  name: "@cf/acme/fuzz"
  description: "A model under test."
  task:
    name: "Text Generation"
    description: "Models that write text."
  tags: ["small"]
  properties:
    - property_id: "beta"
      value: "true"
    - property_id: "lora"
      value: "false"
task_type: "text-generation"
model_display_name: "fuzz"
weight: 0
title: "Fuzz model"
json_schema:
  input: '{"type": "object"}'
"""


def outcome(raw: bytes) -> tuple[Model | None, list[Problem]]:
    """Stages 1-2 exactly as the pipeline chains them, with the invariants checked."""
    src, problems = load_bytes(raw, Path(DISPLAY), DISPLAY)
    model = None
    if src.data is not None and not any(p.is_error for p in problems):
        model, more = build_model(src)
        problems = problems + more
    if model is None:
        assert any(p.is_error for p in problems), "no model and no error: the input vanished"
    else:
        assert not any(p.is_error for p in problems)
        assert re.match(SLUG_PATTERN, model.slug) and model.name and model.task_name
    for p in problems:
        assert p.location.path == DISPLAY
        assert p.location.line >= 1 and p.location.col >= 1, p.format()
        assert p.message and "\n" not in p.format().splitlines()[0]
    return model, problems


def test_the_valid_descriptor_is_valid() -> None:
    model, problems = outcome(VALID.encode())
    assert model is not None and problems == []


@FAST
@given(st.binary(max_size=2000))
def test_any_bytes(raw: bytes) -> None:
    outcome(raw)


@FAST
@given(st.text(max_size=1000))
def test_any_text(text: str) -> None:
    outcome(text.encode("utf-8", "surrogatepass"))


YAML_ALPHABET = st.sampled_from(
    [
        *":-?[]{},#&*!|>'\"%@` \t\n\r\\.0123456789abcyesnotrue~<",
        *("\u00e9", "\ufeff", "!!int ", "!!bool ", "!!float ", "!!null ", "!!timestamp ", "!!str "),
        *("<<: ", "*a ", "&a ", "9" * 5000),
    ]
)


@FAST
@given(st.lists(YAML_ALPHABET, max_size=300).map("".join))
def test_text_made_of_yaml_punctuation(text: str) -> None:
    outcome(text.encode("utf-8", "surrogatepass"))


KEYS = st.sampled_from(
    [
        *("model", "name", "description", "task", "properties", "property_id", "value", "tags", "id"),
        *("source", "task_type", "model_display_name", "layout", "weight", "title", "json_schema"),
        *("input", "output", "<<", "yes", "1", ""),
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["@cf/acme/x", "Text Generation", "true", "yes", "1.10", "2024-06-30", "con", ".."])
)
DATA = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=25,
)


@FAST
@given(DATA, st.sampled_from([None, True, False]), st.booleans())
def test_yaml_shaped_data(data: Any, flow: bool | None, canonical: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, canonical=canonical, allow_unicode=True)
    outcome(text.encode("utf-8", "surrogatepass"))


@FAST
@given(st.dictionaries(KEYS, DATA, max_size=4), st.sampled_from(["model", "task", "properties"]))
def test_valid_descriptor_with_hostile_parts(extra: dict[str, Any], where: str) -> None:
    data = yaml.safe_load(VALID)
    target = {"model": data, "task": data["model"], "properties": data["model"]["properties"][0]}[where]
    target.update(extra)
    outcome(yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass"))


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace", "dup-line", "drop-line", "indent"]),
        st.integers(min_value=0, max_value=len(VALID)),
        YAML_ALPHABET,
    ),
    min_size=1,
    max_size=4,
)


def mutate(text: str, edits: list[tuple[str, int, str]]) -> str:
    for kind, pos, char in edits:
        pos = min(pos, len(text))
        lines = text.split("\n")
        row = text.count("\n", 0, pos)
        if kind == "insert":
            text = text[:pos] + char + text[pos:]
        elif kind == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif kind == "replace":
            text = text[:pos] + char + text[pos + 1 :]
        elif kind == "dup-line":
            text = "\n".join(lines[: row + 1] + lines[row:])
        elif kind == "drop-line":
            text = "\n".join(lines[:row] + lines[row + 1 :])
        else:
            text = "\n".join([*lines[:row], " " + lines[row], *lines[row + 1 :]])
    return text


@settings(max_examples=2 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_one_wrong_keystroke(edits: list[tuple[str, int, str]]) -> None:
    outcome(mutate(VALID, edits).encode("utf-8"))


@FAST
@given(st.binary(max_size=64), st.sampled_from([b"\xef\xbb\xbf", b"", b"\xff\xfe", b"\x00"]))
def test_prefixed_valid_descriptor(noise: bytes, prefix: bytes) -> None:
    """Garbage before or after a valid descriptor (a bad merge, a binary paste)."""
    outcome(prefix + VALID.encode() + noise)
    outcome(noise + VALID.encode())


@settings(max_examples=max(EXAMPLES // 3, 20), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=200), st.text(min_size=1, max_size=80), st.text(max_size=80))
def test_any_text_in_fields_renders_as_text(description: str, title: str, task: str) -> None:
    """A valid model with arbitrary text renders without error and without live markup."""
    from docs_build.config import Config
    from docs_build.pipeline import SiteRenderer

    data = yaml.safe_load(VALID)
    data["model"]["description"], data["title"] = description, title
    data["model"]["task"]["description"] = task
    model, _ = outcome(yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass"))
    if model is None:
        return  # blank or non-printable text refused with a located problem: also fine
    renderer = SiteRenderer(Config(Path("/nonexistent-project")))
    baseline = live_markup(renderer.model_page(outcome(VALID.encode())[0])[1])  # type: ignore[arg-type]
    assert live_markup(renderer.model_page(model)[1]) <= baseline


def live_markup(html: str) -> Counter[str]:
    """Script elements and event-handler attributes in ``html``, counted."""
    from html.parser import HTMLParser

    found: Counter[str] = Counter()

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.update([tag] if tag in ("script", "iframe", "object", "embed", "img") else [])
            found.update(f"{tag} {name}" for name, _ in attrs if name.startswith("on"))

    Tags().feed(html)
    return found
