"""The incremental build behind ``serve``: re-render only what the changed bytes can affect.

Every descriptor is cached under the hash of its bytes, every rendered page under that hash plus
the hash of the templates and config ("settings"). A rebuild re-scans the models directory
(a ``stat`` per file; bytes are re-read and re-hashed only when the stat or the watcher says
the file changed), so a missed or coalesced file event can delay a page but never leave it
stale, and a ``touch`` or a checkout that restores the same bytes renders nothing.

What a change re-renders:

* a descriptor: its own page (``pipeline.model_outputs``) plus the site-wide outputs
  (``pipeline.site_outputs``: index, catalog extras, assets);
* a template, an asset override or the config: everything, with a fresh Jinja environment.

A failed rebuild returns its problems and leaves the caller's last good plan alone; the cache
keeps the good parts, so fixing the broken file re-renders only that file.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import load as load_stage
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

    def __init__(self, root: Path, overrides: Mapping[str, object] | None = None) -> None:
        self.root = root.absolute()
        self._overrides = dict(overrides or {})
        self.config, self._config_problems = self._load_config()
        self._settings_digest = b""
        self._renderer: SiteRenderer | None = None
        self._descriptors: dict[Path, _Descriptor] = {}
        self._plan: dict[str, bytes] = {}
        self._site_keys: frozenset[str] = frozenset()
        self._template_problems: list[Problem] = []
        self._last_ok = False

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
        self, changed: Collection[Path] = (), early: Callable[[Outcome], None] | None = None
    ) -> Outcome:
        """Bring the site up to date with the files on disk; ``changed`` are hints from the watcher.

        With ``early``, a descriptor-only change is published in two steps: first the re-rendered
        model pages beside the previous site-wide outputs (``early`` receives that plan), then the
        returned outcome with the site-wide outputs. The page being edited is then served without
        waiting for a catalog index of every model to be converted again (about 0.1 s at 1 000
        models); the index follows a moment later, and each step is a complete, valid site.
        """
        settings_changed = self._refresh_settings()
        if self._config_problems:
            return self._failed(list(self._config_problems), [self._config_display()])
        reloaded, scan_problems = self._scan(set(changed))
        if self._last_ok and not settings_changed and not reloaded and not scan_problems:
            return Outcome(True, self._plan, frozenset(), [], [], 0)  # same bytes: nothing to do
        models = [d.model for d in self._ordered() if d.model is not None]
        problems = scan_problems + [p for d in self._ordered() for p in d.problems] + collisions(models)
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
        if early is not None and self._last_ok and not settings_changed:
            published = self._publish_pages(
                early, apply_strict(problems, self.config.strict), reloaded, rendered
            )
        plan, site_problems = self._assemble(models)
        problems = apply_strict(problems + site_problems, self.config.strict)
        if any(p.is_error for p in problems):
            return self._failed(problems, reloaded, rendered)
        changed_paths = _diff(self._plan, plan)
        self._plan, self._last_ok = plan, True
        return Outcome(True, plan, changed_paths, problems, reloaded, rendered, published)

    def _publish_pages(
        self, early: Callable[[Outcome], None], problems: list[Problem], reloaded: list[str], rendered: int
    ) -> frozenset[str]:
        """Step one of a two-step rebuild: current model pages plus the previous site-wide files."""
        plan = {key: self._plan[key] for key in self._site_keys}
        for entry in self._ordered():
            plan.update(entry.outputs or {})
        changed = _diff(self._plan, plan)
        if changed:
            self._plan = plan
            early(Outcome(True, plan, changed, problems, reloaded, rendered))
        return changed

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
        if self.config.models != old_models_dir:
            self._descriptors.clear()
        for entry in self._descriptors.values():
            entry.outputs = None
            entry.render_problems = []
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

    def _scan(self, hints: set[Path]) -> tuple[list[str], list[Problem]]:
        """Reload descriptors whose bytes changed; returns their names and directory problems."""
        models_dir = self.config.models
        where = display_path(models_dir, self.root)
        if not models_dir.is_dir():
            self._descriptors.clear()
            missing = "models directory not found; create it with one YAML file per model"
            return [], [Problem(Location(where), missing)]
        paths = load_stage.find_descriptors(models_dir)
        if not paths:
            self._descriptors.clear()
            return [], [Problem(Location(where), "no descriptors (*.yaml) in the models directory")]
        seen = set(paths)
        reloaded = [display_path(p, self.root) for p in self._descriptors if p not in seen]
        for path in paths:  # models_dir is absolute, and so are the watcher's paths
            if self._refresh_descriptor(path, path in hints):
                reloaded.append(display_path(path, self.root))
        # Keep the dict in file-name order (the order ``build`` loads in); drops deleted files.
        self._descriptors = {path: self._descriptors[path] for path in paths}
        return reloaded, []

    def _refresh_descriptor(self, path: Path, hinted: bool) -> bool:
        """Re-read ``path`` if its stat or the watcher says so; True when its bytes changed."""
        try:
            st = path.stat()
        except OSError:
            st = None
        stamp: Stamp = (st.st_mtime_ns, st.st_size, st.st_ino) if st else (0, 0, 0)
        entry = self._descriptors.get(path)
        if entry is not None and entry.stamp == stamp and not hinted:
            return False
        raw: bytes | None = None
        if st is not None and stat.S_ISREG(st.st_mode):
            # Never read a FIFO or device: that blocks the watcher for good. load_descriptor
            # reports such a file like build does.
            try:
                raw = path.read_bytes()
            except OSError:
                raw = None
        digest = hashlib.blake2b(raw, digest_size=20).digest() if raw is not None else b""
        if entry is not None and entry.digest == digest and raw is not None:
            entry.stamp = stamp
            return False
        model, problems = load_descriptor(self.config, path, raw)
        self._descriptors[path] = _Descriptor(stamp, digest, model, problems)
        return True

    def _ordered(self) -> list[_Descriptor]:
        """Descriptors in file-name order, the order ``build`` loads them in (see ``_scan``)."""
        return list(self._descriptors.values())

    # -- pages ---------------------------------------------------------------------------------

    def _render_pages(self) -> tuple[int, list[Problem]]:
        """Render every model page that has no cached outputs; returns how many, and problems."""
        assert self._renderer is not None
        rendered = 0
        for entry in self._ordered():
            if entry.model is None or entry.outputs is not None:
                continue
            rendered += 1
            try:
                entry.outputs = model_outputs(self._renderer, entry.model)
                entry.render_problems = []
            except RenderError as exc:
                entry.render_problems = [exc.problem]
        # A broken template fails every page the same way: say it once, as ``build`` does.
        unique = dict.fromkeys(p for d in self._ordered() for p in d.render_problems)
        return rendered, list(unique)

    def _assemble(self, models: list[Model]) -> tuple[dict[str, bytes], list[Problem]]:
        """The whole plan: cached model pages plus freshly rendered site-wide outputs."""
        assert self._renderer is not None
        pages: dict[str, bytes] = {}
        for entry in self._ordered():
            pages.update(entry.outputs or {})
        try:
            site, problems = site_outputs(self._renderer, models, pages)
        except RenderError as exc:
            return pages, [exc.problem]
        plan = {**pages, **site}
        self._site_keys = frozenset(site)
        out = Location(display_path(self.config.out, self.root))
        problems += [Problem(out, message) for message in check_plan_paths(plan)]
        return plan, problems


def _files_under(directory: Path) -> list[Path]:
    """Every regular file below ``directory`` except editor scratch files, in a stable order."""
    return [p for p in template_files(directory) if not is_ignored(p.name)]


def _diff(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> frozenset[str]:
    """Output paths added, removed or with other bytes (identity first: cached pages are reused)."""
    changed = {k for k, v in new.items() if (prev := old.get(k)) is not v and prev != v}
    changed |= old.keys() - new.keys()
    return frozenset(changed)
