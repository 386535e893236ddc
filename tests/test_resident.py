"""What ``serve`` keeps in memory between rebuilds changes speed, never bytes.

LiveSite keeps converted pieces of the catalog index (``cache.PieceMemo``) and per-model parts
of the site-wide files (``site.PartMemo``). After any sequence of edits its plan must be the
plan a fresh LiveSite makes from the same files, and after one edit only the piece of the
index holding that model is converted again. The regex scans that replaced line loops
(``cache._list_cuts``, ``cache._interesting_lines``) are checked against the loops they
replaced, and the cached ``md_escape`` against the plain one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.nodes import EvalContext

from conftest import MakeProject, descriptor
from docs_build import cache, load
from docs_build import site as site_stage
from docs_build.live import LiveSite, Outcome, Stored
from docs_build.templates import _finalize, make_environment, md_escape

# -- cache._list_cuts against the line loop it replaced ---------------------------------------


def reference_list_cuts(text: str, chunk: int | None = None) -> list[int]:
    """The old line-by-line scan: every ``chunk``-th item of the first top-level list."""
    first = re.search(r"^- ", text, re.MULTILINE)
    if first is None or text.count("\n- ") < 2 * cache.LIST_CHUNK:
        return []
    step = chunk or cache.LIST_CHUNK
    cuts: list[int] = []
    items = 0
    pos = first.start()
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end == -1 else end + 1
        line = text[pos:end]
        if line.startswith("- "):
            if items and items % step == 0:
                cuts.append(pos)
            items += 1
        elif not (line.startswith("  ") and line.strip()):
            break
        pos = end
    rest = text[pos:]
    if rest.strip() and (rest[: rest.find("\n") + 1 or len(rest)].strip() or rest.lstrip("\n")[:1] in " \t-"):
        return []
    return cuts


#: Line shapes around a list: items, continuations, blank and whitespace-only lines (also
#: Unicode whitespace, which ``str.strip`` and the regex's ``\S`` must agree on), lazy text.
LIST_LINES = st.sampled_from(
    [
        "- a",
        "- a",
        "- b c",
        "- ",
        "-  x",
        "-a",
        "-",
        " - a",
        "   - a",
        "  b",
        "  b",
        "    deep",
        "  ",
        "  \t",
        "  \u00a0",
        "  \u2003",
        "  \u2003x",
        "  \u3000",
        "  \x1c",
        "  \x85",
        "  \u2028",
        "  \u200b",
        "  \ufeff",
        "  \r",
        "\t- a",
        "\tx",
        "",
        "x",
        "# h",
        "\u00a0- a",
    ]
)


@settings(max_examples=1500, deadline=None)
@given(
    lines=st.lists(LIST_LINES, max_size=40),
    newline_at_end=st.booleans(),
    chunk=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    list_chunk=st.integers(min_value=1, max_value=3),
)
def test_list_cuts_equal_the_line_loop(
    lines: list[str], newline_at_end: bool, chunk: int | None, list_chunk: int
) -> None:
    text = "\n".join(lines) + ("\n" if newline_at_end and lines else "")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache, "LIST_CHUNK", list_chunk)
        assert cache._list_cuts(text, chunk) == reference_list_cuts(text, chunk)


def test_list_cuts_reference_really_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    """The property above is not vacuous: both scans cut, and stop at the list's end."""
    monkeypatch.setattr(cache, "LIST_CHUNK", 2)
    text = "intro\n\n" + "".join(f"- item {i}\n  more {i}\n" for i in range(7)) + "\n# after\n- x\n"
    expected = [text.index(f"- item {i}") for i in (2, 4, 6)]
    assert reference_list_cuts(text) == expected
    assert cache._list_cuts(text) == expected
    by_three = [text.index("- item 3"), text.index("- item 6")]
    assert cache._list_cuts(text, 3) == reference_list_cuts(text, 3) == by_three
    # a Unicode-blank "continuation" ends the list, and a lazy line after it refuses the cut
    lazy = text.replace("  more 3\n", "  \u2003\nlazy\n")
    assert cache._list_cuts(lazy) == reference_list_cuts(lazy) == []


