"""site: the catalog's list items written in Python, and the per-model memo of site-wide parts.

``entry_markdown`` replaced a Jinja loop in ``index.md.j2`` (for speed after one edit among
10 000 models); it must print exactly what that loop printed for any text, so the loop is kept
here as the reference.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docs_build import site as site_stage
from docs_build.model import Model
from docs_build.site import Badge, Entry, PartMemo, by_chunks, entry_markdown
from docs_build.templates import make_environment

#: The loop ``index.md.j2`` had before ``catalog_entries``, word for word.
REFERENCE_LOOP = (
    "{% for m in entries %}\n"
    "- [{{ m.model.title }}]({{ m.url|code }}){% for badge in m.badges %} "
    "[{{ badge.label }}]{.badge .badge-{{ badge.kind }}}{% endfor %}\\\n"
    "  {{ m.model.description }}\n"
    "{% endfor %}\n"
)
_ENV = make_environment(None)


def entry(title: str, description: str, url: str = "models/x/", badges: list[Badge] | None = None) -> Entry:
    model = cast(Model, SimpleNamespace(title=title, description=description))
    return Entry(model, url, badges or [])


def reference(entries: list[Entry]) -> str:
    return _ENV.from_string(REFERENCE_LOOP).render(entries=entries)


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
badge_lists = st.lists(
    st.sampled_from(
        [
            Badge("Beta", "beta"),
            Badge("LoRA", "lora"),
            Badge("Function calling", "function-calling"),
            Badge("Planned deprecation", "planned-deprecation"),
        ]
    ),
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(title=texts, description=texts, url=texts, badges=badge_lists)
def test_entry_markdown_is_the_template_loop(
    title: str, description: str, url: str, badges: list[Badge]
) -> None:
    one = entry(title, description, url, badges)
    assert entry_markdown(one) == reference([one])


def test_entry_markdown_escapes_what_could_become_markup() -> None:
    tricky = entry("# [x](javascript:1)", "line\n- item <b>*", "models/a b/")
    assert entry_markdown(tricky) == reference([tricky])
    assert entry_markdown(tricky).startswith("- [\\# \\[x\\](javascript:1)](models/a b/)")


def test_chunks_are_reused_for_the_same_model_objects_only(monkeypatch: Any) -> None:
    monkeypatch.setattr(site_stage, "PART_CHUNK", 2)
    memo = PartMemo()
    made: list[list[str]] = []

    def make(entries: list[Entry]) -> str:
        made.append([e.model.title for e in entries])
        return "".join(e.model.title for e in entries)

    def run(entries: list[Entry], kind: str = "kind") -> list[str]:
        return list(by_chunks(memo, kind, entries, [e.model for e in entries], make))

    a, b, c = entry("a", ""), entry("b", ""), entry("c", "")
    assert run([a, b, c]) == ["ab", "c"]
    memo.trim()
    c2 = entry("c", "")  # equal, but another object: a changed descriptor's new model
    assert run([a, b, c2]) == ["ab", "c"]
    assert made == [["a", "b"], ["c"], ["c"]]
    assert run([a, b], kind="other") == ["ab"]  # kinds do not mix
    assert made[-1] == ["a", "b"]
    memo.trim()
    assert run([b, a]) == ["ba"]  # the same models in another order are another chunk
    memo.trim()
    memo.trim()  # a rebuild that asked for nothing: everything goes
    made.clear()
    run([a, b])
    assert made == [["a", "b"]]
    assert list(by_chunks(None, "kind", [a, b, c], [a.model, b.model, c.model], make)) == ["ab", "c"]


def test_catalog_entries_is_what_the_index_prints(tmp_path: Any) -> None:
    from docs_build.config import load_config
    from docs_build.pipeline import SiteRenderer

    renderer = SiteRenderer(load_config(tmp_path)[0])
    entries = [entry("One", "First."), entry("Two", "Second.", badges=[Badge("Beta", "beta")])]
    assert renderer.catalog_entries(entries) == reference(entries)
    renderer.parts = PartMemo()
    assert renderer.catalog_entries(entries) == reference(entries)
    assert renderer.catalog_entries(entries[:1]) == reference(entries[:1])


def test_catalog_entries_takes_any_iterable_and_refuses_html_templates(tmp_path: Any) -> None:
    from docs_build.config import load_config
    from docs_build.pipeline import SiteRenderer

    renderer = SiteRenderer(load_config(tmp_path)[0])
    entries = [entry("One", "First."), entry("Two", "Second <b>.")]
    filtered = "{{ catalog_entries(entries|selectattr('url')) }}"
    assert renderer.env.from_string(filtered).render(entries=entries) == reference(entries)
    html = renderer.env.from_string("{% autoescape true %}{{ catalog_entries(entries) }}{% endautoescape %}")
    with pytest.raises(ValueError, match="Markdown template"):
        html.render(entries=entries)
