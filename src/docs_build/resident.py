"""``docs-build build --watch``: build once, stay up, and keep ``build/`` current on every save.

A one-shot rebuild after one edit must re-learn what the last build knew (the page cache, the
output's state, every model for the catalog pages), which costs seconds at 10 000 models. This
process keeps all of that in memory instead, through :class:`.live.LiveSite`, the incremental
build behind ``serve``, and reacts to file events (:mod:`.watch`), so an edit costs work in
proportion to what it changed.

Each good rebuild is published like ``build`` publishes: written beside the site and swapped in
with one atomic exchange, so a reader of ``build/`` never sees half a site, and a failed rebuild
leaves ``build/`` exactly as it was. The tree beside it (``.build.tmp-<pid>``) is the site before
the last swap. It is brought up to date by writing only the paths that differ: those the last
swap changed plus those this rebuild changed. Files are always written as new files (a new
i-node), never through: the two trees share the unchanged files as hard links.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import Location, Problem, display_path
from .live import LiveSite, Outcome, Stored, settle
from .watch import Watcher
from .write import MARKER, link_file, open_staging, publish, staging_path, swap_in, write_file

Report = Callable[["Rebuilt"], None]


@dataclass
class Rebuilt:
    """What one rebuild did, for the terminal: its problems, what it wrote, how long it took."""

    outcome: Outcome
    written: int
    seconds: float
    #: When the edited pages were published, before the site-wide files (None: in one step).
    pages_seconds: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def problems(self) -> list[Problem]:
        return self.outcome.problems


class NeedsBytes(Exception):
    """The whole site must be written, but only digests of its unchanged files are in memory."""


class DiskSite:
    """``build/`` and the tree beside it, updated by differences."""

    def __init__(self, out: Path, mtime: int | None) -> None:
        self.out = out.absolute()
        self.mtime = mtime
        self.spare = staging_path(self.out)
        #: Paths where the spare differs from the published site; None: the spare is unusable
        #: (not made yet, or a write to it failed), so the next publish writes everything.
        self._behind: set[str] | None = None
        self._staged: Path | None = None  # the tree a full publish is filling (see ``sink``)
        self._sunk: set[str] = set()  # the files written into it so far

    def invalidate(self) -> None:
        """Write the whole site next time (after a failure, nothing on disk is assumed)."""
        self._behind = None

    def ready(self) -> bool:
        """Whether a publish can be made from the changes alone (else it needs every file)."""
        return self._behind is not None and self._both_trees()

    def _both_trees(self) -> bool:
        return (self.spare / MARKER).is_file() and (self.out / MARKER).is_file()

    def publish(self, plan: Mapping[str, bytes], changed: Collection[str]) -> int:
        """Make ``build/`` hold exactly ``plan``, which differs from the last plan in ``changed``.

        Returns how many files were written, linked or removed. Raises :class:`NeedsBytes` when
        every file must be written and ``plan`` holds only digests of some.
        """
        behind = self._behind if self.ready() else None
        self._behind = None  # until this publish is done
        if behind is None:
            return self._publish_all(plan)
        count = self._publish_changes(plan, changed, behind)
        if swap_in(self.spare, self.out):  # the spare now holds the site just replaced
            self._behind = set(changed)
        return count

    def sink(self) -> Callable[[dict[str, bytes]], dict[str, bytes]] | None:
        """For a rebuild whose publish must write every file: a function that writes a page's
        files into the tree being made as soon as they are rendered and returns their digests,
        so the first build of 10 000 models never holds every page in memory. None when the
        changes alone can be published. The tree outlives a failed rebuild (the next one goes
        on filling it); files of pages that went away meanwhile are pruned before the swap.
        """
        if self.ready():
            return None
        if self._staged is None:
            self._staged = open_staging(self.out)  # where the spare was: it is made again after
            self._sunk = set()
        staged = self._staged

        def write(outputs: dict[str, bytes]) -> dict[str, bytes]:
            for rel, data in outputs.items():
                write_file(staged, rel, data, self.mtime)
                self._sunk.add(rel)
            return {rel: Stored.of(data) for rel, data in outputs.items()}

        return write

    def _publish_all(self, plan: Mapping[str, bytes]) -> int:
        """The first publish, or one after ``build/`` or the spare went away: every file."""
        staged, sunk, self._staged, self._sunk = self._staged, self._sunk, None, set()
        if any(
            isinstance(data, Stored) and (staged is None or rel not in sunk) for rel, data in plan.items()
        ):
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            raise NeedsBytes
        if staged is None:
            publish(self.out, plan, mtime=self.mtime)
        else:
            for rel in sunk.difference(plan):  # pages of descriptors that went away meanwhile
                self._remove(staged, rel)
            rest = {rel: data for rel, data in plan.items() if not isinstance(data, Stored)}
            publish(self.out, rest, mtime=self.mtime, staged=staged)
        shutil.rmtree(self.spare, ignore_errors=True)
        shutil.copytree(self.out, self.spare, copy_function=os.link)
        self._behind = set()
        return len(plan)

    def _publish_changes(self, plan: Mapping[str, bytes], changed: Collection[str], behind: set[str]) -> int:
        """Bring the spare (the site before the last swap) to ``plan``: the paths the last swap
        changed get the published file (a hard link to it), the paths changed now get the new
        bytes, and nothing else is touched."""
        for rel in sorted(behind.difference(changed)):  # files are replaced, never written through
            try:
                link_file(self.out / rel, self.spare / rel)
            except FileNotFoundError:  # the last swap removed it
                self._remove(self.spare, rel)
        for rel in sorted(changed):
            data = plan.get(rel)
            if data is None:
                self._remove(self.spare, rel)
            elif isinstance(data, Stored):  # a bookkeeping slip must never become a 20-byte page
                raise NeedsBytes
            else:
                write_file(self.spare, rel, data, self.mtime)
        return len(behind.union(changed))

    def take_back(self, changed: Collection[str]) -> bool:
        """Swap back the site replaced by the last publish, which changed ``changed``; False
        when it cannot be (the spare or ``build/`` went away)."""
        self._behind = None
        if self._both_trees() and swap_in(self.spare, self.out):
            self._behind = set(changed)
            return True
        return False

    @staticmethod
    def _remove(root: Path, rel: str) -> None:
        """Remove a file of a page that went away, and the directories it leaves empty
        (``models/<slug>/``), never ``root`` itself."""
        target = root / rel
        target.unlink(missing_ok=True)
        parent = target.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def close(self) -> None:
        """Delete the tree beside the site (the next ``--watch`` makes it again)."""
        shutil.rmtree(self.spare, ignore_errors=True)
        self._staged = None


@dataclass
class _Early:
    """The pages-only step of the running rebuild, if it published."""

    written: int = 0
    seconds: float | None = None
    changed: frozenset[str] = frozenset()
    superseded: bool = False  # the second publish began


#: A rebuild that rendered this many pages is followed by a garbage collection and a trim.
_SETTLE_PAGES = 1000


class ResidentBuild:
    """The process behind ``build --watch``: one :class:`LiveSite`, one :class:`DiskSite`."""

    def __init__(
        self,
        root: Path,
        overrides: Mapping[str, object],
        mtime: int | None,
        report: Report,
        debug: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.debug = debug
        self.live = LiveSite(root, overrides, keep_bytes=False, progress=progress)
        self.disk = DiskSite(self.live.config.out, mtime)
        self._report = report
        self._lock = threading.Lock()
        self._watcher: Watcher | None = None
        self._early = _Early()
        #: Set when watching cannot go on (the output directory moved); the command then exits.
        self.finished = threading.Event()

    def start(self) -> Rebuilt:
        """Build everything and publish it if good; then watch the inputs."""
        done = self.rebuild(())
        self._watcher = Watcher(self.live.watch_targets, self._on_change, on_error=self._watch_failed)
        self._watcher.start()
        self._watcher.ready.wait(10)
        # What was saved while the first build ran, before anything watched. Said only if
        # something was: a broken project is not reported twice.
        again = self.rebuild((), report=False)
        if again.outcome.reloaded or again.written:
            self._report(again)
        return done

    def _on_change(self, changed: set[Path]) -> None:
        """A batch of events: publish what they name, then make sure nothing else changed.

        The first rebuild takes the events' word for which descriptors changed; the full scan
        after it (a ``stat`` of every descriptor, about 30 ms at 10 000) finds what an event
        missed, and is said only if it found something."""
        self.rebuild(changed, trusted=True)
        if self.live.took_hints:
            again = self.rebuild((), report=False)
            if again.outcome.reloaded or again.written:
                self._report(again)

    def _watch_failed(self, exc: Exception) -> None:
        """Watching stopped for good: say so and let the command end (exit 2)."""
        why = f"watching stopped: {exc}; restart docs-build build --watch"
        with contextlib.suppress(Exception):
            self._report(
                Rebuilt(Outcome(False, {}, frozenset(), [Problem(self._where(), why)], [], 0), 0, 0.0)
            )
        self.finished.set()

    def rebuild(self, changed: Collection[Path], *, report: bool = True, trusted: bool = False) -> Rebuilt:
        """Bring ``build/`` up to date with the inputs; ``changed`` are the watcher's hints
        (``trusted``: see :meth:`LiveSite.rebuild`)."""
        with self._lock:
            started = time.perf_counter()
            self._early = _Early()
            try:
                try:
                    outcome, written = self._rebuild_once(changed, started, trusted)
                except NeedsBytes:  # build/ or the spare went away while this rebuild ran
                    self.live.forget_outputs()
                    outcome, written = self._rebuild_once(changed, started, trusted)
            except OSError as exc:  # disk full, permissions; keep watching
                outcome, written = self._refuse(None, f"could not write the site: {exc}"), 0
            except Exception as exc:  # a bug must not stop the watching either
                if self.debug:
                    traceback.print_exc()
                why = f"internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)"
                outcome, written = self._refuse(None, why), 0
            if outcome.rendered >= _SETTLE_PAGES:
                settle()
            done = Rebuilt(outcome, written, time.perf_counter() - started, self._early.seconds)
        if report and (changed or done.written or not done.ok):  # a touch that changed no byte stays quiet
            with contextlib.suppress(Exception):  # a closed terminal must not stop the watching
                self._report(done)
        return done

    def _rebuild_once(self, changed: Collection[Path], started: float, trusted: bool) -> tuple[Outcome, int]:
        if self.live.bytes_dropped and not self.disk.ready():
            self.live.forget_outputs()  # every file is written: render every page again
        self.live.sink = self.disk.sink()
        try:
            early = functools.partial(self._publish_pages, started)
            outcome = self.live.rebuild(changed, early=early, trusted=trusted)
        finally:
            self.live.sink = None
        if self.live.config.out.absolute() != self.disk.out:
            why = "the config now names another output directory; restart docs-build build --watch"
            self.finished.set()
            return self._refuse(outcome, why), 0
        if not outcome.ok:
            if self._early.seconds is not None:  # its pages went out: take them back
                if self.disk.take_back(self._early.changed):
                    self.live.undo_early()
                else:
                    return self._refuse(outcome, "the edited pages could not be taken back"), 0
            return outcome, 0
        written = self._early.written
        if outcome.changed or not self.disk.ready():
            self._early.superseded = True  # from here on, the pages-only step cannot be taken back
            written += self.disk.publish(outcome.plan, outcome.changed)
        self.live.drop_bytes()  # on disk now; a digest of each is enough
        return outcome, written

    def _publish_pages(self, started: float, outcome: Outcome) -> None:
        """Step one of a descriptor edit (see ``LiveSite.rebuild``): the edited pages beside the
        previous site-wide files, a complete site swapped in like any other, so the page being
        edited is on disk without waiting for the catalog files of every model. Should the
        rest of the rebuild fail, it is swapped back out (:meth:`_rebuild_once`)."""
        if not self.disk.ready() or self.live.config.out.absolute() != self.disk.out:
            return  # the whole site goes out in one step below (or not at all)
        written = self.disk.publish(outcome.plan, outcome.changed)
        self._early = _Early(written, time.perf_counter() - started, outcome.changed)

    def _refuse(self, outcome: Outcome | None, why: str) -> Outcome:
        """A failed outcome saying ``why``. What is on disk is no longer known to match what the
        live site published, so the next good rebuild writes the whole site. A pages-only step
        this rebuild published is taken back first, when it still can be."""
        out = display_path(self.disk.out, self.live.root)
        left = "was not changed"
        if self._early.seconds is not None:
            taken_back = False
            if not self._early.superseded:
                with contextlib.suppress(OSError):
                    taken_back = self.disk.take_back(self._early.changed)
            if taken_back:
                self.live.undo_early()
            else:
                left = "may hold this edit's pages beside the old catalog files until the next good build"
        self.disk.invalidate()
        previous = [] if outcome is None else outcome.problems
        return Outcome(
            False, {}, frozenset(), [*previous, Problem(self._where(), f"{why}; {out} {left}")], [], 0
        )

    def _where(self) -> Location:
        return Location(display_path(self.disk.out, self.live.root))

    def stop(self) -> None:
        """Stop watching, wait for a running rebuild, delete the spare, unfreeze the heap."""
        if self._watcher is not None:
            self._watcher.stop()
        with self._lock:
            self.disk.close()
        gc.unfreeze()
