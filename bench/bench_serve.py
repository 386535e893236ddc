"""Edit-to-served latency of ``docs-build serve`` (and optionally ``hugo server``) on N models.

    .venv/bin/python bench/bench_serve.py --models 1000 --edits 30 [--hugo]

Generates N synthetic text-generation descriptors in a temporary project, starts the real
command (``docs-build serve --port 0``) in a subprocess, then repeatedly saves one descriptor
with a unique marker in its description and polls that model's page over HTTP until the marker
is served. The clock starts just before the file is written and stops when a response holds the
marker, so it includes the file-system event, the debounce, the rebuild and the HTTP round trip.
It uses public tools only: the CLI, the file system and HTTP.

With ``--hugo`` the same N models become Hugo content pages rendered through the seed partial
(``responses.md.gotmpl``, given with ``--hugo-partial``) and ``hugo server`` is timed the same way.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent

DESCRIPTOR = """\
model:
  id: "{uuid}"
  source: 1
  name: "@cf/bench/{slug}"
  description: "{description}"
  task:
    id: "c329a1f9-323d-4e91-b2aa-582dd4188d34"
    name: "Text Generation"
    description: "Family of generative text models, such as large language models (LLM), that can be adapted."
  tags: []
  properties:
    - property_id: "beta"
      value: "{beta}"
    - property_id: "lora"
      value: "{lora}"
    - property_id: "context_window"
      value: "{context}"
task_type: "text-generation"
model_display_name: "{slug}"
layout: "model"
weight: {weight}
title: "{slug}"
"""


def slug_of(i: int) -> str:
    return f"bench-model-{i:05d}"


def descriptor(i: int, marker: str = "") -> str:
    """A valid descriptor in the real catalog's shape; ``marker`` goes into the description."""
    return DESCRIPTOR.format(
        uuid=uuid.UUID(int=i),
        slug=slug_of(i),
        description=f"Synthetic chat model number {i} for the serve benchmark. {marker}".strip(),
        beta="true" if i % 3 == 0 else "false",
        lora="true" if i % 5 == 0 else "false",
        context=4096 * (1 + i % 8),
        weight=i % 50,
    )


def make_project(root: Path, n: int) -> None:
    (root / "models").mkdir(parents=True)
    for i in range(n):
        (root / "models" / f"{slug_of(i)}.yaml").write_text(descriptor(i), encoding="utf-8")


def start(
    cmd: list[str], cwd: Path, url_pattern: str, timeout: float = 300.0
) -> tuple[subprocess.Popen[str], str]:
    """Start a server and return it with the first URL it prints matching ``url_pattern``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit(f"server exited early: {' '.join(cmd)}")
        found = re.search(url_pattern, line)
        if found:
            return proc, found.group(1)
    raise SystemExit("server did not start in time")


def free_port() -> int:
    """A port nobody listens on right now (Hugo cannot be told to pick one itself)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fetch(conn: http.client.HTTPConnection, path: str) -> bytes:
    conn.request("GET", path)
    resp = conn.getresponse()
    return resp.read()


def measure(
    base_url: str, edits: int, n: int, write: Callable[[int, str], None], page: Callable[[int], str]
) -> list[float]:
    """Edit-to-served latencies in milliseconds, one per edit."""
    host, port = base_url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    conn = http.client.HTTPConnection(host.strip("[]"), int(port), timeout=30)
    rng = random.Random(42)
    samples: list[float] = []
    for k in range(edits):
        i = rng.randrange(n)
        marker = f"marker-{k}-{uuid.uuid4().hex[:8]}"
        fetch(conn, page(i))  # warm connection
        time.sleep(0.25)  # let the previous rebuild settle so edits do not overlap
        started = time.perf_counter()
        write(i, marker)
        deadline = started + 30
        while marker.encode() not in fetch(conn, page(i)):
            if time.perf_counter() > deadline:
                raise SystemExit(f"edit {k} was never served")
            time.sleep(0.001)
        samples.append((time.perf_counter() - started) * 1000)
    conn.close()
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    print(
        f"{name}: {len(samples)} edits: median {statistics.median(samples):.1f} ms, "
        f"p90 {p90:.1f} ms, min {ordered[0]:.1f} ms, max {ordered[-1]:.1f} ms"
    )


