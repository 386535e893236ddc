"""Templates: project overrides, strictness, and descriptor text that stays inert."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli
from docs_build.convert import Heading, convert
from docs_build.render import RenderError, render
from docs_build.templates import cell_code, inline_code, make_environment, md_escape, toc_items


def test_md_escape_neutralises_markdown_structure() -> None:
    hostile = "# Title\n\n- item\n<script>alert(1)</script> [x](javascript:alert(1)) **b** `c` | d {{ 7*7 }}"
    escaped = md_escape(hostile)
    assert "\n" not in escaped
    html = convert(escaped).html
    assert html.count("<p>") == 1 and "<h1" not in html and "<li>" not in html
    assert "<script>" not in html and "<a " not in html and "<strong>" not in html and "<code>" not in html
    assert "&lt;script&gt;" in html and "{{ 7*7 }}" in html


@pytest.mark.parametrize("text", ["1. numbered", "+ plus", "> quote", "= setext", "-", "10) x"])
def test_md_escape_line_starts(text: str) -> None:
    html = convert("para\n\n" + md_escape(text)).html
    assert html.count("<p>") == 2, html


def _md_escape_by_rules(text: str) -> str:
    """md_escape without its fast path: the four substitutions, always."""
    from docs_build import templates as t

    text = t._WS.sub(" ", text).strip()
    text = t._MD_SPECIAL.sub(r"\\\1", text)
    text = t._MD_LINE_START.sub(r"\\\1", text)
    return t._MD_ORDERED.sub(r"\1\\\2", text)


@given(st.text(alphabet=st.sampled_from(list("aZ09 .-+=>:)\t\n\u00a0\u2003#*_|<&!~{}[]`\\é")), max_size=12))
@example("plain words here")
@example(" leading")
@example("trailing ")
@example("two  spaces")
@example("1. item")
@example("12 apes")
@example("-dash")
@example("tab\there")
@example("nb\u00a0sp")
@example("\u0661. arabic-indic digit")
def test_md_escape_fast_path_changes_nothing(text: str) -> None:
    assert md_escape(text) == _md_escape_by_rules(text)


def test_md_escape_fast_path_is_taken_for_plain_text() -> None:
    from docs_build.templates import _MD_PLAIN

    assert _MD_PLAIN.fullmatch("A 7b chat model, tuned for dialogue.")
    assert not any(_MD_PLAIN.fullmatch(text) for text in ("a  b", "-x", "a*b", "1. x", " a"))


def test_a_template_no_file_matches_is_never_searched_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model pages look up per-model overrides that rarely exist; the files are listed once."""
    from jinja2 import FileSystemLoader, TemplateNotFound

    searched: list[str] = []
    original = FileSystemLoader.get_source

    def counting(self: FileSystemLoader, environment: object, name: str) -> object:
        searched.append(name)
        return original(self, environment, name)  # type: ignore[arg-type]

    monkeypatch.setattr(FileSystemLoader, "get_source", counting)
    (tmp_path / "found.md.j2").write_text("x")
    (tmp_path / "models" / "m").mkdir(parents=True)
    (tmp_path / "models" / "m" / "responses.md.j2").write_text("m's {{ 1 + 1 }}")
    env = make_environment(tmp_path)
    for _ in range(3):
        with pytest.raises(TemplateNotFound):
            env.get_template("models/none/responses.md.j2")
        picked = env.select_template(["models/none/responses.md.j2", "sections/responses.md.j2"])
        assert picked.filename is not None and picked.filename.endswith("sections/responses.md.j2")
    assert "models/none/responses.md.j2" not in searched
    assert env.get_template("found.md.j2").render() == "x"
    listed = ["models/m/responses.md.j2", "sections/responses.md.j2"]
    assert env.select_template(listed).render() == "m's 2"  # an override that exists still wins
    assert env.get_template("builtin/sections/responses.md.j2").filename == picked.filename
    with pytest.raises(TemplateNotFound, match=r"nothing\.md\.j2"):
        env.select_template(["nothing.md.j2", "models/none/x.md.j2"])  # Jinja's own error, names as given


