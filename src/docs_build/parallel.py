"""Stages 1-4 for every model page, spread over a process pool, pages streamed to disk.

Each descriptor is independent until the site-wide pages, so a worker takes a descriptor
*path* and does everything for it: read, load, validate, render, convert, scan its links and,
when building, write its files into the staging directory that :func:`write.publish` later
swaps in. It sends back only a :class:`PageResult`: the model without its schemas (what the
catalog and site-wide files need), its problems and its link facts. The parent never holds
page bodies, only a small record per page (see :func:`compact`).

Workers are forked; each builds its Jinja environment once (:func:`_renderer`) and keeps its
own fragment memo. Results come back in descriptor order, so the
output and the order of messages do not depend on the number of workers. Small catalogs are
built in-process: starting workers costs more than it saves below a few dozen pages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import os
import signal
import stat
import sys
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .cache import DIRECTORY, BuildCache, PageEntry, Previous, Scan, StatKey, digest, stat_key
from .errors import Location, Problem, WorkerError
from .links import Link, PageLinks, page_links
from .model import Flags, Model, Property
from .render import RenderError
from .write import link_file

if TYPE_CHECKING:
    from .config import Config
    from .pipeline import SiteRenderer

T = TypeVar("T")
R = TypeVar("R")

#: Below this many descriptors the pages are built in the calling process.
MIN_PARALLEL = 48
#: Descriptors handed to a worker at a time: large enough to amortise the pipe, small enough
#: to keep both cores busy until the end.
CHUNK = 16


def default_workers() -> int:
    """The CPUs this process may run on (cgroup/affinity aware where Python can tell)."""
    count = getattr(os, "process_cpu_count", None)
    if count is not None:
        return max(1, count() or 1)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@dataclass(slots=True)
class PageResult:
    """Everything the parent keeps about one descriptor."""

    source: str
    source_digest: str
    model: Model | None
    problems: list[Problem] = field(default_factory=list)
    render_problem: Problem | None = None
    template_level: bool = False
    files: tuple[str, ...] = ()  # rel paths of the page's files
    links: dict[str, PageLinks] = field(default_factory=dict)
    data: dict[str, bytes] | None = None  # page bytes, only when not writing to disk
    reused: bool = False
    #: The stat keys of the files written for this page, in the order of ``files`` (None when
    #: it wrote none). A tuple, not a dict: the parent keeps 100 000 of them for a large catalog.
    stats: tuple[StatKey, ...] | None = None
    #: The descriptor's (i-node, size, mtime) just before it was read, packed in one int
    #: (:func:`packed_stat`) for the same reason (``cache.record_site``).
    source_stat: int | None = None


@dataclass
class _Job:
    """What every worker shares; set once per process by :func:`_init`."""

    config: Config
    render: bool
    staging: Path | None
    old_out: Path | None
    cache: BuildCache | None
    mtime: int | None
    present: Mapping[str, StatKey] | None = None  # what a recycled staging directory holds
    renderer: SiteRenderer | None = None


_JOB: _Job | None = None


def _renderer(job: _Job) -> SiteRenderer:
    if job.renderer is None:
        from .pipeline import SiteRenderer

        job.renderer = SiteRenderer(job.config)
    return job.renderer


def slim(model: Model) -> Model:
    """The model without its JSON schemas: the catalog and site-wide files never show them."""
    return dataclasses.replace(model, input_schema=None, output_schema=None)


def _build_one(path: Path) -> PageResult:
    """All stages for one descriptor, in a worker or in-process."""
    from .pipeline import load_descriptor
    from .write import write_file

    job = _JOB
    assert job is not None
    config = job.config
    raw: bytes | None = None
    source_stat = None
    with contextlib.suppress(OSError):
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):  # a FIFO would block; load_file reports it
            raw = path.read_bytes()
            source_stat = packed_stat((st.st_ino, st.st_size, st.st_mtime_ns))
    source_digest = digest(raw) if raw is not None else ""
    result = PageResult(source=str(path), source_digest=source_digest, model=None, source_stat=source_stat)
    if raw is not None and job.render and not path.is_symlink() and _reuse(job, result):
        return result  # same bytes, same inputs: last build's page, model and warnings
    model, problems = load_descriptor(config, path, raw)
    result.problems = problems
    if model is None or any(p.is_error for p in problems) or not job.render:
        result.model = slim(model) if model is not None else None
        return result
    result.model = slim(model)
    from .pipeline import model_outputs

    scans: dict[str, Scan] = {}
    try:
        outputs = model_outputs(_renderer(job), model, scans)
    except RenderError as exc:
        result.render_problem, result.template_level = exc.problem, exc.template_level
        return result
    result.files = tuple(outputs)
    for rel, data in outputs.items():
        if rel.endswith(".html"):
            found = own_links_dropped(page_links(rel, data, scans.get(rel)), outputs)
            # Pages of one kind have the same ids and references: one object for all of them,
            # so a batch of results pickles it once and the parent recognises it (see compact).
            result.links[rel] = _SENT.setdefault(found, found)
    if len(_SENT) > _SENT_SIZE:
        _SENT.clear()
    if job.staging is not None:
        for folder in {rel.rpartition("/")[0] for rel in outputs}:  # rather than a failed open each
            with contextlib.suppress(OSError):  # a file in the way: write_file clears it
                (job.staging / folder).mkdir(parents=True, exist_ok=True)
        result.stats = tuple(
            stat_key(write_file(job.staging, rel, data, job.mtime)) for rel, data in outputs.items()
        )
    else:
        result.data = outputs
    return result


#: The distinct link facts this worker has sent (pages of one kind share theirs).
_SENT: dict[PageLinks, PageLinks] = {}
_SENT_SIZE = 4096


def own_links_dropped(found: PageLinks, outputs: Mapping[str, bytes]) -> PageLinks:
    """``found`` without the references to the page's own files, which are known to resolve.

    A page's link to its own Markdown (``index.md``) names the page, so it made every page's
    reference list different; without it the lists repeat from page to page and the parent
    keeps one copy (:func:`compact`). Anchors into the page itself were checked by
    ``page_links`` already, and a fragment on a non-HTML file is never checked.
    """
    kept = tuple(link for link in found.links if link.reason or link.target not in outputs)
    return found if len(kept) == len(found.links) else PageLinks(found.ids, kept)


def _reuse(job: _Job, result: PageResult) -> bool:
    """Take last build's page for this descriptor (files hard-linked into the staging directory,
    model and warnings from the cache) without loading it, if still valid.

    Valid means: the cache has an entry for these exact descriptor bytes under the same
    inputs hash, and each file in the current output still has the digest recorded for it
    (checked by size and i-node/mtime, which hard links keep; a file edited by hand fails).
    """
    if job.cache is None or job.staging is None or job.old_out is None:
        return False
    entry = job.cache.lookup(result.source, result.source_digest)
    if entry is None:
        return False
    try:
        for rel in entry.files:
            if stat_key(os.stat(job.old_out / rel)) != entry.stats.get(rel):
                return False
        _take(job, entry, result)
    except OSError:
        return False
    return True


def _known(job: _Job, previous: Previous, path: Path) -> PageResult | None:
    """Last build's page for ``path``, taken in the parent when stats alone prove it current.

    The descriptor's stat equals the one recorded by the last build (so its recorded digest
    holds, see :meth:`Previous.known_digest`), the cache has the entry for that digest, and the
    output's files, as scanned before this build, have the stats the entry recorded. Then the
    descriptor is not even read: after a one-line edit among 10 000 descriptors the pool only
    sees the edited one.
    """
    assert job.cache is not None
    source = str(path)
    known = previous.known_digest(source)
    if known is None:
        return None
    entry = job.cache.lookup(source, known)
    if entry is None or any(previous.outputs.get(rel) != entry.stats.get(rel) for rel in entry.files):
        return None
    result = PageResult(source=source, source_digest=known, model=None)
    try:
        _take(job, entry, result)
    except OSError:
        return None
    return result


def _take(job: _Job, entry: PageEntry, result: PageResult) -> None:
    """Fill ``result`` from ``entry`` and put its files (the live ones) into the staging directory."""
    assert job.staging is not None and job.old_out is not None
    present = job.present or {}
    for rel in entry.files:
        if present.get(rel) != entry.stats[rel]:  # else the recycled staging has this very file
            link_file(job.old_out / rel, job.staging / rel)
    result.files = entry.files
    result.links = entry.links
    result.model = entry.model
    result.problems = entry.problems
    result.reused = True


def build_pages(
    config: Config,
    paths: list[Path],
    *,
    render: bool = True,
    staging: Path | None = None,
    cache: BuildCache | None = None,
    mtime: int | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    present: Mapping[str, StatKey] | None = None,
    previous: Previous | None = None,
) -> Iterator[PageResult]:
    """Stages 1-4 (and the page writes) for ``paths``; results in the order of ``paths``."""
    global _JOB
    old_out = config.out if config.out.is_dir() else None
    job = _Job(config, render, staging, old_out, cache, mtime, present)
    count = workers if workers is not None else default_workers()
    total = len(paths)
    if cache is not None:
        cache.entries  # noqa: B018 -- read once here, so forked workers share it
    taken: dict[int, PageResult] = {}
    if previous is not None and cache is not None and staging is not None and old_out is not None and render:
        for i, path in enumerate(paths):
            found = _known(job, previous, path)
            if found is not None:
                taken[i] = found
    rest = [path for i, path in enumerate(paths) if i not in taken]
    previous_job, _JOB = _JOB, job  # forked workers inherit it
    built: Iterator[PageResult]
    if count <= 1 or len(rest) < MIN_PARALLEL or not hasattr(os, "fork"):
        built = (_build_one(path) for path in rest)
    else:
        built = _Workers(rest, min(count, len(rest)), _build_one, CHUNK).results()
    try:
        for done in range(1, total + 1):
            yield taken[done - 1] if done - 1 in taken else next(built)
            if progress:
                progress(done, total)
    finally:
        _JOB = previous_job
        if isinstance(built, Generator):
            built.close()  # stops the workers if the build ends early


class _Workers(Generic[T, R]):
    """Forked worker processes fed chunks of item indices over one pipe each.

    Not ``multiprocessing.Pool``: its helper threads and shared queue lock can deadlock when an
    interrupt arrives at the wrong moment or a worker dies while holding the lock, and a worker
    killed by the OOM killer makes ``imap`` wait forever. Here the parent owns every pipe, a
    dead worker is an EOF, and an interrupt kills the workers outright (they only ever wrote
    into the staging directory, which the caller removes) and reaps them before re-raising.
    Workers are forked after the items exist, so only chunk bounds and results cross the pipes.
    """

    def __init__(self, items: Sequence[T], count: int, fn: Callable[[T], R], chunk: int) -> None:
        self.items = items
        self.count = count
        self.fn = fn
        self.chunks = [(start, min(start + chunk, len(items))) for start in range(0, len(items), chunk)]

    def results(self) -> Iterator[R]:
        from multiprocessing.connection import Pipe, wait

        pipes = [Pipe() for _ in range(self.count)]
        pids: list[int] = []
        # Objects the parent already holds (100 000 models by the time the index is converted)
        # go to the permanent generation: a collection in a child would otherwise write to every
        # one of them and so copy the parent's whole heap into each child.
        gc.freeze()
        try:
            for index in range(self.count):
                pid = os.fork()
                if pid == 0:  # pragma: no cover -- runs in the child, reported through the pipe
                    _worker_main(pipes, index, self.items, self.fn)
                pids.append(pid)
            for _parent, child in pipes:
                child.close()
            conns = [parent for parent, _child in pipes]
            queue = iter(self.chunks)
            busy: dict[Any, int] = dict.fromkeys(conns, 0)  # chunks sent and not yet answered
            for conn in conns:  # two chunks each, so a worker never waits for the parent
                for chunk in itertools.islice(queue, 2):
                    _send(conn, chunk)
                    busy[conn] += 1
            ready: dict[int, list[R]] = {}
            want = 0
            while want < len(self.items):
                for ready_conn in wait([c for c in conns if busy[c]]):
                    conn = ready_conn  # type: ignore[assignment]  # wait() returns what it was given
                    try:
                        kind, start, payload = conn.recv()
                    except (EOFError, OSError):
                        raise WorkerError(_DIED) from None
                    if kind == "error":
                        raise payload
                    busy[conn] -= 1
                    ready[start] = payload
                    more = next(queue, None)
                    if more is not None:
                        _send(conn, more)
                        busy[conn] += 1
                while want in ready:
                    batch = ready.pop(want)
                    want += len(batch)
                    yield from batch
            for conn in conns:
                _send(conn, None)
        except BaseException:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            raise
        finally:
            for parent, _child in pipes:
                parent.close()
            for pid in pids:
                _reap(pid)
            gc.unfreeze()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic garbage collection in this process inside the block (workers still collect).

    The parent of a large build holds every page's result (10 000 models: a few hundred thousand
    objects) and allocates steadily while it receives them and makes the site-wide files, so
    the collector's full passes over all of them came round again and again: 0.3 s of a
    10 000-model build and 5 s of a 100 000-model one, mostly while nothing else ran. What the
    parent allocates is data it keeps (a build leaves about a hundred objects in cycles). At
    the end what is still alive is frozen (:func:`gc.freeze`), or the first collection after
    the block would walk all of it once more; reference counting still frees it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def map_ordered(fn: Callable[[T], R], items: Sequence[T], workers: int | None = None) -> list[R]:
    """``[fn(x) for x in items]`` spread over forked workers (in-process for one or two items).

    For CPU-bound work on data the parent already holds, such as the pieces of a long catalog
    index: the children see ``items`` through the fork and send back only results.
    """
    count = min(workers if workers is not None else default_workers(), len(items))
    if count <= 1 or len(items) < 3 or not hasattr(os, "fork"):
        return [fn(item) for item in items]
    return list(_Workers(items, count, fn, 1).results())


_DIED = "a worker process died (killed by a signal, or out of memory?); the build was abandoned"


def _send(conn: Any, message: object) -> None:
    """Send work to a worker; if it is gone, raise what it reported before exiting, if anything.

    A worker whose ``fn`` failed sends the exception and exits, and the parent may still be
    handing it the next chunk (it answered the previous one first): that exception is the
    real failure, not the closed pipe.
    """
    try:
        conn.send(message)
    except OSError:  # BrokenPipeError, ConnectionResetError: the worker is gone
        reported: object = None
        with contextlib.suppress(EOFError, OSError):
            while conn.poll():
                kind, _start, payload = conn.recv()
                if kind == "error":
                    reported = payload
                    break
        if isinstance(reported, BaseException):
            raise reported from None
        raise WorkerError(_DIED) from None


def _reap(pid: int) -> None:
    """Wait for a worker, even through further interrupts (it is exiting or was killed)."""
    while True:
        try:
            os.waitpid(pid, 0)
            return
        except ChildProcessError:
            return
        except KeyboardInterrupt:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _worker_main(pipes: list[Any], index: int, items: Sequence[T], fn: Callable[[T], R]) -> None:
    """A worker's life: apply ``fn`` to the chunks it is sent until told to stop; never returns."""
    code = 0
    try:
        gc.enable()  # the parent may have paused its collector (collector_paused); a worker collects
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for i, (parent, child) in enumerate(pipes):
            parent.close()  # so the parent's death is an EOF here
            if i != index:
                child.close()
        conn = pipes[index][1]
        while True:
            try:
                chunk = conn.recv()
            except EOFError:
                break
            if chunk is None:
                break
            start, stop = chunk
            try:
                batch = [fn(item) for item in items[start:stop]]
            except Exception as exc:  # sent to the parent, which re-raises it
                try:
                    conn.send(("error", start, exc))
                except Exception:
                    conn.send(("error", start, WorkerError(f"{exc.__class__.__name__}: {exc}")))
                break
            conn.send(("ok", start, batch))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def cache_entries(
    results: Mapping[str, PageResult], stats: Mapping[str, StatKey], cache: BuildCache
) -> dict[str, PageEntry | tuple[Any, ...]]:
    """Cache entries for the pages of a successful build, given the output's stats by rel path."""
    entries: dict[str, PageEntry | tuple[Any, ...]] = {}
    for source, result in results.items():
        if not result.files or result.render_problem is not None:
            continue
        if result.reused and source in cache.entries:  # hard-linked: same i-nodes, same stats
            entries[source] = cache.entries[source]  # as stored (packed)
            continue
        try:
            files = {rel: stats[rel] for rel in result.files}
        except KeyError:
            continue
        if result.model is not None:
            entries[source] = PageEntry(
                result.source_digest, result.files, files, result.links, result.model, result.problems
            )
    return entries


