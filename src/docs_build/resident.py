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

import functools
import gc
import os
import shutil
import threading
import time
import traceback
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from .errors import Location, Problem, display_path
from .live import LiveSite, Outcome
from .watch import Watcher
from .write import MARKER, make_room, publish, staging_path, swap_in

Report = Callable[["Rebuilt"], None]


class Rebuilt:
    """What one rebuild did, for the terminal: its problems, what it wrote, how long it took."""

    def __init__(
        self, outcome: Outcome, written: int, seconds: float, pages_seconds: float | None = None
    ) -> None:
        self.outcome = outcome
        self.written = written
        self.seconds = seconds
        #: When the edited pages were published, before the site-wide files (None: in one step).
        self.pages_seconds = pages_seconds

    @property
    def ok(self) -> bool:
        return self.outcome.ok

    @property
    def problems(self) -> list[Problem]:
        return self.outcome.problems


class DiskSite:
    """``build/`` and the tree beside it, updated by differences."""

    def __init__(self, out: Path, mtime: int | None) -> None:
        self.out = out.absolute()
        self.mtime = mtime
        self.spare = staging_path(self.out)
        #: Paths where the spare differs from the published site; None: the spare is unusable
        #: (not made yet, or a write to it failed), so the next publish writes everything.
        self._behind: set[str] | None = None

    def publish(self, plan: Mapping[str, bytes], changed: Collection[str]) -> int:
        """Make ``build/`` hold exactly ``plan``, which differs from the last plan in ``changed``.

        Returns how many files were written or removed in the tree that was swapped in.
        """
        behind, self._behind = self._behind, None  # until this publish is done
        if behind is None or not (self.spare / MARKER).is_file():
            publish(self.out, plan, mtime=self.mtime)
            shutil.rmtree(self.spare, ignore_errors=True)
            shutil.copytree(self.out, self.spare, copy_function=os.link)
            self._behind = set()
            return len(plan)
        todo = sorted(behind.union(changed))
        for rel in todo:
            target = self.spare / rel
            make_room(target)  # whatever is there goes: files are always written anew
            data = plan.get(rel)
            if data is None:
                self._drop_empty_parents(target)
                continue
            with target.open("xb") as fh:
                fh.write(data)
            if self.mtime is not None:
                os.utime(target, (self.mtime, self.mtime))
        if swap_in(self.spare, self.out):  # the spare now holds the site just replaced
            self._behind = set(changed)
        return len(todo)

    def _drop_empty_parents(self, target: Path) -> None:
        """Remove directories a removed page leaves empty (``models/<slug>/``), never the root."""
        parent = target.parent
        while parent != self.spare and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def close(self) -> None:
        """Delete the tree beside the site (the next ``--watch`` makes it again)."""
        shutil.rmtree(self.spare, ignore_errors=True)


class ResidentBuild:
    """The process behind ``build --watch``: one :class:`LiveSite`, one :class:`DiskSite`."""

    def __init__(
        self,
        root: Path,
        overrides: Mapping[str, object],
        mtime: int | None,
        report: Report,
        debug: bool = False,
    ) -> None:
        self.debug = debug
        self.live = LiveSite(root, overrides)
        self.disk = DiskSite(self.live.config.out, mtime)
        self._report = report
        self._lock = threading.Lock()
        self._watcher: Watcher | None = None
        self._first = True
        self._early: tuple[int, float | None] = (0, None)  # files and time of the pages-only step

    def start(self) -> Rebuilt:
        """Build everything and publish it if good; then watch the inputs."""
        done = self.rebuild(())
        # What the first build made lives as long as the process; frozen, the collector stops
        # walking it on every full collection (a third of a rebuild at 10 000 models).
        gc.collect()
        gc.freeze()
        self._watcher = Watcher(self.live.watch_targets, self._on_change)
        self._watcher.start()
        self._watcher.ready.wait(10)
        return done

    def _on_change(self, changed: set[Path]) -> None:
        self.rebuild(changed)

    def rebuild(self, changed: Collection[Path]) -> Rebuilt:
        """Bring ``build/`` up to date with the inputs; ``changed`` are the watcher's hints."""
        with self._lock:
            started = time.perf_counter()
            self._early = (0, None)
            try:
                outcome = self.live.rebuild(changed, early=functools.partial(self._publish_pages, started))
                if self.live.config.out.absolute() != self.disk.out:
                    outcome = self._refuse(
                        outcome, "the config names another output directory; restart docs-build build --watch"
                    )
                written = self._early[0]
                if outcome.ok and (outcome.changed or self._first):
                    written += self.disk.publish(outcome.plan, outcome.changed)
                    self._first = False
            except OSError as exc:  # disk full, permissions: build/ is as it was; keep watching
                outcome, written = self._refuse(None, f"could not write the site: {exc}"), 0
            except Exception as exc:  # a bug must not stop the watching either
                if self.debug:
                    traceback.print_exc()
                why = f"internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)"
                outcome, written = self._refuse(None, why), 0
            done = Rebuilt(outcome, written, time.perf_counter() - started, self._early[1])
        if changed or done.written or not done.ok:  # a touch that changed no byte stays quiet
            self._report(done)
        return done

    def _publish_pages(self, started: float, outcome: Outcome) -> None:
        """Step one of a descriptor edit (see ``LiveSite.rebuild``): the edited pages beside the
        previous site-wide files, a complete site swapped in like any other, so the page being
        edited is on disk without waiting for the catalog files of every model."""
        if self._first or self.live.config.out.absolute() != self.disk.out:
            return  # the whole site goes out in one step below (or not at all)
        written = self.disk.publish(outcome.plan, outcome.changed)
        self._early = (written, time.perf_counter() - started)

    def _refuse(self, outcome: Outcome | None, why: str) -> Outcome:
        """A failed outcome saying ``why``; the live site forgets its plan was good, so the
        next good rebuild is published in full."""
        where = Location(display_path(self.disk.out, self.live.root))
        problem = Problem(where, f"{why}; {display_path(self.disk.out, self.live.root)} was not changed")
        self._first = True  # the next good rebuild writes the whole site
        previous = [] if outcome is None else outcome.problems
        return Outcome(False, {}, frozenset(), [*previous, problem], [], 0)

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        with self._lock:
            self.disk.close()
