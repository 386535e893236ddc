"""Memos inside one build: the API-schema section rendered once per schema pair, and start
tags scanned once. Both must give exactly what rendering or scanning afresh gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli, descriptor
from docs_build import links
from docs_build.config import load_config
from docs_build.pipeline import SiteRenderer, load_descriptor


def with_schema(slug: str, schema: dict[str, object]) -> str:
    """A descriptor whose input schema is ``schema`` (as the JSON string the catalog stores)."""
    text = json.dumps(json.dumps(schema))
    return descriptor(slug) + f"json_schema:\n  input: {text}\n"


SCHEMA_A = {"type": "object", "properties": {"prompt": {"type": "string", "description": "Say it."}}}
SCHEMA_B = {"type": "object", "properties": {"text": {"type": "string", "maxLength": 9}}}


def pages(project: Path) -> dict[str, str]:
    config, _ = load_config(project)
    renderer = SiteRenderer(config)
    out = {}
    for path in sorted((project / "models").glob("*.yaml")):
        model, problems = load_descriptor(config, path)
        assert model is not None, problems
        out[model.slug] = renderer.model_page(model)[0]
    return out


def test_each_schema_gets_its_own_section_and_equal_schemas_share_it(make_project: MakeProject) -> None:
    project = make_project(
        {
            "a1.yaml": with_schema("a1", SCHEMA_A),
            "b.yaml": with_schema("b", SCHEMA_B),
            "a2.yaml": with_schema("a2", SCHEMA_A),
        }
    )
    got = pages(project)
    assert "Say it." in got["a1"] and "Say it." in got["a2"] and "Say it." not in got["b"]
    assert "`text`" in got["b"] and "`text`" not in got["a1"]
    section = got["a1"][got["a1"].index("## API Schema") :]
    assert section == got["a2"][got["a2"].index("## API Schema") :]


def test_a_project_partial_override_is_rendered_for_every_model(make_project: MakeProject) -> None:
    """Overriding only the partial the built-in section includes must turn the memo off: the
    project's partial may print anything, such as the model's name."""
    partial = "Documented for {{ model.name }}.\n"
    project = make_project(
        {"a1.yaml": with_schema("a1", SCHEMA_A), "a2.yaml": with_schema("a2", SCHEMA_A)},
        templates={"partials/schema-doc.md.j2": partial},
    )
    got = pages(project)
    assert "Documented for @cf/acme/a1." in got["a1"]
    assert "Documented for @cf/acme/a2." in got["a2"]


def test_built_pages_equal_with_and_without_the_section_memo(
    make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = {f"m{i}.yaml": with_schema(f"m{i}", SCHEMA_A if i % 2 else SCHEMA_B) for i in range(6)}
    project = make_project(models)
    assert run_cli(project, "build", "--no-cache").exit_code == 0
    memoised = {p: p.read_bytes() for p in sorted((project / "build").rglob("*.md"))}
    from docs_build import templates

    monkeypatch.setattr(templates, "_memoise_api_schema", lambda env: None)
    assert run_cli(project, "build", "--no-cache").exit_code == 0
    fresh = {p: p.read_bytes() for p in sorted((project / "build").rglob("*.md"))}
    assert fresh == memoised


def fresh_scan(html: bytes) -> tuple[set[str], list[str]]:
    """The scan with an empty tag memo: every tag parsed afresh."""
    saved = dict(links._TAG_MEMO)
    links._TAG_MEMO.clear()
    try:
        return links.scan(html)
    finally:
        links._TAG_MEMO.clear()
        links._TAG_MEMO.update(saved)


def test_a_script_tag_with_a_slash_value_does_not_hide_the_tags_after_it() -> None:
    """Tags are parsed one at a time: ``<script id= />`` reads as a start tag with id "/", which
    used to put the shared parser into raw-text mode and lose every later tag of the page."""
    ids, refs = links.scan(b'<script id=></script>\n<a id="x" href="#x"></a>')
    assert ids == {"/", "x"} and refs == ["#x"]


_ATTR = st.sampled_from(["id", "name", "href", "src", "class", "ID", "data-x"])
_VALUE = st.text(alphabet="ab#/&;amp<>\"' =x.", max_size=8)


@st.composite
def _html(draw: st.DrawFn) -> bytes:
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        tag = draw(st.sampled_from(["a", "h2", "img", "script", "div", "pre", "style", "link"]))
        quotes = st.sampled_from(["{0}", '"{0}"', "'{0}'"])
        attrs = " ".join(
            f"{draw(_ATTR)}={draw(quotes).format(draw(_VALUE))}" for _ in range(draw(st.integers(0, 3)))
        )
        parts.append(f"<{tag} {attrs}>{draw(st.sampled_from(['', 'text', '<!-- c -->', '&amp;']))}</{tag}>")
    return "\n".join(parts).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(_html(), _html())
def test_tag_memo_scans_like_parsing_afresh(first: bytes, second: bytes) -> None:
    # Scanning ``first`` fills the memo; ``second`` then mixes remembered and new tags.
    for html in (first, second, first + second, second + first):
        assert links.scan(html) == fresh_scan(html)