def test_a_template_differing_only_in_case_is_still_tried(tmp_path: Path) -> None:
    """Skipping ignores case: on a case-insensitive file system ``Found.md.j2`` loads ``found.md.j2``."""
    from docs_build.templates import _Loader

    (tmp_path / "found.md.j2").write_text("x")
    loader = make_environment(tmp_path).loader
    assert isinstance(loader, _Loader)
    assert loader.may_have("Found.md.j2") and loader.may_have("./found.md.j2")
    assert not loader.may_have("lost.md.j2")
    assert loader.may_have("../escape.md.j2")  # Jinja reports what is wrong with such a name


def test_inline_code_picks_a_longer_fence() -> None:
    assert inline_code("a`b") == "``a`b``"
    assert convert(str(inline_code("`x`"))).html == "<p><code>`x`</code></p>\n"


def test_project_templates_override_builtins_and_can_extend_them(tmp_path: Path) -> None:
    (tmp_path / "index.md.j2").write_text(
        '{% extends "builtin/index.md.j2" %}{% block intro %}Hello{% endblock %}'
    )
    env = make_environment(tmp_path)
    source, filename, _ = env.loader.get_source(env, "index.md.j2")  # type: ignore[union-attr]
    assert filename == str(tmp_path / "index.md.j2")
    assert "builtin/index.md.j2" in source
    builtin_source, builtin_file, _ = env.loader.get_source(env, "builtin/index.md.j2")  # type: ignore[union-attr]
    assert "block intro" in builtin_source and builtin_file != filename


def test_descriptor_text_is_printed_not_evaluated(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("{{ text }}\n")
    out = render(
        make_environment(tmp_path),
        "t.md.j2",
        {"text": "{{ 7*7 }} {% if 1 %}x{% endif %}"},
        root=tmp_path,
        for_what="m",
    )
    assert "49" not in out
    assert out.strip() == md_escape("{{ 7*7 }} {% if 1 %}x{% endif %}")


def test_undefined_names_fail_at_the_template_line(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("line one\n\n{{ model.nope }}\n")
    with pytest.raises(RenderError) as info:
        render(make_environment(tmp_path), "t.md.j2", {"model": {}}, root=tmp_path, for_what="models/a.yaml")
    problem = info.value.problem
    assert (problem.location.path, problem.location.line) == ("t.md.j2", 3)
    assert "models/a.yaml" in problem.message and "nope" in problem.message


def test_syntax_errors_are_located(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("ok\n{% if %}\n")
    with pytest.raises(RenderError) as info:
        render(make_environment(tmp_path), "t.md.j2", {}, root=tmp_path, for_what="m")
    assert (info.value.problem.location.path, info.value.problem.location.line) == ("t.md.j2", 2)
    assert info.value.problem.format().startswith("t.md.j2:2: error: template syntax error")


def test_indented_blocks_leave_no_indentation(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("a\n    {% if true %}\nb\n    {% endif %}\nc\n")
    assert render(make_environment(tmp_path), "t.md.j2", {}, root=tmp_path, for_what="m") == "a\nb\nc\n"


def test_html_templates_autoescape(tmp_path: Path) -> None:
    (tmp_path / "t.html.j2").write_text("<p>{{ x }}</p>")
    out = render(make_environment(tmp_path), "t.html.j2", {"x": "<b>"}, root=tmp_path, for_what="m")
    assert out == "<p>&lt;b&gt;</p>"


def test_runaway_range_fails_instead_of_hanging(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text("{% for i in range(10**12) %}x{% endfor %}\n")
    with pytest.raises(RenderError) as info:
        render(make_environment(tmp_path), "t.md.j2", {}, root=tmp_path, for_what="models/a.yaml")
    assert (
        info.value.problem.location.path == "t.md.j2"
        and "over the template limit" in info.value.problem.message
    )


def test_directory_named_like_a_template_is_reported(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    (project / "templates" / "model.md.j2").mkdir(parents=True)
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert "templates/model.md.j2:1:1: error: a directory is named like a template" in result.stderr


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("3.5 Turbo", "3.5 Turbo"),
        ("1986. A great year", "1986. A great year"),
        ("10) x", "10) x"),
        ("0.5", "0.5"),
        ("::: details Pwned rest", "::: details Pwned rest"),
    ],
)
def test_line_start_escapes_show_no_backslash(text: str, shown: str) -> None:
    html = convert("para\n\n" + md_escape(text)).html
    assert html == f"<p>para</p>\n<p>{shown}</p>\n", html


def test_carriage_returns_cannot_break_out_of_code_spans() -> None:
    hostile = "a\r::: details PWNED\r# Injected heading"
    for rendered in (inline_code(hostile), cell_code(hostile)):
        html = convert(f"x {rendered} y\n").html
        assert "<details" not in html and "<h1" not in html, html


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "A", "b.md.j2", ".", "..", "", "x.y", ".hidden"]), max_size=4))
def test_may_have_agrees_with_the_name_jinja_loads(parts: list[str]) -> None:
    """The shortcut for names already in normal form answers as normalising them would."""
    name = "/".join(parts)
    from jinja2.exceptions import TemplateNotFound
    from jinja2.loaders import split_template_path

    from docs_build.templates import _Loader

    loader = _Loader([], frozenset({"a/b.md.j2", "b.md.j2", "a/x.y", ".hidden"}))
    try:
        expected = "/".join(split_template_path(name)).casefold() in loader._names
    except TemplateNotFound:
        expected = True
    assert loader.may_have(name) == expected