# -- cache._interesting_lines against the ^-anchored MULTILINE scan ----------------------------

_OLD_INTERESTING = re.compile(r"^(?:#|[ ]{0,3}(?:```|~~~|:::))", re.MULTILINE)

INTERESTING_LINES = st.sampled_from(
    [
        "# h",
        "#",
        "## h",
        "```",
        "```py",
        "~~~",
        ":::",
        "::: note",
        " ```",
        "   ~~~",
        "   :::",
        "    ```",
        "``",
        "::",
        "~~",
        " #",
        "\t```",
        "x # y",
        "a```",
        "",
        " ",
        "\r",
        "#\r",
        "- # no",
        "\u00a0```",
    ]
)


@settings(max_examples=1000, deadline=None)
@given(lines=st.lists(INTERESTING_LINES, max_size=25), newline_at_end=st.booleans())
def test_interesting_lines_equal_the_multiline_scan(lines: list[str], newline_at_end: bool) -> None:
    text = "\n".join(lines) + ("\n" if newline_at_end else "")
    assert list(cache._interesting_lines(text)) == [m.start() for m in _OLD_INTERESTING.finditer(text)]


@settings(max_examples=1000, deadline=None)
@given(text=st.text(alphabet="#`~: \n\r\tx", max_size=60))
def test_interesting_lines_equal_the_multiline_scan_on_any_text(text: str) -> None:
    assert list(cache._interesting_lines(text)) == [m.start() for m in _OLD_INTERESTING.finditer(text)]


def test_interesting_lines_include_the_first_line() -> None:
    assert list(cache._interesting_lines("# a\nb\n```\n")) == [0, 6]
    assert list(cache._interesting_lines("b\n   :::\n    ~~~\n")) == [2]


# -- templates: the cached md_escape of strings -------------------------------------------------

TRICKY = st.one_of(
    st.text(),
    st.text(alphabet="\\`*_[]<>&!|~#{}-+=>:.)0123456789 \t\n\u00a0\u2003ab", max_size=30),
)


@settings(max_examples=500, deadline=None)
@given(value=TRICKY)
def test_finalize_of_a_string_is_md_escape(value: str) -> None:
    env = make_environment(None)
    ctx = EvalContext(env)
    assert not ctx.autoescape
    expected = md_escape(value)
    assert _finalize(ctx, value) == expected
    assert _finalize(ctx, value) == expected  # the second time from the cache
    assert env.from_string("{{ v }}").render(v=value) == expected


def test_finalize_escapes_str_subclasses_and_other_values_too() -> None:
    ctx = EvalContext(make_environment(None))

    class Text(str):
        def __str__(self) -> str:
            return "*shown*"

    assert _finalize(ctx, "1. *a* [b]") == md_escape("1. *a* [b]") == "1\\. \\*a\\* \\[b\\]"
    assert _finalize(ctx, Text("x")) == md_escape(Text("x")) == "\\*shown\\*"
    assert _finalize(ctx, 42) == "42"


# -- load.is_descriptor_name against the Path-based filter it replaced --------------------------


@pytest.mark.parametrize(
    "name",
    [
        *["a.yaml", "b.yml", ".hidden.yaml", ".yaml", ".yml", "c.yaml~", "d.YAML", "e.yaml.swp"],
        *["f.txt", "yaml", "x.tar.yaml", "..yaml", "a.b.yml", "#a.yaml#", "space .yaml"],
    ],
)
def test_is_descriptor_name_agrees_with_the_suffix_rule(name: str) -> None:
    old = Path(name).suffix in (".yaml", ".yml") and not name.startswith(".")
    assert load.is_descriptor_name(name) == old


# -- LiveSite: the memos never leave a stale byte -----------------------------------------------

COUNT = 20


