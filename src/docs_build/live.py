"""The incremental build behind ``serve``: re-render only what the changed bytes can affect.

Every descriptor is cached under the hash of its bytes, every rendered page under that hash plus
the hash of the templates and config ("settings"). A rebuild re-scans the models directory
(a ``stat`` per file; bytes are re-read and re-hashed only when the stat or the watcher says
the file changed), so a missed or coalesced file event can delay a page but never leave it
stale, and a ``touch`` or a checkout that restores the same bytes renders nothing. A rebuild
for the watcher's events may look at the named descriptors only (``trusted``): at 10 000
models the full scan is a quarter of an edit's work, so the caller publishes first and runs
the full scan right after (:attr:`LiveSite.took_hints`).

What a change re-renders:

* a descriptor: its own page (``pipeline.model_outputs``) plus the site-wide outputs
  (``pipeline.site_outputs``: index, catalog extras, assets);
* a template, an asset override or the config: everything, with a fresh Jinja environment.

A failed rebuild returns its problems and leaves the caller's last good plan alone; the cache
keeps the good parts, so fixing the broken file re-renders only that file.
"""

from __future__ import annotations

import bisect
import contextlib
import ctypes
import ctypes.util
import functools
import gc
import hashlib
import os
import stat
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import load as load_stage
from .cache import PieceMemo, pieces_stored
from .config import Config, load_config
from .errors import Location, Problem, apply_strict, display_path
from .model import Model
from .pipeline import (
    SiteRenderer,
    check_templates,
    collisions,
    load_descriptor,
    model_outputs,
    site_outputs,
    version,
)
from .render import RenderError
from .site import PartMemo
from .templates import template_files
from .watch import is_ignored
from .write import check_plan_paths

Stamp = tuple[int, int, int]


@dataclass
class _Descriptor:
    """One descriptor as last seen: its bytes' digest, the model and its rendered outputs."""

    stamp: Stamp
    digest: bytes
    model: Model | None
    problems: list[Problem]
    outputs: dict[str, bytes] | None = None
    render_problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    """What one rebuild produced.

    ``plan`` is the complete new site when ``ok``; ``changed`` lists the output paths whose bytes
    differ from the previous good plan (removed paths included). ``reloaded`` names the inputs
    whose bytes were re-read, so the terminal can show what the build reacted to.
    """

    ok: bool
    plan: Mapping[str, bytes]
    changed: frozenset[str]
    problems: list[Problem]
    reloaded: list[str]
    rendered: int
    #: Paths already published by the early, pages-only step of this rebuild (see ``rebuild``).
    early: frozenset[str] = frozenset()


