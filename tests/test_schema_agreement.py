"""One source of truth: the JSON Schema editors and other tools see is the one ``check`` enforces.

Every descriptor below is loaded with docs-build's own loader (YAML 1.1 scalars as docs-build
reads them: ``yes`` is a boolean, dates stay text) and the resulting data is judged twice: by the
``jsonschema`` package against :data:`DESCRIPTOR_SCHEMA`, and by docs-build's validator. The two
must agree on every fixture, every inline case and every generated mutation.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROJECTS, RunCli, descriptor
from docs_build.load import load_bytes
from docs_build.scaffold import SCAFFOLD_DIR, TASKS, skeleton
from docs_build.schema import DESCRIPTOR_SCHEMA, schema_json, validate

REPO = Path(__file__).parent.parent
VALIDATOR = jsonschema.Draft202012Validator(DESCRIPTOR_SCHEMA)


def both(text: str) -> tuple[bool, bool]:
    """(jsonschema says valid, docs-build says valid) for descriptor YAML ``text``."""
    src, problems = load_bytes(text.encode("utf-8"), Path("x.yaml"), "models/x.yaml")
    assert src.data is not None and not problems, f"not loadable, so not a schema case: {problems}"
    by_jsonschema = VALIDATOR.is_valid(src.data)
    by_docs_build = not any(p.is_error for p in validate(src))
    return by_jsonschema, by_docs_build


def test_the_schema_itself_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(DESCRIPTOR_SCHEMA)


def test_schema_file_in_repo_is_docs_build_schema_output(run_cli: RunCli, tmp_path: Path) -> None:
    printed = run_cli(tmp_path, "schema").stdout
    assert printed == schema_json()
    stored = (REPO / "schema/descriptor.schema.json").read_text(encoding="utf-8")
    assert stored == printed, "schema/descriptor.schema.json is stale: docs-build schema > it"


def _fixture_files() -> list[Path]:
    """Descriptors that parse (schema cases); load-level failures are not the schema's business."""
    found = sorted(PROJECTS.glob("*/models/*.yaml")) + sorted((REPO / "models").glob("*.yaml"))
    found += sorted((SCAFFOLD_DIR / "models").glob("*.yaml"))
    loadable = []
    for path in found:
        src, problems = load_bytes(path.read_bytes(), path, path.name)
        if src.data is not None and not problems:
            loadable.append(path)
    return loadable


FIXTURES = _fixture_files()


def test_fixtures_cover_valid_and_invalid_descriptors() -> None:
    verdicts = {both(p.read_text(encoding="utf-8"))[1] for p in FIXTURES}
    assert verdicts == {True, False}, "need at least one valid and one invalid fixture"


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_fixture_gets_one_verdict(path: Path) -> None:
    by_jsonschema, by_docs_build = both(path.read_text(encoding="utf-8"))
    assert by_jsonschema == by_docs_build


@pytest.mark.parametrize("task_type", sorted(TASKS))
@pytest.mark.parametrize("flags", [(False, False), (True, True)])
def test_new_skeletons_are_valid_for_both(task_type: str, flags: tuple[bool, bool]) -> None:
    text = skeleton(
        "@cf/acme/m",
        task_type,
        TASKS[task_type].name,
        lora=flags[0],
        beta=flags[1],
        description=None,
        header="",
    )
    assert both(text) == (True, True)


VALID = descriptor()