def slug(i: int) -> str:
    return f"m-{i:02d}"


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists of 6 items are long; the memo cuts every 2 items (10 pieces for 20 models)."""
    monkeypatch.setattr(cache, "LIST_CHUNK", 3)
    monkeypatch.setattr(cache, "MEMO_CHUNK", 2)
    monkeypatch.setattr(site_stage, "PART_CHUNK", 2)
    monkeypatch.setattr(cache, "_MEMO", cache._Memo())
    monkeypatch.setattr(cache, "_TAILS", OrderedDict())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01


@pytest.fixture
def project(make_project: MakeProject, small_chunks: None) -> Path:
    models = {f"{slug(i)}.yaml": descriptor(slug(i), description=f"Model number {i}.") for i in range(COUNT)}
    return make_project(models)


def fresh_plan(root: Path) -> dict[str, bytes]:
    """The plan of a new LiveSite, with none of this process's conversion memos to help it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cache, "_MEMO", cache._Memo())
        mp.setattr(cache, "_TAILS", OrderedDict())
        outcome = LiveSite(root).rebuild()
    assert outcome.ok, outcome.problems
    return dict(outcome.plan)


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def rebuild(site: LiveSite, *changed: Path) -> Outcome:
    outcome = site.rebuild(set(changed))
    assert outcome.ok, outcome.problems
    return outcome


def search_pages(outcome: Outcome) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = json.loads(outcome.plan["search-index.json"])["pages"]
    return pages


def assert_same_plan(outcome: Outcome, root: Path) -> None:
    plan, fresh = dict(outcome.plan), fresh_plan(root)
    assert sorted(plan) == sorted(fresh)
    for rel in fresh:
        assert plan[rel] == fresh[rel], rel


def test_the_index_is_converted_in_memo_pieces(project: Path) -> None:
    site = LiveSite(project)
    outcome = rebuild(site)
    assert len(site._pieces.pieces) == COUNT // 2
    assert_same_plan(outcome, project)


def test_edits_in_a_row_give_a_fresh_sites_bytes(project: Path) -> None:
    models = project / "models"
    site = LiveSite(project)
    rebuild(site)

    edited = models / f"{slug(7)}.yaml"
    write(edited, descriptor(slug(7), description="Edited words."))
    outcome = rebuild(site, edited)
    assert b"Edited words." in outcome.plan["index.md"] and b"Edited words." in outcome.plan["llms.txt"]
    assert_same_plan(outcome, project)

    renamed = models / f"{slug(12)}.yaml"
    text = descriptor(slug(12), description="Model number 12.")
    write(renamed, text.replace('title: "m-12"', 'title: "Zed"'))
    outcome = rebuild(site, renamed)
    assert b"[Zed](models/m-12/index.md)" in outcome.plan["llms.txt"]
    assert any(e["title"] == "Zed" for e in search_pages(outcome))
    assert_same_plan(outcome, project)

    (models / f"{slug(3)}.yaml").unlink()
    outcome = rebuild(site, models / f"{slug(3)}.yaml")
    assert b"models/m-03/" not in outcome.plan["index.md"]
    assert b"models/m-03/" not in outcome.plan["llms.txt"]
    assert b"models/m-03/" not in outcome.plan["search-index.json"]
    assert_same_plan(outcome, project)

    added = models / "m-05b.yaml"
    write(added, descriptor("m-05b", description="A newcomer."))
    outcome = rebuild(site, added)
    assert b"A newcomer." in outcome.plan["index.md"] and b"m-05b" in outcome.plan["search-index.json"]
    assert_same_plan(outcome, project)

    heavier = models / f"{slug(15)}.yaml"  # moves to the top of its task: every piece shifts
    write(heavier, descriptor(slug(15), description="Model number 15.", weight=5))
    assert_same_plan(rebuild(site, heavier), project)

    flagged = models / f"{slug(9)}.yaml"  # only the badges change
    write(flagged, descriptor(slug(9), description="Model number 9.", properties={"lora": "true"}))
    outcome = rebuild(site, flagged)
    entry = next(e for e in search_pages(outcome) if e["name"].endswith("/m-09"))
    assert entry["flags"] == ["lora"]
    assert_same_plan(outcome, project)

    moved = models / f"{slug(18)}.yaml"  # a task of its own: a new group in every site file
    write(moved, descriptor(slug(18), task_name="Embeddings", task_type="text-embeddings"))
    outcome = rebuild(site, moved)
    assert b"## Embeddings" in outcome.plan["index.md"]
    assert_same_plan(outcome, project)

    write(edited, descriptor(slug(7), description="Model number 7."))  # the first edit undone
    outcome = rebuild(site, edited)
    assert b"Edited words." not in outcome.plan["index.md"]
    assert_same_plan(outcome, project)