def test_a_template_in_a_linked_folder_is_found_under_both_names(tmp_path: Path) -> None:
    """``models/b`` linked to ``models/a``: Jinja serves ``models/b/x``, so it must be tried."""
    (tmp_path / "models" / "a").mkdir(parents=True)
    (tmp_path / "models" / "a" / "responses.md.j2").write_text("OVERRIDE")
    (tmp_path / "models" / "b").symlink_to("a")
    env = make_environment(tmp_path)
    for slug in ("a", "b"):
        names = [f"models/{slug}/responses.md.j2", "sections/responses.md.j2"]
        assert env.select_template(names).render() == "OVERRIDE"


def test_a_folder_linked_into_itself_disables_the_name_list(tmp_path: Path) -> None:
    """A loop makes endless names Jinja would serve (``loop/loop/x``); every name is then tried."""
    (tmp_path / "x.md.j2").write_text("X")
    (tmp_path / "loop").symlink_to(".")
    env = make_environment(tmp_path)
    assert env.get_template("loop/loop/x.md.j2").render() == "X"


#: The table of contents as the built-in layout printed it before ``toc_items`` (session 9).
_TOC_LOOP = """\
    <ul>
{% for h in headings if h.level <= 3 %}
      <li class="toc-l{{ h.level }}"><a href="#{{ h.anchor }}">{{ h.text }}</a></li>
{% endfor %}
    </ul>
"""
_TOC_FILTER = """\
    <ul>
{{ headings|toc_items }}    </ul>
"""


@settings(max_examples=300, deadline=None)
@given(
    headings=st.lists(
        st.builds(
            Heading,
            level=st.integers(min_value=1, max_value=6),
            text=st.text(alphabet="ab <>&\"'#", max_size=6),
            anchor=st.text(alphabet="ab-<>&\"'", max_size=6),
        ),
        max_size=6,
    )
)
def test_toc_items_prints_what_the_loop_printed(headings: list[Heading]) -> None:
    env = make_environment(None)
    env.autoescape = True
    loop, joined = env.from_string(_TOC_LOOP), env.from_string(_TOC_FILTER)
    assert joined.render(headings=headings) == loop.render(headings=headings)


def test_toc_items_escapes_and_skips_deep_headings() -> None:
    """The property above covers the cases that matter: escaping, and levels past 3 left out."""
    shown = toc_items([Heading(2, "a<b>&", 'x"y'), Heading(4, "deep", "deep")])
    assert shown == '      <li class="toc-l2"><a href="#x&#34;y">a&lt;b&gt;&amp;</a></li>\n'
