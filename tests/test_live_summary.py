"""``live._Summary``: the per-descriptor facts a rebuild keeps up to date from what changed.

A rebuild no longer walks every descriptor; it patches sets and lists for the descriptors it
re-read or rendered, and starts over when the set of descriptors changes. A missed mark would
leave a page out of date, a problem unreported, or a collision unnoticed, so a state machine
drives one long-lived :class:`LiveSite` through random edits, breakages, renames, deletions and
template changes, and after every rebuild compares it with a new ``LiveSite`` made from the
same files: same success, same problems in the same order, same bytes, and a ``changed`` set
that is exactly the difference from what was published before.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from conftest import descriptor
from docs_build import cache
from docs_build import site as site_stage
from docs_build.live import LiveSite, Outcome, _same, _Summary

NAMES = [f"d{i}.yaml" for i in range(5)]
SLUGS = ["alpha", "beta", "gamma", "delta", "ALPHA"]  # "ALPHA" shares alpha's page

#: The header partial, overridden; a model whose description says "boom" fails to render.
HEADER = "{% if 'boom' in model.description %}{{ model.missing }}{% endif %}# {{ model.title }} {tag}\n"
TEMPLATES = {
    "plain": HEADER.replace("{tag}", "one"),
    "other": HEADER.replace("{tag}", "two"),
    "broken": "{% if %}\n",
}

#: What a descriptor file can hold.
KINDS = ["valid", "valid", "boom", "bad yaml", "bad schema"]


def text_of(kind: str, slug: str, words: int) -> str:
    if kind == "bad yaml":
        return "model: [unclosed\n"
    if kind == "bad schema":
        return descriptor(slug).replace('task_type: "text-generation"\n', "")
    description = f"Words {words}." + (" boom" if kind == "boom" else "")
    return descriptor(slug, description=description, weight=words % 3)


def plan_of(outcome: Outcome) -> dict[str, bytes]:
    return dict(outcome.plan)


def assert_summed_up(site: LiveSite) -> None:
    """The summary kept up to date equals one made from scratch of the same descriptors."""
    kept, again = site._summary, _Summary()
    again.refresh(site._descriptors)
    assert not kept.stale and not kept.replaced
    assert kept._position == again._position
    assert kept._models == again._models and kept._missing == again._missing
    assert {k: n for k, n in kept._slugs.items() if n} == again._slugs
    assert kept.clashes == again.clashes
    assert (kept.invalid, kept.unrendered, kept.failed) == (again.invalid, again.unrendered, again.failed)


class LiveAgainstFresh(RuleBasedStateMachine):
    """One LiveSite edited many times agrees with a new one after each rebuild."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path()
        self.site: LiveSite | None = None
        self.hints: set[Path] = set()
        self.clock = 1_700_000_000_000_000_000
        self.published: dict[str, bytes] = {}

    @initialize(root_number=st.integers(0, 10**9), keep_bytes=st.booleans())
    def start(self, root_number: int, keep_bytes: bool) -> None:
        self.root = BASE / f"p{root_number}-{len(list(BASE.iterdir()))}"
        (self.root / "models").mkdir(parents=True)
        (self.root / "templates" / "partials").mkdir(parents=True)
        for name, slug in zip(NAMES[:3], SLUGS, strict=False):
            self._put(self.root / "models" / name, text_of("valid", slug, 0))
        self._put(self.root / "templates" / "partials" / "header.md.j2", TEMPLATES["plain"])
        self.keep_bytes = keep_bytes
        self.site = LiveSite(self.root, keep_bytes=keep_bytes)
        self.hints = set()
        self._check(self.site.rebuild(), None)

    def _put(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        self.clock += 1_000_000  # a distinct mtime, so a scan without hints sees every save
        os.utime(path, ns=(self.clock, self.clock))
        self.hints.add(path)

    @rule(
        at=st.integers(0, len(NAMES) - 1),
        kind=st.sampled_from(KINDS),
        slug=st.sampled_from(SLUGS),
        words=st.integers(0, 3),
    )
    def save(self, at: int, kind: str, slug: str, words: int) -> None:
        self._put(self.root / "models" / NAMES[at], text_of(kind, slug, words))

    @rule(at=st.integers(0, len(NAMES) - 1))
    def delete(self, at: int) -> None:
        path = self.root / "models" / NAMES[at]
        if path.exists():
            path.unlink()
            self.hints.add(path)

    @rule(which=st.sampled_from(sorted(TEMPLATES)))
    def template(self, which: str) -> None:
        self._put(self.root / "templates" / "partials" / "header.md.j2", TEMPLATES[which])

    @precondition(lambda self: self.site is not None)
    @rule(trusted=st.booleans(), give_hints=st.booleans(), early=st.booleans())
    def rebuild(self, trusted: bool, give_hints: bool, early: bool) -> None:
        assert self.site is not None
        hints = self.hints if give_hints else set()
        seen: list[Outcome] = []
        outcome = self.site.rebuild(set(hints), early=seen.append if early else None, trusted=trusted)
        self.hints = set()
        if self.site.took_hints:  # what a caller trusting the hints does next
            self._check(outcome, seen[0] if seen else None)
            seen = []
            outcome = self.site.rebuild()
        self._check(outcome, seen[0] if seen else None)

    @precondition(lambda self: self.site is not None)
    @rule(fail_at=st.integers(1, 3))
    def rebuild_with_a_failing_write(self, fail_at: int) -> None:
        """``build --watch`` writes pages as they render (``sink``); a write can fail (a full
        disk). The rebuild stops there, and the next one must render what was not written."""
        assert self.site is not None
        calls: list[int] = []

        def sink(outputs: dict[str, bytes]) -> dict[str, bytes]:
            calls.append(1)
            if len(calls) == fail_at:
                raise OSError(28, "No space left on device")
            return outputs

        self.site.sink = sink
        try:
            outcome = self.site.rebuild(set(self.hints))
        except OSError:
            return
        finally:
            self.site.sink = None
            self.hints = set()
        self._check(outcome, None)

    def _check(self, outcome: Outcome, early: Outcome | None) -> None:
        assert self.site is not None
        with pytest.MonkeyPatch.context() as mp:  # no memo of this process helps the reference
            mp.setattr(cache, "_MEMO", cache._Memo())
            mp.setattr(cache, "_TAILS", OrderedDict())
            fresh = LiveSite(self.root).rebuild()
        assert_summed_up(self.site)
        assert outcome.ok == fresh.ok
        assert outcome.problems == fresh.problems
        if not outcome.ok:
            if early is not None:
                self.site.undo_early()  # as build --watch takes the early pages back
            return
        if early is not None:
            self._check_changed(early)
        self._check_changed(outcome)
        mine, want = plan_of(outcome), plan_of(fresh)
        assert sorted(mine) == sorted(want)
        for rel, data in want.items():
            assert _same(mine[rel], data), rel
        if not self.keep_bytes:
            self.site.drop_bytes()

    def _check_changed(self, outcome: Outcome) -> None:
        plan = plan_of(outcome)
        before = self.published
        differ = {k for k in plan.keys() | before.keys() if not _same(plan.get(k), before.get(k))}
        assert outcome.changed == differ
        self.published = plan


BASE = Path()


@pytest.fixture
def base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    global BASE
    monkeypatch.setattr(cache, "LIST_CHUNK", 2)
    monkeypatch.setattr(cache, "MEMO_CHUNK", 2)
    monkeypatch.setattr(site_stage, "PART_CHUNK", 2)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    BASE = tmp_path


LiveAgainstFresh.TestCase.settings = settings(
    max_examples=int(os.environ.get("DOCS_BUILD_FUZZ_EXAMPLES", "40")),
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def test_a_live_site_agrees_with_a_fresh_one_after_any_changes(base: None) -> None:
    LiveAgainstFresh.TestCase().runTest()