def _edit(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


#: (id, YAML text, valid?) — each case says what it probes.
CASES: list[tuple[str, str, bool]] = [
    ("complete", VALID, True),
    ("minimal", 'model: {name: "@cf/a/b", description: "d", task: {name: "T"}}\n', True),
    ("no-model", "title: x\n", False),
    ("empty-mapping", "{}\n", False),
    ("unknown-top-key", VALID + "titel: x\n", False),
    ("unknown-model-key", _edit("  tags: []", "  tag: []"), False),
    ("unknown-task-key", _edit("    name: ", "    label: x\n    name: "), False),
    ("unknown-property-key", _edit('      value: "true"', '      value: "true"\n      note: x'), False),
    ("missing-description", _edit('  description: "A small test model."\n', ""), False),
    ("missing-task-name", 'model: {name: "@cf/a/b", description: "d", task: {id: "x"}}\n', False),
    ("missing-property-value", _edit('      value: "true"\n', ""), False),
    ("name-pattern", _edit('"@cf/acme/tiny-chat"', '"@cf/acme/tiny chat"'), False),
    ("name-empty-part", _edit('"@cf/acme/tiny-chat"', '"@cf//tiny-chat"'), False),
    ("name-no-namespace", _edit('"@cf/acme/tiny-chat"', '"tiny-chat"'), True),
    ("name-is-number", _edit('"@cf/acme/tiny-chat"', "12"), False),
    ("task-type-kebab", _edit('task_type: "text-generation"', 'task_type: "Text Generation"'), False),
    ("slug-pattern", _edit('model_display_name: "tiny-chat"', 'model_display_name: "a/b"'), False),
    ("slug-too-long", _edit('model_display_name: "tiny-chat"', f'model_display_name: "{"a" * 101}"'), False),
    ("layout-enum", _edit('layout: "model"', 'layout: "page"'), False),
    ("weight-string", _edit("weight: 0", 'weight: "0"'), False),
    ("weight-float", _edit("weight: 0", "weight: 1.5"), False),
    ("weight-bool", _edit("weight: 0", "weight: true"), False),
    ("weight-negative", _edit("weight: 0", "weight: -3"), True),
    ("source-integer", _edit("source: 1", "source: 2"), True),
    ("title-empty", _edit('title: "tiny-chat"', 'title: ""'), False),
    ("title-blank", _edit('title: "tiny-chat"', 'title: "  "'), False),
    ("weight-integral-float", _edit("weight: 0", "weight: 2.0"), True),
    ("name-trailing-newline", _edit('"@cf/acme/tiny-chat"', '"@cf/acme/tiny-chat\\n"'), False),
    ("slug-trailing-newline", _edit('model_display_name: "tiny-chat"', 'model_display_name: "x\\n"'), False),
    ("task-name-empty", _edit('name: "Text Generation"', 'name: ""'), False),
    ("property-id-empty", _edit('property_id: "beta"', 'property_id: ""'), False),
    ("value-yaml-bool", _edit('value: "true"', "value: true"), True),
    ("value-yaml-yes", _edit('value: "true"', "value: yes"), True),
    ("value-number", _edit('value: "true"', "value: 1.10"), True),
    ("value-null", _edit('value: "true"', "value: ~"), False),
    ("value-list", _edit('value: "true"', "value: [a]"), False),
    ("value-date-stays-text", _edit('value: "true"', "value: 2025-10-01"), True),
    ("properties-not-list", _edit("  properties:\n", '  properties: "beta"\n  x:\n'), False),
    ("tags-strings", _edit("tags: []", "tags: [a, b]"), True),
    ("tags-number", _edit("tags: []", "tags: [1]"), False),
    # YAML 1.1: docs-build (like PyYAML) reads unquoted yes/no/on/off as booleans.
    ("title-yaml-yes-is-boolean", _edit('title: "tiny-chat"', "title: yes"), False),
    ("title-quoted-yes", _edit('title: "tiny-chat"', 'title: "yes"'), True),
    ("description-number", _edit('description: "A small test model."', "description: 1.5"), False),
    ("json-schema-string", VALID + 'json_schema: {input: "{}", output: "{}"}\n', True),
    ("json-schema-object", VALID + "json_schema: {input: {type: object}}\n", True),
    ("json-schema-list", VALID + "json_schema: {input: [1]}\n", False),
    ("json-schema-unknown", VALID + "json_schema: {inputs: {}}\n", False),
    ("descriptor-is-list", "- 1\n", False),
    ("descriptor-is-string", "hello\n", False),
]


@pytest.mark.parametrize(("text", "valid"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_inline_case_gets_the_expected_verdict_from_both(text: str, valid: bool) -> None:
    assert both(text) == (valid, valid)


# -- generated mutations ---------------------------------------------------------------------------

BASE: dict[str, Any] = yaml.safe_load(VALID)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", " ", "x", "true", "@cf/a/b", "a b", "Text Generation", "text-generation", "model"]),
    st.text(max_size=8),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=5), inner, max_size=2),
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """The valid descriptor with a few random edits: replace, delete or add a value somewhere."""
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        if not path:
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["titel", "name", "extra", "value", "id"]))] = draw(values)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_generated_descriptors_get_one_verdict(data: Any) -> None:
    # Round-trip through YAML text and docs-build's loader, as a descriptor file would go.
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    src, problems = load_bytes(text.encode("utf-8"), Path("x.yaml"), "models/x.yaml")
    if src.data is None or problems:
        return  # e.g. an empty document; the loader's business, not the schema's
    assert VALIDATOR.is_valid(src.data) == (not any(p.is_error for p in validate(src))), json.dumps(
        src.data, default=str
    )