class LiveSite:
    """Holds the caches between rebuilds; one instance per ``serve`` process, one thread at a time."""

    def __init__(
        self,
        root: Path,
        overrides: Mapping[str, object] | None = None,
        *,
        keep_bytes: bool = True,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.root = root.absolute()
        self._keep_bytes = keep_bytes  # False: the caller calls drop_bytes once outputs are on disk
        self._progress = progress  # (pages rendered, pages to render), for a bar on long renders
        #: Set by ``build --watch`` while a rebuild's publish must write every file: it takes
        #: each page's outputs as they are rendered and returns what to keep (their digests).
        self.sink: Callable[[dict[str, bytes]], dict[str, bytes]] | None = None
        self._overrides = dict(overrides or {})
        self.config, self._config_problems = self._load_config()
        self._settings_digest = b""
        self._renderer: SiteRenderer | None = None
        self._descriptors: dict[Path, _Descriptor] = {}
        self._plan: dict[str, bytes] = {}
        self._site_keys: frozenset[str] = frozenset()  # the site-wide paths of ``_plan``
        self._pages: dict[str, bytes] = {}  # every model page (see ``_model_pages``)
        self._summary = _Summary()
        self._contributed: dict[Path, dict[str, bytes] | None] = {}
        self._unpublished: set[str] = set()
        self._checked: frozenset[str] = frozenset({""})  # the paths of the last plan that passed
        self._fresh: list[Path] = []  # descriptors rendered since the last ``drop_bytes``
        #: The plan and unpublished paths before this rebuild's pages-only step (``undo_early``).
        self._before_early: tuple[dict[str, bytes], set[str]] | None = None
        #: Whether outputs are held as digests only (see :meth:`drop_bytes`).
        self.bytes_dropped = False
        self._template_problems: list[Problem] = []
        self._last_ok = False
        self._pieces = PieceMemo()
        self._paths: dict[str, Path] = {}  # descriptor file name -> its Path, made once
        self._names_dir: Path | None = None
        self._names_listed: list[str] = []  # the last listing, and its paths in the same order
        self._paths_listed: list[Path] = []
        #: Whether the last rebuild looked only at the descriptors the watcher named (``trusted``).
        self.took_hints = False

    # -- what to watch -------------------------------------------------------------------------

    def watch_targets(self) -> list[Path]:
        """Inputs of the site: the models and templates directories and the config file."""
        targets = [self.config.models, self.config.templates]
        targets.append(self.config.config_file or self.root / "docs-build.toml")
        # Folders linked into templates/ live elsewhere; the watcher does not follow links.
        linked = {p.parent.resolve() for p in template_files(self.config.templates)}
        targets += sorted(d for d in linked if not d.is_relative_to(self.config.templates.resolve()))
        return targets

    # -- the rebuild ---------------------------------------------------------------------------

    def rebuild(
        self,
        changed: Collection[Path] = (),
        early: Callable[[Outcome], None] | None = None,
        *,
        trusted: bool = False,
    ) -> Outcome:
        """Bring the site up to date with the files on disk; ``changed`` are hints from the watcher.

        With ``trusted``, when every hint is a file directly in the models directory, only those
        files are looked at, not all 10 000 (:attr:`took_hints` says whether that happened).
        Events can be lost (an overflowing kernel queue, a descriptor that links to a file
        elsewhere), so a caller that trusts them must call ``rebuild()`` once it has published
        this one: that full scan is the guarantee the watcher alone cannot give.

        With ``early``, a descriptor-only change is published in two steps: first the re-rendered
        model pages beside the previous site-wide outputs (``early`` receives that plan), then the
        returned outcome with the site-wide outputs. The page being edited is then served without
        waiting for a catalog index of every model to be converted again (about 0.1 s at 1 000
        models); the index follows a moment later, and each step is a complete, valid site.
        """
        self._before_early = None
        self.took_hints = False
        settings_changed = self._refresh_settings()
        if self._config_problems:
            return self._failed(list(self._config_problems), [self._config_display()])
        reloaded, scan_problems = self._scan(set(changed), trusted and not settings_changed)
        summary = self._summary
        summary.refresh(self._descriptors)
        if self._last_ok and not settings_changed and not reloaded and not scan_problems:
            return Outcome(True, self._plan, frozenset(), [], [], 0)  # same bytes: nothing to do
        # Until this rebuild succeeds: one that raises (a page that could not be written) must
        # not leave the next one taking the last plan as up to date.
        was_ok, self._last_ok = self._last_ok, False
        models = summary.models()
        found = [p for path in summary.in_order(summary.invalid) for p in self._descriptors[path].problems]
        problems = scan_problems + found + (collisions(models) if summary.clashes else [])
        problems += self._template_problems
        if settings_changed:
            reloaded.insert(0, "templates and config")
        if self._fatal(problems):
            return self._failed(problems, reloaded)
        rendered, render_problems = self._render_pages()
        problems += render_problems
        if self._fatal(problems):
            return self._failed(problems, reloaded, rendered)
        published: frozenset[str] = frozenset()
        if early is not None and was_ok and not settings_changed:
            published = self._publish_pages(
                early, apply_strict(problems, self.config.strict), reloaded, rendered
            )
        plan, site_keys, site_problems = self._assemble(models)
        problems = apply_strict(problems + site_problems, self.config.strict)
        if any(p.is_error for p in problems):
            return self._failed(problems, reloaded, rendered)
        changed_paths = _diff(self._plan, plan, self._unpublished | site_keys | self._site_keys)
        self._plan, self._last_ok = plan, True
        self._unpublished, self._site_keys = set(), site_keys
        return Outcome(True, plan, changed_paths, problems, reloaded, rendered, published)

    def _publish_pages(
        self, early: Callable[[Outcome], None], problems: list[Problem], reloaded: list[str], rendered: int
    ) -> frozenset[str]:
        """Step one of a two-step rebuild: current model pages plus the previous site-wide files."""
        plan = {key: self._plan[key] for key in self._site_keys}
        plan.update(self._model_pages())
        changed = _diff(self._plan, plan, self._unpublished)
        if changed:
            self._before_early = (self._plan, self._unpublished)
            self._plan = plan
            self._unpublished = set()
            early(Outcome(True, plan, changed, problems, reloaded, rendered))
        return changed

    def undo_early(self) -> None:
        """Forget the pages-only step of the last rebuild: its caller took it back after the
        rebuild failed (``build --watch`` publishes only what a one-shot build would)."""
        if self._before_early is not None:
            self._plan, self._unpublished = self._before_early
            self._before_early = None

    def _model_pages(self) -> dict[str, bytes]:
        """Every model page, kept up to date by what changed since the last call.

        Building it from all 10 000 descriptors on each rebuild took longer than rendering the
        edited page. Only the descriptors re-read or rendered since the last call are looked at
        (all of them after the set of descriptors changed, see :class:`_Summary`). A
        descriptor's outputs are replaced, never changed in place, so an identity compare finds
        those whose pages changed; their old paths are all removed before any new ones are
        added, since a path can move from one descriptor to another (a slug taken over from a
        model renamed in the same rebuild). The paths touched are remembered until a plan
        holding them is published (``_unpublished``), for the diff of that plan.
        """
        pages, contributed, now = self._pages, self._contributed, self._descriptors
        touched = self._summary.take_touched()
        if touched is None:
            gone: Collection[Path] = contributed.keys() - now.keys()
            candidates: Iterable[Path] = now
        else:
            gone, candidates = (), self._summary.in_order(touched)
        changed = [path for path in candidates if contributed.get(path) is not now[path].outputs]
        for path in [*gone, *changed]:
            for key in contributed.pop(path, None) or ():
                pages.pop(key, None)
                self._unpublished.add(key)
        for path in changed:
            outputs = contributed[path] = now[path].outputs
            if outputs:
                pages.update(outputs)
                self._unpublished.update(outputs)
        return pages

    # -- bytes already on disk (``build --watch``) ------------------------------------------------

    def drop_bytes(self) -> None:
        """Keep only a digest of each model page rendered since the last call.

        ``build --watch`` calls this once a plan is on disk: the pages of 10 000 models are
        half a gigabyte, and on disk already. What a rebuild compares them with is then their
        digest (:class:`Stored`, see :func:`_same`). The site-wide files stay as bytes: they are
        few, and every edit makes most of them again, so comparing bytes is cheaper than hashing
        them. The next plan written in full needs every page's bytes again:
        :meth:`forget_outputs` renders everything anew.
        """
        waiting: list[Path] = []
        for path in self._fresh:
            entry = self._descriptors.get(path)
            if entry is None or not entry.outputs or isinstance(next(iter(entry.outputs.values())), Stored):
                continue
            if self._contributed.get(path) is not entry.outputs:  # not in a plan yet
                waiting.append(path)
                continue
            stored: dict[str, bytes] = {k: Stored.of(v) for k, v in entry.outputs.items()}
            for key, data in entry.outputs.items():
                if self._plan.get(key) is data:
                    self._plan[key] = stored[key]
            entry.outputs = self._contributed[path] = stored
            self._pages.update(stored)
        self._fresh = waiting
        self.bytes_dropped = True

    def forget_outputs(self) -> None:
        """Render every page again on the next rebuild, as after a change of templates."""
        self._renderer = None
        self.bytes_dropped = False

    def _fatal(self, problems: list[Problem]) -> bool:
        """Whether ``problems`` fail the build; under ``strict`` a warning does too (before any
        page is published early, so ``serve --strict`` never shows what ``build --strict`` refuses)."""
        return any(p.is_error or self.config.strict for p in problems)

    def _failed(self, problems: list[Problem], reloaded: list[str], rendered: int = 0) -> Outcome:
        self._last_ok = False
        problems = apply_strict(problems, self.config.strict)
        return Outcome(False, self._plan, frozenset(), problems, reloaded, rendered)

    # -- settings: config file and templates ---------------------------------------------------

    def _load_config(self) -> tuple[Config, list[Problem]]:
        config, problems = load_config(self.root)
        return config.with_overrides(**self._overrides), problems

    def _config_display(self) -> str:
        return display_path(self.config.config_file or self.root / "docs-build.toml", self.root)

    def _refresh_settings(self) -> bool:
        """Re-hash config and templates; on a change, reload the config and drop every page."""
        digest = self._settings_hash()
        if digest == self._settings_digest and self._renderer is not None:
            return False
        old_models_dir = self.config.models
        self.config, self._config_problems = self._load_config()
        if self._config_problems:
            # Remember the broken state too, so restoring the previous bytes counts as a change.
            self._settings_digest = digest
            return True
        self._settings_digest = digest
        self._template_problems = check_templates(self.config)
        self._renderer = SiteRenderer(self.config)
        self._renderer.parts = PartMemo()
        if self.config.models != old_models_dir:
            self._descriptors.clear()
        for entry in self._descriptors.values():
            entry.outputs = None
            entry.render_problems = []
        self._summary.stale = True
        return True

    def _settings_hash(self) -> bytes:
        """Digest of the config file and every file under templates/ (names and bytes)."""
        h = hashlib.blake2b(version().encode(), digest_size=20)
        config_file = self.config.config_file or self.root / "docs-build.toml"
        for path in [config_file, *_files_under(self.config.templates)]:
            h.update(os.fsencode(path) + b"\0")
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"\1missing")
        return h.digest()

    # -- descriptors ---------------------------------------------------------------------------

    def _scan(self, hints: set[Path], trusted: bool = False) -> tuple[list[str], list[Problem]]:
        """Reload descriptors whose bytes changed; returns their names and directory problems.

        This runs on every rebuild, so at 10 000 models its per-file Python work matters as much
        as the ``stat`` calls: names are stat-ed relative to the directory, and a file whose
        stamp is unchanged costs one dict lookup and a tuple compare. With ``trusted`` hints
        (see :meth:`rebuild`) the directory is neither listed nor stat-ed file by file.
        """
        models_dir = self.config.models
        where = display_path(models_dir, self.root)
        if not models_dir.is_dir():
            self._descriptors.clear()
            self._summary.stale = True
            missing = "models directory not found; create it with one YAML file per model"
            return [], [Problem(Location(where), missing)]
        hinted = self._hinted_listing(models_dir, hints) if trusted else None
        self.took_hints = hinted is not None
        names, paths = (hinted[0], hinted[1]) if hinted else self._find_descriptors(models_dir)
        if not paths:
            self._descriptors.clear()
            self._summary.stale = True
            # Forget the listing too: the same names coming back must be seen as new.
            self._names_listed, self._paths_listed = [], []
            return [], [Problem(Location(where), "no descriptors (*.yaml) in the models directory")]
        descriptors = self._descriptors
        reloaded = []
        if len(descriptors) != len(paths) or names is not self._names_listed:
            seen = set(paths)
            reloaded = [display_path(p, self.root) for p in descriptors if p not in seen]
        try:
            fd: int | None = os.open(models_dir, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:
            fd = None
        try:
            todo: Iterable[tuple[str, Path]] = zip(names, paths, strict=True)
            if hinted:
                todo = hinted[2]
            elif fd is not None and names is self._names_listed and len(descriptors) == len(names):
                todo = self._changed_since(names, paths, fd, hints)
            reloaded += [display_path(path, self.root) for path in self._refresh_all(todo, fd, hints)]
        finally:
            if fd is not None:
                os.close(fd)
        # Keep the dict in file-name order (the order ``build`` loads in); drops deleted files.
        if names is not self._names_listed:
            self._descriptors = {path: self._descriptors[path] for path in paths}
            self._summary.stale = True
            self._names_listed, self._paths_listed = names, paths
        return reloaded, []

    def _refresh_all(self, todo: Iterable[tuple[str, Path]], fd: int | None, hints: set[Path]) -> list[Path]:
        """Stat each (name, path) in ``todo``; re-read those whose stamp changed or that the
        watcher named. Returns the paths whose bytes changed."""
        changed: list[Path] = []
        for name, path in todo:  # all absolute, like the watcher's paths
            try:
                st: os.stat_result | None = os.stat(name, dir_fd=fd) if fd is not None else path.stat()
            except OSError:
                st = None
            entry = self._descriptors.get(path)
            if entry is not None and st is not None and entry.stamp == _stamp(st) and path not in hints:
                continue
            if self._refresh_descriptor(path, st):
                changed.append(path)
        return changed

    def _changed_since(
        self, names: list[str], paths: list[Path], fd: int, hints: set[Path]
    ) -> Iterable[tuple[str, Path]]:
        """The descriptors whose stamp changed, or the watcher named, since the last scan.

        Only for a listing equal to the last one (same names, same order as ``_descriptors``).
        The ``stat`` calls run in C (``map`` over a partial of ``os.stat``) and the stamps are
        compared as one list, so 10 000 unchanged files cost little more than their syscalls.
        What this cannot tell (a file gone meanwhile) goes through the careful loop instead.
        """
        try:
            stats = list(map(functools.partial(os.stat, dir_fd=fd), names))
        except OSError:
            return zip(names, paths, strict=True)
        stamps = list(map(_stamp, stats))
        known = [entry.stamp for entry in self._descriptors.values()]
        named = {hint.name for hint in hints if hint.parent == self.config.models}
        if stamps == known:
            return [(n, p) for n, p in zip(names, paths, strict=True) if n in named]
        return [
            (n, p)
            for n, p, now, then in zip(names, paths, stamps, known, strict=True)
            if now != then or n in named
        ]

    def _hinted_listing(
        self, models_dir: Path, hints: set[Path]
    ) -> tuple[list[str], list[Path], list[tuple[str, Path]]] | None:
        """(names, paths, what to look at) from the last listing and the hints alone.

        The hinted descriptors that appeared are added to the listing, those that went away
        removed, and the hinted ones still there are looked at. None when the hints cannot
        stand for a scan: none given, one outside the models directory (a template, the
        config, a subdirectory), no complete listing to start from, or no descriptor left.
        Like :meth:`_find_descriptors`, an unchanged listing is returned as the very same lists.
        """
        names = self._names_listed
        if (
            not hints
            or models_dir != self._names_dir
            or not names
            or len(self._descriptors) != len(names)
            or any(hint.parent != models_dir for hint in hints)
        ):
            return None
        look, added, removed = [], [], set()
        for name in sorted({hint.name for hint in hints if load_stage.is_descriptor_name(hint.name)}):
            at = bisect.bisect_left(names, name)
            listed = at < len(names) and names[at] == name
            if os.path.lexists(models_dir / name):  # a broken link too: os.listdir lists it
                look.append(name)
                if not listed:
                    added.append(name)
            elif listed:
                removed.add(name)
        known = self._paths
        for name in added:
            known.setdefault(name, models_dir / name)
        todo = [(name, known[name]) for name in look]
        if not added and not removed:
            return names, self._paths_listed, todo
        names = sorted([*(n for n in names if n not in removed), *added])
        if not names:
            return None
        return names, [known[n] for n in names], todo

    def _find_descriptors(self, models_dir: Path) -> tuple[list[str], list[Path]]:
        """``load.find_descriptors`` as (names, paths), each ``Path`` made once per process.

        When the listing is the one of the last rebuild (the usual case: a file was saved), the
        very same lists are returned, which tells :meth:`_scan` the order did not change.
        """
        if models_dir != self._names_dir:
            self._paths, self._names_dir = {}, models_dir
            self._names_listed, self._paths_listed = [], []
        names = sorted(filter(load_stage.is_descriptor_name, os.listdir(models_dir)))
        if names == self._names_listed:
            return self._names_listed, self._paths_listed
        known = self._paths
        for name in names:
            if name not in known:
                known[name] = models_dir / name
        if len(known) > 2 * len(names) + 64:  # files come and go: forget the names that went
            self._paths = known = {n: known[n] for n in names}
        self._paths_listed = [known[n] for n in names]
        return names, self._paths_listed

    def _refresh_descriptor(self, path: Path, st: os.stat_result | None) -> bool:
        """Re-read ``path`` (stat-ed as ``st``); True when its bytes changed."""
        stamp = _stamp(st) if st else (0, 0, 0)
        entry = self._descriptors.get(path)
        raw: bytes | None = None
        if st is not None and stat.S_ISREG(st.st_mode):
            # Never read a FIFO or device: that blocks the watcher for good. load_descriptor
            # reports such a file like build does.
            try:
                raw = path.read_bytes()
            except OSError:
                raw = None
        digest = hashlib.blake2b(raw, digest_size=20).digest() if raw is not None else b""
        # Unchanged: the same bytes, or still unreadable (a broken link, a directory, no read
        # permission) with the same stat; else every scan would report it again.
        if entry is not None and entry.digest == digest and (raw is not None or entry.stamp == stamp):
            entry.stamp = stamp
            return False
        model, problems = load_descriptor(self.config, path, raw)
        self._descriptors[path] = _Descriptor(stamp, digest, model, problems)
        if entry is None:  # a new key: the order is made again (see ``_scan``)
            self._summary.stale = True
        self._summary.replaced.add(path)
        return True

    # -- pages ---------------------------------------------------------------------------------

    def _render_pages(self) -> tuple[int, list[Problem]]:
        """Render every model page that has no cached outputs; returns how many, and problems."""
        assert self._renderer is not None
        summary = self._summary
        rendered = 0
        todo = summary.in_order(summary.unrendered)
        for path in todo:
            entry = self._descriptors[path]
            assert entry.model is not None and entry.outputs is None
            rendered += 1
            if self._progress is not None:
                self._progress(rendered, len(todo))
            try:
                outputs = model_outputs(self._renderer, entry.model)
                if self.sink is not None:  # written to disk at once, kept as digests
                    outputs = self.sink(outputs)
                # Kept only once written: a write that fails (a full disk) leaves the page to
                # render again, as the summary still says.
                entry.outputs = outputs
                entry.render_problems = []
                if not self._keep_bytes:
                    self._fresh.append(path)
            except RenderError as exc:
                entry.render_problems = [exc.problem]
            summary.note(path, entry)
        # A broken template fails every page the same way: say it once, as ``build`` does.
        failed = summary.in_order(summary.failed)
        unique = dict.fromkeys(p for path in failed for p in self._descriptors[path].render_problems)
        return rendered, list(unique)

    def _assemble(self, models: list[Model]) -> tuple[dict[str, bytes], frozenset[str], list[Problem]]:
        """The whole plan (cached model pages plus freshly rendered site-wide outputs), the
        site-wide paths in it, and problems."""
        assert self._renderer is not None
        pages = self._model_pages()
        try:
            with pieces_stored(self._pieces):
                site, problems = site_outputs(self._renderer, models, pages)
        except RenderError as exc:
            return dict(pages), frozenset(), [exc.problem]
        finally:
            self._pieces.trim()
            if self._renderer.parts is not None:
                self._renderer.parts.trim()
        plan = {**pages, **site}
        if plan.keys() != self._checked:  # the same paths as a plan that passed: skip
            out = Location(display_path(self.config.out, self.root))
            found = [Problem(out, message) for message in check_plan_paths(plan)]
            problems += found
            if not found:
                self._checked = frozenset(plan)
        return plan, frozenset(site), problems


class _Summary:
    """What a rebuild needs to know of every descriptor, kept up to date from those that
    changed.

    At 10 000 models one walk over the descriptors takes a few milliseconds (the entries are
    spread over a heap of a gigabyte, so each is a cache miss), and a rebuild needed six: the
    model list, the problems, the pages to render, render problems and the model pages (twice).
    Together that was longer than rendering the edited page. Here each is kept as a set or a
    list and patched for the descriptors in :attr:`replaced`; whatever changes the set or order
    of descriptors, or drops every page, sets :attr:`stale` and the next :meth:`refresh` starts
    over. ``tests/test_live_summary.py`` compares it after every rebuild with one made from
    scratch, and the rebuild with a fresh site's, so a missed mark shows.
    """

    def __init__(self) -> None:
        #: The descriptors are not the ones summed up (added, removed, reordered, re-rendered).
        self.stale = True
        #: Descriptors whose entry was replaced since the last :meth:`refresh`.
        self.replaced: set[Path] = set()
        self._position: dict[Path, int] = {}
        self._models: list[Model | None] = []  # in file order
        self._missing = 0  # how many of them are None
        self._slugs: dict[str, int] = {}  # casefolded slug -> how many models have it
        #: Models sharing a page with an earlier one (``pipeline.collisions`` names them).
        self.clashes = 0
        self.invalid: set[Path] = set()  # descriptors with load problems
        self.unrendered: set[Path] = set()  # a model and no outputs: rendered by the next rebuild
        self.failed: set[Path] = set()  # the last render failed
        #: Descriptors whose outputs may differ from the model pages; None: any of them.
        self._touched: set[Path] | None = None

    def refresh(self, descriptors: Mapping[Path, _Descriptor]) -> None:
        """Bring the summary up to date with ``descriptors`` (in file order)."""
        if self.stale:
            self._start_over(descriptors)
            return
        for path in self.replaced:
            entry = descriptors[path]
            at = self._position[path]
            self._count(self._models[at], -1)
            self._count(entry.model, 1)
            self._models[at] = entry.model
            self.note(path, entry)
        self.replaced.clear()

    def _start_over(self, descriptors: Mapping[Path, _Descriptor]) -> None:
        self._position = {path: at for at, path in enumerate(descriptors)}
        entries = descriptors.items()
        self._models = [entry.model for entry in descriptors.values()]
        self._missing, self._slugs, self.clashes = 0, {}, 0
        for model in self._models:
            self._count(model, 1)
        self.invalid = {path for path, entry in entries if entry.problems}
        self.unrendered = {path for path, e in entries if e.model is not None and e.outputs is None}
        self.failed = {path for path, entry in entries if entry.render_problems}
        self._touched = None
        self.replaced.clear()
        self.stale = False

    def _count(self, model: Model | None, step: int) -> None:
        """Add (``step`` 1) or take away (-1) a model from the missing and slug counts."""
        if model is None:
            self._missing += step
            return
        key = model.slug.casefold()
        before = self._slugs.get(key, 0)
        self._slugs[key] = before + step
        if (before if step > 0 else before - 1) > 0:  # a second model on one page, or one fewer
            self.clashes += step

    def models(self) -> list[Model]:
        """Every loaded model, in file order."""
        if self._missing:
            return [model for model in self._models if model is not None]
        return list(self._models)  # type: ignore[arg-type]  # no None in it

    def in_order(self, paths: Iterable[Path]) -> list[Path]:
        """``paths`` (descriptors summed up) in file order."""
        return sorted(paths, key=self._position.__getitem__)

    def note(self, path: Path, entry: _Descriptor) -> None:
        """``entry`` was just rendered or failed to be, or was re-read (:meth:`refresh`)."""
        _mark(self.invalid, path, bool(entry.problems))
        _mark(self.unrendered, path, entry.model is not None and entry.outputs is None)
        _mark(self.failed, path, bool(entry.render_problems))
        if self._touched is not None:
            self._touched.add(path)

    def take_touched(self) -> set[Path] | None:
        """The descriptors whose outputs may have changed since the last call (None: any)."""
        touched, self._touched = self._touched, set()
        return touched


def _mark(paths: set[Path], path: Path, member: bool) -> None:
    if member:
        paths.add(path)
    else:
        paths.discard(path)


def _stamp(st: os.stat_result) -> Stamp:
    """What a descriptor's stat must keep for its bytes to be taken as unchanged."""
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _files_under(directory: Path) -> list[Path]:
    """Every regular file below ``directory`` except editor scratch files, in a stable order."""
    return [p for p in template_files(directory) if not is_ignored(p.name)]


class Stored(bytes):
    """The digest standing for an output's bytes once they are on disk (:meth:`LiveSite.drop_bytes`)."""

    @classmethod
    def of(cls, data: bytes) -> Stored:
        """The digest of ``data`` (``data`` itself when it is one already)."""
        if isinstance(data, Stored):
            return data
        return cls(hashlib.blake2b(data, digest_size=20).digest())


def _same(a: bytes | None, b: bytes | None) -> bool:
    """Whether two outputs hold the same bytes; either may be a :class:`Stored` digest."""
    if a is b:
        return True
    if a is None or b is None:
        return False
    if isinstance(a, Stored) is isinstance(b, Stored):
        return a == b
    return Stored.of(a) == Stored.of(b)


def _diff(old: Mapping[str, bytes], new: Mapping[str, bytes], keys: Collection[str]) -> frozenset[str]:
    """Which of ``keys`` were added, removed or have other bytes; every other path is known to
    be the same object in both plans (identity first: cached pages are reused)."""
    return frozenset(k for k in keys if not _same(old.get(k), new.get(k)))


def settle() -> None:
    """After a rebuild that rendered many pages (the first build; in ``build --watch`` also a
    template change).

    What it made lives as long as the process: frozen, the collector stops walking it on every
    full collection (a third of a rebuild at 10 000 models). The heap freed by
    :meth:`LiveSite.drop_bytes` goes back to the system.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _return_freed_memory()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _return_freed_memory() -> None:
    """Give freed heap back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    The pages' bytes are freed once they are on disk, but glibc keeps freed heap memory for
    reuse: at 10 000 models the process would go on holding about half a gigabyte it no
    longer uses.
    """
    libc = _libc()
    with contextlib.suppress(AttributeError):
        if libc is not None:
            libc.malloc_trim(0)
