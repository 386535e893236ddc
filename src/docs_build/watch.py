"""Watch the project's inputs and hand debounced batches of changed paths to a callback.

``watchfiles`` (Rust ``notify``, inotify on Linux) groups a burst of events until nothing new
arrived for one ``step``; a step of 20 ms keeps a single save feeling instant while a ``git
checkout`` of hundreds of files still arrives as one batch (capped at ``debounce``). Editors'
scratch files (vim's ``.swp`` and ``4913`` probe, emacs' ``.#lock`` and ``#autosave#``, backup
``~`` files, ``*.tmp`` written before a rename) are dropped here, so they never trigger a build.

Only the inputs are watched: the models directory, the templates directory and the config file.
A directory that does not exist yet cannot be watched, so the watcher re-checks the list of
targets every second and restarts itself when it changes (``templates/`` created, the config
now naming another models directory).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Callable
from pathlib import Path

from watchfiles._rust_notify import RustNotify

#: File names editors write next to the real file; a change to one of these never rebuilds.
IGNORED_NAMES = (
    "*.swp",
    "*.swx",
    "*.swo",
    "*.swpx",
    "*~",
    "4913",
    ".#*",
    "#*#",
    "*.tmp",
    "*.temp",
    "*.bak",
    "*.orig",
    "*.kate-swp",
    ".DS_Store",
    "*.crdownload",
    "___jb_*___",
    "*.___jb_*___",
)
#: Time with no new event after which a batch is handed over (ms).
STEP_MS = 20
#: Longest a continuous burst is held back before a batch is handed over anyway (ms).
DEBOUNCE_MS = 1500
#: How often the list of watch targets is re-checked when nothing happens (ms).
RECHECK_MS = 1000


def is_ignored(path: str | Path) -> bool:
    """True for editor scratch files, backups and dot files that can never be an input."""
    name = Path(path).name
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in IGNORED_NAMES)


Targets = Callable[[], list[Path]]
OnChange = Callable[[set[Path]], None]


class Watcher:
    """A background thread that calls ``on_change`` with each batch of relevant changed paths.

    ``targets`` is asked for the paths to watch before every (re)start, so the watcher follows
    the config. ``on_change`` runs on the watcher thread; events that arrive while it runs are
    queued by the OS and form the next batch, so builds never overlap.
    """

    def __init__(
        self,
        targets: Targets,
        on_change: OnChange,
        *,
        step_ms: int = STEP_MS,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._targets = targets
        self._on_change = on_change
        self._on_error = on_error
        self._step_ms = step_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="docs-build-watch", daemon=True)
        self.ready = threading.Event()

    def start(self) -> None:
        """Begin watching; ``ready`` is set once the OS watches are in place."""
        self._thread.start()

    def stop(self) -> None:
        """Stop within one step and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        """The thread: watch until stopped. Should watching itself fail (the system's limit of
        watches reached at a restart, a callback that raised), ``on_error`` hears of it, so the
        command can say so instead of silently no longer reacting to saves."""
        try:
            self._loop()
        except Exception as exc:
            self.ready.set()
            if self._on_error is not None:
                self._on_error(exc)

    def _loop(self) -> None:
        restarted = False
        while not self._stop.is_set():
            targets = [p for p in self._targets() if p.exists()]
            if not targets:
                self.ready.set()
                self._stop.wait(RECHECK_MS / 1000)
                continue
            restarted = self._watch(targets, rescan=restarted)

    def _watch(self, targets: list[Path], rescan: bool = False) -> bool:
        """Watch ``targets`` until stopped (False) or until the target list changes (True).

        We drive watchfiles' documented Rust backend directly rather than ``watchfiles.watch``:
        the OS watches exist once ``RustNotify`` is constructed, which is the moment ``ready``
        may be set (the generator would only create them on its first ``next()``). After a
        restart (``rescan``), what changed while nobody watched is found by a callback with no
        paths, made only once the new watches exist: a save during that rebuild is an event.
        """
        files = _identities(targets)  # before the watches exist: a rename in between shows
        with RustNotify([str(p) for p in targets], False, False, 300, True, True) as notify:
            self.ready.set()
            if rescan:
                self._on_change(set())
            while True:
                raw = notify.watch(DEBOUNCE_MS, self._step_ms, RECHECK_MS, self._stop)
                if raw == "stop" or self._stop.is_set():
                    return False
                if isinstance(raw, set):
                    changed = {Path(path) for _kind, path in raw if not is_ignored(path)}
                    if changed:
                        self._on_change(changed)
                if [p for p in self._targets() if p.exists()] != targets or _identities(targets) != files:
                    return True


def _identities(targets: list[Path]) -> dict[Path, tuple[int, int]]:
    """Device and i-node of each target (the config file, the watched directories).

    The OS watches an i-node, not a name. An editor that saves by writing a new file and renaming
    it over the old one (vim, ``sed -i``, most IDEs) leaves the watch on the replaced i-node:
    that save is seen, later ones would not be; a directory replaced by a rename (a checkout
    tool swapping ``models/``) is the same. A changed i-node restarts the watcher.
    """
    found: dict[Path, tuple[int, int]] = {}
    for path in targets:
        try:
            st = path.stat()
        except OSError:
            continue
        found[path] = (st.st_dev, st.st_ino)
    return found