def test_one_edit_converts_one_piece_and_makes_one_entry(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = LiveSite(project)
    rebuild(site)
    pieces = len(site._pieces.pieces)
    assert pieces == COUNT // 2

    converted: list[str] = []
    real_convert, real_plain = cache.convert, cache.plain_list
    monkeypatch.setattr(cache, "convert", lambda text: converted.append(text) or real_convert(text))
    monkeypatch.setattr(cache, "plain_list", lambda text: converted.append(text) or real_plain(text))
    entries: list[str] = []
    real_badges = site_stage.badges
    monkeypatch.setattr(
        site_stage, "badges", lambda model, today: entries.append(model.slug) or real_badges(model, today)
    )

    path = project / "models" / f"{slug(9)}.yaml"
    write(path, descriptor(slug(9), description="Changed once."))
    outcome = rebuild(site, path)
    index_pieces = sorted({t for t in converted if "](models/" in t})  # by either way of converting
    assert len(index_pieces) == 1, index_pieces  # not the whole index, not every piece
    assert "Changed once." in index_pieces[0] and index_pieces[0].startswith("- [m-08]")
    assert entries == [slug(8), slug(9)]  # the run of the edited model: every other one was kept
    assert len(site._pieces.pieces) == pieces  # the piece that changed replaced the old one
    assert_same_plan(outcome, project)


def test_an_unchanged_rebuild_converts_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = LiveSite(project)
    first = rebuild(site)
    converted: list[str] = []
    real_convert = cache.convert
    monkeypatch.setattr(cache, "convert", lambda text: converted.append(text) or real_convert(text))
    again = rebuild(site, project / "models" / f"{slug(0)}.yaml")  # a hint, but the same bytes
    assert converted == [] and again.changed == frozenset() and dict(again.plan) == dict(first.plan)


def test_config_changes_drop_the_per_model_parts(
    make_project: MakeProject, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    models = {f"{slug(i)}.yaml": descriptor(slug(i)) for i in range(COUNT)}
    models["old.yaml"] = descriptor("old", properties={"planned_deprecation_date": "2026-06-01"})
    root = make_project(models, config='title = "First"\nbase_url = "https://a.example"\n')
    config = root / "docs-build.toml"
    site = LiveSite(root)
    first = rebuild(site)
    assert b"https://a.example/models/m-00/index.md" in first.plan["llms.txt"]
    search = search_pages(first)
    assert next(e for e in search if e["title"] == "old")["flags"] == ["planned-deprecation"]

    write(config, 'title = "Second"\nbase_url = "https://b.example/docs"\n')
    outcome = rebuild(site, config)
    llms = outcome.plan["llms.txt"].decode()
    assert llms.startswith("# Second\n") and "a.example" not in llms
    assert "https://b.example/docs/models/m-00/index.md" in llms
    assert_same_plan(outcome, root)

    write(config, 'title = "Second"\n[task_labels]\ntext-generation = "LLMs"\n')
    outcome = rebuild(site, config)
    search = search_pages(outcome)
    assert {e["task"] for e in search} == {"LLMs"}
    assert "b.example" not in outcome.plan["llms.txt"].decode()
    assert_same_plan(outcome, root)

    # The build date comes with the config: a later date turns the planned deprecation due.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01
    write(config, 'title = "Third"\n[task_labels]\ntext-generation = "LLMs"\n')
    outcome = rebuild(site, config)
    search = search_pages(outcome)
    assert next(e for e in search if e["title"] == "old")["flags"] == ["deprecated"]
    assert_same_plan(outcome, root)


def test_a_template_change_renders_the_index_anew(project: Path) -> None:
    site = LiveSite(project)
    rebuild(site)
    template = project / "templates" / "index.md.j2"
    template.parent.mkdir()
    items = "{% for e in g.models %}- {{ e.model.title }}\n{% endfor %}"
    write(template, "# Mine\n\n{% for g in catalog.groups %}" + items + "{% endfor %}")
    outcome = rebuild(site, template)
    assert outcome.plan["index.md"].startswith(b"# Mine\n\n- m-00\n")
    assert_same_plan(outcome, project)


def test_descriptors_that_come_and_go_are_followed(make_project: MakeProject) -> None:
    """LiveSite keeps a Path per file name between rebuilds: it must follow the directory,
    also after more names came and went than it keeps (see ``LiveSite._find_descriptors``)."""
    root = make_project({"a.yaml": descriptor("a"), "c.yaml": descriptor("c")})
    models = root / "models"
    site = LiveSite(root)
    rebuild(site)
    write(models / ".scratch.yaml", "not: [a descriptor\n")  # dot files are never descriptors
    write(models / "notes.txt", "x")
    for i in range(80):
        path = models / f"b-{i:02d}.yml"
        write(path, descriptor(f"b-{i:02d}"))
        outcome = rebuild(site)
        gone = [f"models/b-{i - 1:02d}.yml"] if i else []
        assert outcome.reloaded == [*gone, f"models/b-{i:02d}.yml"]
        assert f"models/b-{i:02d}/index.html" in outcome.plan
        assert f"models/b-{i - 1:02d}/index.html" not in outcome.plan
        path.unlink()
    outcome = rebuild(site)
    assert outcome.reloaded == ["models/b-79.yml"]
    assert sorted(k for k in outcome.plan if k.endswith("/index.md")) == [
        "models/a/index.md",
        "models/c/index.md",
    ]
    assert_same_plan(outcome, root)


# -- build --watch keeps digests, not bytes ---------------------------------------------------


def test_dropped_bytes_leave_digests_and_exact_diffs(project: Path) -> None:
    """After ``drop_bytes`` every output is a digest; an edit's diff names exactly what changed,
    with the new bytes, and the digests are those of a fresh site's bytes."""
    models = project / "models"
    site = LiveSite(project, keep_bytes=False)
    first = dict(rebuild(site).plan)
    site.drop_bytes()
    assert site.bytes_dropped
    pages = {rel for rel in first if rel.startswith("models/")}
    assert all(isinstance(v, Stored) for rel, v in site._plan.items() if rel in pages)
    assert not any(isinstance(v, Stored) for rel, v in site._plan.items() if rel not in pages)  # site-wide
    assert all(isinstance(v, Stored) for d in site._descriptors.values() for v in (d.outputs or {}).values())

    edited = models / f"{slug(3)}.yaml"
    write(edited, descriptor(slug(3), description="Words only here."))
    outcome = rebuild(site, edited)
    fresh = fresh_plan(project)
    assert outcome.changed == {rel for rel in fresh if first.get(rel) != fresh[rel]}
    assert {f"models/{slug(3)}/index.html", "index.md", "llms.txt"} <= outcome.changed
    for rel in outcome.changed:
        assert not isinstance(outcome.plan[rel], Stored) and outcome.plan[rel] == fresh[rel], rel
    site.drop_bytes()
    for rel, data in site._plan.items():
        expected = hashlib.blake2b(fresh[rel], digest_size=20).digest() if rel in pages else fresh[rel]
        assert data == expected, rel

    write(edited, descriptor(slug(3), description="Words only here."))  # same bytes, new stamp
    assert rebuild(site, edited).changed == frozenset()


def test_forgotten_outputs_are_rendered_again_in_full(project: Path) -> None:
    site = LiveSite(project, keep_bytes=False)
    rebuild(site)
    site.drop_bytes()
    site.forget_outputs()
    assert not site.bytes_dropped
    outcome = rebuild(site)
    assert not any(isinstance(v, Stored) for v in outcome.plan.values())
    assert outcome.changed == frozenset()  # the same bytes as the digests stood for
    assert_same_plan(outcome, project)


def test_serve_keeps_bytes_and_queues_nothing_to_drop(project: Path) -> None:
    """``serve`` (the default) never drops bytes, so it must not remember pages to drop either."""
    site = LiveSite(project)
    rebuild(site)
    assert site._fresh == []
    assert not any(isinstance(v, Stored) for v in site._plan.values())


# -- trusting the watcher's events (``rebuild(trusted=True)``) ---------------------------------


def trusted(site: LiveSite, *changed: Path) -> Outcome:
    outcome = site.rebuild(set(changed), trusted=True)
    assert outcome.ok, outcome.problems
    return outcome


def test_trusted_hints_look_only_at_the_named_descriptors(project: Path) -> None:
    """A trusted rebuild reads what the events name and nothing else; the full scan after it
    finds what they missed, so the two together end where a fresh site is."""
    models = project / "models"
    site = LiveSite(project)
    rebuild(site)
    named, missed = models / f"{slug(4)}.yaml", models / f"{slug(11)}.yaml"
    write(named, descriptor(slug(4), description="Named by an event."))
    write(missed, descriptor(slug(11), description="No event for this one."))
    outcome = trusted(site, named)
    assert site.took_hints and outcome.reloaded == [f"models/{slug(4)}.yaml"]
    assert b"No event for this one." not in outcome.plan["index.md"]
    outcome = rebuild(site)  # the check a caller makes after publishing
    assert not site.took_hints and outcome.reloaded == [f"models/{slug(11)}.yaml"]
    assert_same_plan(outcome, project)


def test_trusted_hints_follow_descriptors_that_come_and_go(project: Path) -> None:
    models = project / "models"
    site = LiveSite(project)
    rebuild(site)
    added = models / "m-05b.yaml"
    write(added, descriptor("m-05b", description="A newcomer."))
    outcome = trusted(site, added)
    assert site.took_hints and outcome.reloaded == ["models/m-05b.yaml"]
    assert b"A newcomer." in outcome.plan["index.md"]
    assert_same_plan(outcome, project)

    gone = models / f"{slug(3)}.yaml"
    gone.unlink()
    outcome = trusted(site, gone, models / "notes.txt")  # a file that is no descriptor is ignored
    assert site.took_hints and outcome.reloaded == [f"models/{slug(3)}.yaml"]
    assert "models/m-03/index.html" not in outcome.plan
    assert_same_plan(outcome, project)

    renamed = models / "m-zz.yaml"  # a rename is two events: one name gone, one new
    os.replace(models / f"{slug(7)}.yaml", renamed)
    outcome = trusted(site, models / f"{slug(7)}.yaml", renamed)
    assert outcome.reloaded == [f"models/{slug(7)}.yaml", "models/m-zz.yaml"]
    assert_same_plan(outcome, project)
    assert rebuild(site).reloaded == []  # the full scan agrees: nothing was missed
    assert site._names_listed == sorted(os.listdir(models))  # the listing is the directory's

    same = models / f"{slug(9)}.yaml"
    same.write_bytes(same.read_bytes())  # an event, the same bytes
    outcome = trusted(site, same)
    assert site.took_hints and outcome.reloaded == [] and outcome.changed == frozenset()


def test_hints_that_cannot_stand_for_a_scan_make_a_full_one(project: Path) -> None:
    models = project / "models"
    site = LiveSite(project)
    assert rebuild(site) and site.took_hints is False
    trusted(site)  # no hint at all
    assert not site.took_hints

    (project / "templates").mkdir()
    write(project / "templates" / "extra.txt", "x")  # outside the models directory
    write(models / f"{slug(2)}.yaml", descriptor(slug(2), description="Seen by the full scan."))
    outcome = trusted(site, project / "templates" / "extra.txt")
    assert not site.took_hints and outcome.reloaded[-1] == f"models/{slug(2)}.yaml"

    (models / "sub").mkdir()
    write(models / "sub" / "x.yaml", "not a descriptor: it is in a subdirectory")
    trusted(site, models / "sub" / "x.yaml")
    assert not site.took_hints

    write(models / f"{slug(5)}.yaml", descriptor(slug(5), description="Also seen."))
    write(project / "docs-build.toml", 'title = "Other"\n')  # settings changed: everything anew
    outcome = trusted(site, models / f"{slug(5)}.yaml")
    assert not site.took_hints and f"models/{slug(5)}.yaml" in outcome.reloaded
    assert_same_plan(outcome, project)


def test_trusted_hints_never_leave_the_site_without_descriptors(make_project: MakeProject) -> None:
    root = make_project({"only.yaml": descriptor("only")})
    site = LiveSite(root)
    rebuild(site)
    gone = root / "models" / "only.yaml"
    gone.unlink()
    outcome = site.rebuild({gone}, trusted=True)
    assert not site.took_hints and not outcome.ok
    assert [p.message for p in outcome.problems] == ["no descriptors (*.yaml) in the models directory"]


def test_an_unreadable_descriptor_is_reported_once_not_on_every_scan(make_project: MakeProject) -> None:
    """A broken link (or a directory named like a descriptor) fails the build; the full scan
    after a trusted rebuild must not count it as changed again, or every save would print its
    error twice (review of session 8)."""
    root = make_project({"a.yaml": descriptor("a")})
    models = root / "models"
    site = LiveSite(root)
    rebuild(site)
    link = models / "gone.yaml"
    link.symlink_to(root / "nowhere.yaml")
    first = site.rebuild({link}, trusted=True)
    assert site.took_hints and not first.ok and first.reloaded == ["models/gone.yaml"]
    again = site.rebuild()
    assert not again.ok and again.reloaded == []
    assert [p.message for p in again.problems] == [p.message for p in first.problems]
    write(models / "a.yaml", descriptor("a", description="Edited."))
    assert site.rebuild({models / "a.yaml"}, trusted=True).reloaded == ["models/a.yaml"]
    assert site.rebuild().reloaded == []
    (root / "nowhere.yaml").write_text(descriptor("gone"), encoding="utf-8")  # the link works now
    outcome = rebuild(site)
    assert outcome.reloaded == ["models/gone.yaml"] and "models/gone/index.html" in outcome.plan


def test_the_same_descriptors_coming_back_after_none_are_seen(make_project: MakeProject) -> None:
    """With every descriptor gone the build fails; the same file names coming back must build
    again (the old listing was kept and the new one taken for it; review of session 8)."""
    root = make_project({"only.yaml": descriptor("only")})
    path = root / "models" / "only.yaml"
    text = path.read_text(encoding="utf-8")
    site = LiveSite(root)
    rebuild(site)
    path.unlink()
    assert not site.rebuild({path}, trusted=True).ok
    write(path, text)
    outcome = rebuild(site)
    assert outcome.reloaded == ["models/only.yaml"] and "models/only/index.html" in outcome.plan


def test_a_page_write_that_fails_is_retried_by_the_next_rebuild(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while ``build --watch`` writes its first build's pages fails that rebuild;
    the next ones must render and write the pages that were not written (found in review: the
    page was kept as rendered, and every later rebuild failed)."""
    from docs_build import resident

    slugs = ["alpha", "beta", "gamma"]
    project = make_project({f"d{i}.yaml": descriptor(slug) for i, slug in enumerate(slugs)})
    real_write, calls = resident.write_file, [0]

    def flaky(*args: Any, **kwargs: Any) -> os.stat_result:
        calls[0] += 1
        if calls[0] == 3:
            raise OSError(28, "No space left on device")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(resident, "write_file", flaky)
    build = resident.ResidentBuild(project, {}, None, report=lambda done: None)
    try:
        failed = build.rebuild(())
        assert not failed.ok and "could not write the site" in failed.problems[-1].message
        again = build.rebuild(())
        assert again.ok, [p.message for p in again.problems]
        for slug in ("alpha", "beta", "gamma"):
            assert (project / "build" / "models" / slug / "index.html").is_file()
        (project / "models" / "d0.yaml").write_text(descriptor("alpha", description="Edited."))
        edited = build.rebuild(())
        assert edited.ok, [p.message for p in edited.problems]
        assert b"Edited." in (project / "build" / "models" / "alpha" / "index.html").read_bytes()
    finally:
        build.stop()