def packed_stat(st: tuple[int, int, int]) -> int:
    """(i-node, size, mtime in ns) as one int, :func:`unpacked_stat` gives it back."""
    ino, size, mtime = st
    return (ino << 128) | (size << 64) | (mtime & _MASK64) | ((mtime < 0) << 192)


def unpacked_stat(packed: int) -> tuple[int, int, int]:
    """The (i-node, size, mtime) :func:`packed_stat` packed."""
    mtime = packed & _MASK64
    if packed >> 192:
        mtime -= 1 << 64
    return (packed >> 128) & _MASK64, (packed >> 64) & _MASK64, mtime


_MASK64 = (1 << 64) - 1


def written_output_stats(
    out: Path, pages: Iterable[PageResult], written: Mapping[str, os.stat_result]
) -> dict[str, StatKey] | None:
    """``cache.output_stats(out)`` of a site published from a fresh staging directory, from the
    stats its files had when written: every page's (by its worker) and ``written`` (the
    site-wide files and the marker). None if some page's files were not written by this build
    (taken from the last one), so the output has to be listed after all.
    """
    stats: dict[str, StatKey] = {"": stat_key(os.lstat(out))}
    files: dict[str, StatKey] = {rel: stat_key(st) for rel, st in written.items()}
    for page in pages:
        if page.stats is None:
            if page.files:
                return None
            continue
        files.update(zip(page.files, page.stats, strict=True))
    for rel in files:
        folder = rel.rpartition("/")[0]
        while folder and folder not in stats:
            stats[folder] = DIRECTORY
            folder = folder.rpartition("/")[0]
    stats.update(files)
    return stats


