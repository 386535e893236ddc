"""One writer per output directory: an advisory ``flock`` on a file beside it.

Two builds publishing into one ``build/`` at once would not corrupt it (each swap is atomic),
but their temporary directories and the clean-up of stale ones must not cross, and the site a
user ends up with should be the one from the build that finished last. So whoever writes an
output directory (``build``; ``serve`` if it ever publishes to disk) holds :func:`output_lock`
while it does. The lock file sits *beside* the output (``.build.lock`` next to ``build/``):
inside, it would be swapped away with the old site; and it is never inside a watched input
directory, so taking it cannot trigger a rebuild.

``flock`` locks belong to the open file, so the kernel drops them when a process dies, even by
``SIGKILL``: a crashed build never leaves a stale lock behind. The file itself is left in place
(deleting a lock file races with the next process opening it); it only holds the holder's pid,
for the message the waiting build prints.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long a build waits for another one writing the same output before giving up (seconds).
LOCK_TIMEOUT = 60.0
_POLL = 0.05


class LockTimeout(Exception):
    """Another process kept the output locked for longer than we were willing to wait."""

    def __init__(self, out_dir: Path, lock_file: Path, holder: str, waited: float) -> None:
        who = f"pid {holder}" if holder else "another process"
        super().__init__(
            f"another docs-build ({who}) is writing {out_dir}; waited {waited:g}s for it "
            f"(lock {lock_file}); try again when it has finished, or pass a longer --lock-timeout"
        )
        self.holder = holder


def lock_path(out_dir: Path) -> Path:
    """The lock file of ``out_dir``: ``.<name>.lock`` in the same parent directory."""
    out = out_dir.absolute()
    return out.parent / f".{out.name}.lock"


@contextmanager
def output_lock(out_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[Path]:
    """Hold the exclusive lock of ``out_dir``, waiting up to ``timeout`` seconds for it.

    Raises :class:`LockTimeout` when another holder does not let go in time, and ``OSError``
    when the lock file cannot be created (for example a read-only parent directory).
    """
    path = lock_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, out_dir, path, timeout)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def _acquire(fd: int, out_dir: Path, path: Path, timeout: float) -> None:
    """Poll a non-blocking ``flock`` so the wait is bounded and Ctrl+C stays responsive."""
    started = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= timeout:
                raise LockTimeout(out_dir, path, _holder(fd), round(timeout, 2)) from None
            time.sleep(min(_POLL, max(timeout - waited, 0.0)))


def _holder(fd: int) -> str:
    """The pid the current holder wrote into the lock file ('' when unknown)."""
    try:
        return os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return ""