def bench_docs_build(n: int, edits: int, tmp: Path) -> list[float]:
    project = tmp / "docs-build"
    make_project(project, n)
    cmd = [str(VENV_BIN / "docs-build"), "-C", str(project), "serve", "--port", "0"]
    started = time.perf_counter()
    proc, url = start(cmd, project, r"serving (http://\S+)")
    print(f"docs-build serve: initial build of {n} models ready in {time.perf_counter() - started:.1f} s")

    def write(i: int, marker: str) -> None:
        (project / "models" / f"{slug_of(i)}.yaml").write_text(descriptor(i, marker), encoding="utf-8")

    try:
        return measure(url, edits, n, write, lambda i: f"/models/{slug_of(i)}/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


HUGO_LAYOUT = """\
<!doctype html><html><head><title>{{ .Title }}</title></head><body>
<h1>{{ .Title }}</h1><p>{{ .Params.model.description }}</p>
{{ partial "responses.md.gotmpl" . | .RenderString }}
</body></html>
"""


def hugo_page(i: int, marker: str = "") -> str:
    """The same model as a Hugo content page whose front matter holds the descriptor."""
    body = descriptor(i, marker)
    return f"---\n{body}---\n"


def bench_hugo(n: int, edits: int, tmp: Path, partial: Path) -> list[float]:
    site = tmp / "hugo"
    (site / "content/models").mkdir(parents=True)
    (site / "layouts/_default").mkdir(parents=True)
    (site / "layouts/partials").mkdir(parents=True)
    (site / "hugo.toml").write_text(
        'baseURL = "http://localhost/"\ntitle = "bench"\ndisableKinds = ["taxonomy", "term"]\n'
    )
    (site / "layouts/_default/single.html").write_text(HUGO_LAYOUT)
    (site / "layouts/_default/list.html").write_text("<html><body>list</body></html>\n")
    shutil.copy(partial, site / "layouts/partials/responses.md.gotmpl")
    for i in range(n):
        (site / "content/models" / f"{slug_of(i)}.md").write_text(hugo_page(i), encoding="utf-8")
    hugo = shutil.which("hugo", path=str(VENV_BIN)) or "hugo"
    port = free_port()
    cmd = [hugo, "server", "--port", str(port), "--bind", "127.0.0.1", "--disableLiveReload"]
    started = time.perf_counter()
    proc, _printed = start(cmd, site, r"Web Server is available at (http://\S+)")
    url = f"http://127.0.0.1:{port}/"  # Hugo prints "localhost", which may resolve to ::1
    print(f"hugo server: initial build of {n} pages ready in {time.perf_counter() - started:.1f} s")

    def write(i: int, marker: str) -> None:
        (site / "content/models" / f"{slug_of(i)}.md").write_text(hugo_page(i, marker), encoding="utf-8")

    try:
        return measure(url, edits, n, write, lambda i: f"/models/{slug_of(i)}/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=int, default=1000, help="number of descriptors (default 1000)")
    parser.add_argument("--edits", type=int, default=30, help="edits to time (at least 20; default 30)")
    parser.add_argument("--hugo", action="store_true", help="also time hugo server on the same models")
    parser.add_argument(
        "--hugo-partial",
        type=Path,
        default=HERE.parent / "tests/parity/responses.md.gotmpl",
        help="the seed partial Hugo renders (default: the copy in tests/parity)",
    )
    args = parser.parse_args()
    if args.edits < 20:
        parser.error("--edits must be at least 20 for a meaningful median and p90")
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        ours = bench_docs_build(args.models, args.edits, Path(tmp))
        report(f"docs-build serve ({args.models} models)", ours)
        if args.hugo:
            theirs = bench_hugo(args.models, args.edits, Path(tmp), args.hugo_partial)
            report(f"hugo server ({args.models} models)", theirs)


if __name__ == "__main__":
    main()