def compact(result: PageResult, shared: dict[Any, Any]) -> None:
    """Share what repeats from page to page (id sets, links, task texts) in the parent.

    Each result arrives as a fresh copy; without this a 100 000-model build would keep 100 000
    copies of the same section ids and the same task description.
    """

    def one(value: Any) -> Any:
        return shared.setdefault(value, value)

    links: dict[str, PageLinks] = {}
    pages: dict[PageLinks, PageLinks] = shared.setdefault(PageLinks, {})  # compacted facts by value
    files = {rel: rel for rel in result.files}  # a page's links are keyed by its files' own paths
    for rel, page in result.links.items():
        known = pages.get(page)
        if known is not None:  # the same facts as an earlier page's (workers send them shared)
            links[files.get(rel, rel)] = known
            continue
        ids = one(frozenset(sys.intern(i) for i in page.ids))
        refs = one(
            tuple(
                one(Link(sys.intern(x.ref), sys.intern(x.target), sys.intern(x.fragment), x.reason))
                for x in page.links
            )
        )
        links[files.get(rel, rel)] = pages[page] = PageLinks(ids, refs)
    result.links = links
    model = result.model
    if model is not None:
        # One copy of the descriptor's display path for the model and its location.
        if model.location.path == model.source:
            model.location = Location(model.source, model.location.line, model.location.col)
        if model.title == model.slug:  # the title defaults to the slug
            model.title = model.slug
        # Most models of a catalog have one of a few sets of flags; the site-wide pages only
        # read them.
        model.flags = shared.setdefault((Flags, tuple(model.flags.items())), model.flags)
        model.task_name = sys.intern(model.task_name)
        model.task_description = sys.intern(model.task_description)
        model.task_type = sys.intern(model.task_type)
        # Site-wide pages show property values, never where they were written.
        model.properties = [
            Property(sys.intern(p.id), sys.intern(p.value) if len(p.value) < 16 else p.value, model.location)
            for p in model.properties
        ]
