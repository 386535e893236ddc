"""``docs-build serve`` against the real server on 127.0.0.1 (ephemeral port), real file watches.

Nothing here asserts on time: waits poll with a generous deadline and only fail when the
expected content never arrives. Raw request targets go through a plain socket, because
``urllib`` and ``http.client`` normalise or refuse exactly the paths an attacker would send.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conftest import MakeProject, RunCli, descriptor
from docs_build.httpd import site_key
from docs_build.serve import DevServer
from docs_build.templates import BUILTIN_TEMPLATES
from docs_build.watch import is_ignored

T = TypeVar("T")
DEADLINE = 15.0


def wait_for(probe: Callable[[], T | None], what: str) -> T:
    """Poll until ``probe`` returns something truthy; fail (not time) when it never does."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


class Running:
    """A started DevServer plus what it printed, with small HTTP helpers."""

    def __init__(self, server: DevServer, printed: list[tuple[str, bool]]) -> None:
        self.server = server
        self.printed = printed
        self.port = int(server.url.rstrip("/").rsplit(":", 1)[1])

    def get(self, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def text(self, path: str) -> str:
        status, _headers, body = self.get(path)
        assert status == 200, (path, status)
        return body.decode("utf-8")

    def raw(self, target: bytes) -> tuple[int, bytes]:
        """Send ``GET target`` byte for byte; returns status and body."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body

    def page(self, path: str) -> str:
        """A served page without the live-reload tag (which names the current generation)."""
        return re.sub(r'<script src="/__docs-build/livereload.js"[^>]*></script>', "", self.text(path))

    def stderr(self) -> str:
        return "\n".join(text for text, err in self.printed if err)


class Events:
    """A Server-Sent Events client reading ``build`` events from the dev server."""

    def __init__(self, port: int, query: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE + 20)
        self.conn.request("GET", "/__docs-build/events" + query)
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type", "").startswith("text/event-stream")

    def next(self) -> dict[str, Any]:
        """The next event; fails after DEADLINE (keep-alive lines alone would wait forever)."""
        data: dict[str, Any] | None = None
        deadline = time.monotonic() + DEADLINE
        while True:
            assert time.monotonic() < deadline, "no build event within the deadline"
            line = self.resp.fp.readline()
            if not line:
                raise EOFError("event stream closed")
            text = line.decode("utf-8").rstrip("\r\n")
            if text.startswith("data: "):
                data = json.loads(text[len("data: ") :])
            elif text == "" and data is not None:
                return data

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Running]]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    started: list[DevServer] = []

    def start(project: Path) -> Running:
        printed: list[tuple[str, bool]] = []
        server = DevServer(project, port=0, echo=lambda text, err: printed.append((text, err)))
        server.start()
        started.append(server)
        return Running(server, printed)

    yield start
    for server in started:
        server.stop()


def two_models() -> dict[str, str]:
    return {
        "tiny-chat.yaml": descriptor("tiny-chat", description="First words."),
        "tiny-lora.yaml": descriptor("tiny-lora", description="Adapter words.", properties={"lora": "true"}),
    }


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


# -- serving -----------------------------------------------------------------------------------


def test_serves_the_built_site_with_the_reload_script(make_project: MakeProject, serve: Any) -> None:
    site = serve(make_project(two_models()))
    index = site.text("/")
    assert 'href="models/tiny-chat/"' in index
    assert '<script src="/__docs-build/livereload.js"' in index and "</script></head>" in index
    page = site.text("/models/tiny-chat/")
    assert "First words." in page and page.count("livereload.js") == 1
    assert site.text("/models/tiny-chat/index.md").startswith("#")
    status, headers, body = site.get("/models/tiny-chat")
    assert status == 301 and headers["location"] == "/models/tiny-chat/"
    status, headers, body = site.get("/assets/style.css")
    assert status == 200 and headers["content-type"].startswith("text/css") and body
    assert "livereload.js" not in site.text("/models/tiny-chat/index.md")  # only HTML is touched
    status, headers, body = site.get("/models/tiny-chat/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 0
    status, headers, body = site.get("/__docs-build/livereload.js")
    assert status == 200 and b"EventSource" in body and headers["content-type"].startswith("text/javascript")
    assert site.get("/__docs-build/livereload.css")[0] == 200
    assert site.get("/no/such/page/")[0] == 404


def test_edit_is_served_before_the_reload_event(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    events = Events(site.port)
    hello = events.next()
    assert hello["problems"] == [] and hello["changed"] == "*"  # no page generation given
    edit(project / "models/tiny-chat.yaml", "First words.", "Edited words.")
    event = events.next()
    # The event is only sent once the new bytes are in place: fetch right after it arrives.
    assert "Edited words." in site.text("/models/tiny-chat/")
    assert "models/tiny-chat/index.html" in event["changed"]
    assert "models/tiny-lora/index.html" not in event["changed"]
    assert event["generation"] > hello["generation"] and event["problems"] == []
    # The edited page comes first; the catalog index (which lists descriptions) follows.
    changed = set(event["changed"])
    while "index.html" not in changed:
        event = events.next()
        changed |= set(event["changed"])
    assert "Edited words." in site.text("/")
    assert "models/tiny-lora/index.html" not in changed
    events.close()


def test_only_the_edited_page_is_rendered_again(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    builds = site.server.builds
    lora_before = site.server.state.snapshot.plan["models/tiny-lora/index.html"]
    edit(project / "models/tiny-chat.yaml", "First words.", "Second words.")
    wait_for(lambda: "Second words." in site.text("/models/tiny-chat/"), "the edited page")
    wait_for(lambda: site.server.builds > builds, "the rebuild to finish")  # the index comes last
    assert site.server.builds == builds + 1
    # The very same bytes object: the page was reused from the cache, not rendered again.
    assert site.server.state.snapshot.plan["models/tiny-lora/index.html"] is lora_before
    assert any(t.startswith("docs-build: models/tiny-chat.yaml: ") for t, err in site.printed if not err)


def test_rebuild_renders_one_model_and_touch_renders_none(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    live = site.server.live
    path = project / "models/tiny-chat.yaml"
    edit(path, "First words.", "Third words.")
    outcome = live.rebuild({path})
    assert outcome.ok and outcome.rendered in (0, 1)  # 0 when the watcher already rebuilt it
    os.utime(path)  # same bytes, new mtime: nothing to render, nothing to reload
    outcome = live.rebuild({path})
    assert outcome.ok and outcome.rendered == 0 and outcome.changed == frozenset()


def test_new_and_deleted_descriptors(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    (project / "models/tiny-new.yaml").write_text(descriptor("tiny-new", description="Brand new."))
    wait_for(lambda: site.get("/models/tiny-new/")[0] == 200, "the new page")
    wait_for(
        lambda: 'href="models/tiny-new/"' in site.text("/"), "the index to list it"
    )  # index comes second
    (project / "models/tiny-lora.yaml").unlink()
    wait_for(lambda: site.get("/models/tiny-lora/")[0] == 404, "the deleted page to go")
    wait_for(lambda: "tiny-lora" not in site.text("/"), "the index to drop it")


# -- errors ------------------------------------------------------------------------------------


def test_broken_descriptor_shows_overlay_and_keeps_last_good_page(
    make_project: MakeProject, serve: Any, run_cli: RunCli
) -> None:
    project = make_project(two_models())
    site = serve(project)
    good = site.page("/models/tiny-chat/")
    events = Events(
        site.port, f"?server={site.server.state.server_id}&since={site.server.state.snapshot.generation}"
    )
    assert events.next()["changed"] == []
    path = project / "models/tiny-chat.yaml"
    edit(path, 'description: "First words."', 'description: "First words.\n  bad: [unclosed')
    event = events.next()
    assert event["changed"] == []
    (problem,) = event["problems"]
    assert problem["path"] == "models/tiny-chat.yaml" and problem["line"] > 0 and problem["col"] > 0
    assert problem["location"] == f"models/tiny-chat.yaml:{problem['line']}:{problem['col']}"
    assert problem["source_line"] == path.read_text().splitlines()[problem["line"] - 1]
    assert site.page("/models/tiny-chat/") == good  # last good build still served
    # The terminal says exactly what `build`/`check` say about the same file.
    check = run_cli(project, "check")
    assert check.exit_code == 1
    assert problem["text"] in check.stderr and problem["text"] in site.stderr()
    assert "still serving the last good build" in site.stderr()
    # Fixing it clears the overlay and serves the fix.
    path.write_text(descriptor("tiny-chat", description="Fixed words."))
    event = events.next()
    assert event["problems"] == [] and "models/tiny-chat/index.html" in event["changed"]
    assert "Fixed words." in site.text("/models/tiny-chat/")
    events.close()


def test_overlay_text_is_data_not_markup(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    events = Events(site.port)
    events.next()
    (project / "models/tiny-chat.yaml").write_text('model: "<script>alert(1)</script>" x\n')
    (problem,) = events.next()["problems"]
    assert "<script>alert(1)</script>" in problem["source_line"]  # raw text; the page uses textContent
    js = site.text("/__docs-build/livereload.js")
    assert "innerHTML" not in js.replace("never innerHTML", "")
    events.close()


def test_template_change_rerenders_every_page(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    builtin = (BUILTIN_TEMPLATES / "model.md.j2").read_text(encoding="utf-8")
    template = project / "templates/model.md.j2"
    template.parent.mkdir()  # the watcher picks up a templates/ directory created while running
    template.write_text("Template marker one.\n\n" + builtin, encoding="utf-8")
    for slug in ("tiny-chat", "tiny-lora"):
        wait_for(lambda s=slug: "Template marker one." in site.text(f"/models/{s}/"), f"{slug} re-rendered")
    events = Events(
        site.port, f"?server={site.server.state.server_id}&since={site.server.state.snapshot.generation}"
    )
    events.next()
    edit(template, "marker one", "marker two")
    event = events.next()
    assert {"models/tiny-chat/index.html", "models/tiny-lora/index.html"} <= set(event["changed"])
    assert "Template marker two." in site.text("/models/tiny-lora/")
    events.close()


def test_broken_template_is_located_and_recovers(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models(), templates={"partials/header.md.j2": "# {{ model.title }}\n"})
    site = serve(project)
    good = site.page("/models/tiny-chat/")
    events = Events(
        site.port, f"?server={site.server.state.server_id}&since={site.server.state.snapshot.generation}"
    )
    events.next()
    header = project / "templates/partials/header.md.j2"
    header.write_text("# {{ model.title }}\n\n{{ model.no_such_field }}\n")
    problems = events.next()["problems"]
    assert problems and all(p["location"] == "templates/partials/header.md.j2:3" for p in problems)
    assert problems[0]["source_line"] == "{{ model.no_such_field }}"
    assert site.page("/models/tiny-chat/") == good
    header.write_text("# {{ model.title }}\n\nHeader fixed.\n")
    event = events.next()
    assert event["problems"] == [] and "Header fixed." in site.text("/models/tiny-chat/")
    events.close()


def test_config_change_rebuilds_everything(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    (project / "docs-build.toml").write_text('title = "Renamed catalog"\n')
    wait_for(lambda: "Renamed catalog" in site.text("/models/tiny-lora/"), "the new title on every page")
    assert "Renamed catalog" in site.text("/models/tiny-chat/")
    (project / "docs-build.toml").write_text('titel = "typo"\n')
    wait_for(lambda: "unknown setting 'titel'" in site.stderr(), "the config problem")
    assert site.server.state.snapshot.problems[0].location.path == "docs-build.toml"
    assert "Renamed catalog" in site.text("/")


def test_an_internal_error_does_not_stop_the_server(
    make_project: MakeProject, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(two_models())
    site = serve(project)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(site.server.live, "rebuild", boom)
    site.server.rebuild({project / "models/tiny-chat.yaml"})
    assert "internal error: RuntimeError: simulated bug" in site.stderr()
    assert site.server.state.snapshot.problems
    assert "First words." in site.text("/models/tiny-chat/")


# -- scratch files -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        ".tiny-chat.yaml.swp",
        ".tiny-chat.yaml.swx",
        "tiny-chat.yaml~",
        "4913",
        ".#tiny-chat.yaml",
        "x.yaml.tmp",
    ],
)
def test_editor_scratch_names_are_ignored(name: str) -> None:
    assert is_ignored(Path("models") / name)


def test_a_change_no_event_names_is_served_after_the_next_save(make_project: MakeProject, serve: Any) -> None:
    """Events name what a rebuild looks at; the full scan after it finds the rest (here a
    descriptor linked to a file outside ``models/``, whose edit no event in ``models/`` names)."""
    project = make_project(two_models())
    shared = project / "shared"
    shared.mkdir()
    (shared / "linked.yaml").write_text(descriptor("linked", description="Linked words."), encoding="utf-8")
    (project / "models" / "linked.yaml").symlink_to(shared / "linked.yaml")
    site = serve(project)
    assert "Linked words." in site.text("/models/linked/")
    edit(shared / "linked.yaml", "Linked words.", "Unseen words.")
    edit(project / "models" / "tiny-chat.yaml", "First words.", "Seen words.")
    wait_for(lambda: "Seen words." in site.text("/models/tiny-chat/"), "the edited page")
    wait_for(lambda: "Unseen words." in site.text("/models/linked/"), "the page no event named")


@pytest.mark.parametrize("name", ["tiny-chat.yaml", "model.md.j2", "docs-build.toml", "style.css"])
def test_real_inputs_are_not_ignored(name: str) -> None:
    assert not is_ignored(name)


def test_scratch_files_trigger_no_build(make_project: MakeProject, serve: Any) -> None:
    project = make_project(two_models())
    site = serve(project)
    builds = site.server.builds
    models = project / "models"
    for name in (".tiny-chat.yaml.swp", "4913", "tiny-chat.yaml~", ".#tiny-chat.yaml", "tiny-chat.yaml.tmp"):
        (models / name).write_text("not: [yaml")
    (models / "4913").unlink()  # vim's write probe is created and removed at once
    time.sleep(0.3)  # give a (wrong) rebuild the chance to happen; not a timing assertion
    assert site.server.builds == builds
    edit(models / "tiny-chat.yaml", "First words.", "Real save.")
    wait_for(lambda: "Real save." in site.text("/models/tiny-chat/"), "the real save")
    wait_for(lambda: site.server.builds > builds, "the rebuild to finish")
    assert site.server.builds == builds + 1
    assert site.server.state.snapshot.problems == ()


# -- security ----------------------------------------------------------------------------------


PROBES = [
    b"/../secret.txt",
    b"/../../../../../../etc/passwd",
    b"/models/../../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/%2E%2E/secret.txt",
    b"/..%2fsecret.txt",
    b"/..%2Fsecret.txt",
    b"/%2e%2e%2fsecret.txt",
    b"/.%2e/secret.txt",
    b"/..\\secret.txt",
    b"/..%5csecret.txt",
    b"/models\\..\\..\\secret.txt",
    b"/%5c..%5c..%5csecret.txt",
    b"/index.html%00",
    b"/index.html%00.txt",
    b"/%00/../secret.txt",
    b"/index.html\x00",
    b"//etc/passwd",
    b"/%2fetc%2fpasswd",
    b"/%2Fetc/passwd",
    b"/./index.html/../../secret.txt",
    b"/%c0%ae%c0%ae/secret.txt",
    b"/%252e%252e/secret.txt",
    b"/models/escape/secret.txt",
    b"/escape/secret.txt",
    b"/templates/escape/secret.txt",
    b"/__docs-build/../secret.txt",
    b"/__docs-build/%2e%2e/%2e%2e/secret.txt",
    b"http://localhost/../secret.txt",
    b"secret.txt",
]


@pytest.fixture
def exposed(make_project: MakeProject, serve: Any, tmp_path: Path) -> tuple[Running, Path]:
    """A running project next to a secret file, with symlinks pointing out of the project."""
    secret_dir = tmp_path / "outside"
    secret_dir.mkdir()
    (secret_dir / "secret.txt").write_text("TOP SECRET\n")
    project = make_project(two_models())
    (project / "models/escape").symlink_to(secret_dir, target_is_directory=True)
    (project / "escape").symlink_to(secret_dir, target_is_directory=True)
    (project / "secret.txt").write_text("TOP SECRET\n")
    return serve(project), secret_dir


@pytest.mark.parametrize("target", PROBES, ids=lambda t: t.decode("latin-1").replace("\x00", "<NUL>"))
def test_traversal_probes_get_404(exposed: tuple[Running, Path], target: bytes) -> None:
    site, _secret = exposed
    status, body = site.raw(target)
    assert status in (400, 404), status  # 400 only when the request line itself is malformed
    assert b"TOP SECRET" not in body
    assert site.raw(b"/")[0] == 200  # and the server is still there


def test_absolute_filesystem_paths_get_404(exposed: tuple[Running, Path]) -> None:
    site, secret = exposed
    for target in (str(secret / "secret.txt"), "/etc/passwd", "/proc/self/environ"):
        status, body = site.raw(target.encode())
        assert status == 404 and b"TOP SECRET" not in body


def test_symlinked_inputs_leaving_the_project_are_refused_not_served(
    make_project: MakeProject, serve: Any, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(descriptor("leaked", description="TOP SECRET"))
    project = make_project(two_models())
    site = serve(project)
    events = Events(
        site.port, f"?server={site.server.state.server_id}&since={site.server.state.snapshot.generation}"
    )
    events.next()
    (project / "models/leaked.yaml").symlink_to(secret)
    problems = events.next()["problems"]
    assert any(p["path"] == "models/leaked.yaml" and "leaves the project" in p["message"] for p in problems)
    assert site.get("/models/leaked/")[0] == 404 and "TOP SECRET" not in site.text("/")
    events.close()


def test_probe_status_is_404_not_400(exposed: tuple[Running, Path]) -> None:
    site, _secret = exposed
    for target in (b"/../secret.txt", b"/%2e%2e/secret.txt", b"/..%5csecret.txt", b"/index.html%00"):
        assert site.raw(target)[0] == 404


@pytest.mark.parametrize(
    ("target", "key"),
    [
        ("/", "index.html"),
        ("/?x=1", "index.html"),
        ("/models/a/", "models/a/index.html"),
        ("/models/a/index.md", "models/a/index.md"),
        ("/models/a%20b/", "models/a b/index.html"),
        ("/../x", None),
        ("/%2e%2e/x", None),
        ("/a%2fb", "a/b"),  # an encoded slash is just a slash, but never an escape
        ("/a/%2e%2e%2fb", None),
        ("/a\\b", None),
        ("/a%5cb", None),
        ("/a%00", None),
        ("//etc/passwd", None),
        ("/%c0%ae", None),
        ("relative", None),
        ("http://host/index.html", None),
    ],
)
def test_site_key(target: str, key: str | None) -> None:
    assert site_key(target) == key


# -- the command -------------------------------------------------------------------------------


def test_cli_serve_in_a_subprocess(make_project: MakeProject, tmp_path: Path) -> None:
    project = make_project(two_models())
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "docs_build",
            "-C",
            str(project),
            "serve",
            "--port",
            "0",
            "--model",
            "tiny-lora",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        serving = next(line for line in lines if "serving" in line)
        url = serving.split("serving ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:")
        assert any(line.strip() == f"docs-build: model page {url}models/tiny-lora/" for line in lines)
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/models/tiny-lora/")
        assert b"Adapter words." in conn.getresponse().read()
        conn.close()
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err


def test_cli_warns_on_all_interfaces_and_opens_the_model(
    make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import webbrowser

    import docs_build.serve as serve_module

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: opened.append(url))
    monkeypatch.setattr(serve_module, "_wait_forever", lambda server: server.stop())
    project = make_project(two_models())
    result = run_cli(project, "serve", "--port", "0", "--host", "0.0.0.0", "--open", "--model", "tiny-chat")
    assert result.exit_code == 0, result.output
    assert "warning: binding to 0.0.0.0" in result.stderr
    assert opened and opened[0].endswith("/models/tiny-chat/")
    assert opened[0].startswith("http://127.0.0.1:")


def test_cli_default_host_is_loopback_without_warning(
    make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    import docs_build.serve as serve_module

    seen: list[str] = []
    monkeypatch.setattr(
        serve_module, "_wait_forever", lambda server: (seen.append(server.host), server.stop())
    )
    result = run_cli(make_project(two_models()), "serve", "--port", "0", "--model", "nope")
    assert result.exit_code == 0, result.output
    assert seen == ["127.0.0.1"] and "binding to" not in result.stderr
    assert "no model with slug 'nope'" in result.stderr


def test_cli_port_in_use_is_a_usage_error(make_project: MakeProject, run_cli: RunCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(make_project(two_models()), "serve", "--port", str(port))
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_help_does_not_import_the_server() -> None:
    code = (
        "import sys, docs_build.cli\n"
        "heavy = ['docs_build.httpd', 'docs_build.live', 'docs_build.pipeline',\n"
        "         'watchfiles', 'http.server']\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_first_build_drives_a_progress_bar_cleared_before_the_report(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []

    class Bar:
        def __call__(self, done: int, total: int) -> None:
            events.append(f"{done}/{total}")

        def done(self) -> None:
            events.append("clear")

    def echo(text: str, err: bool) -> None:
        events.append("print")

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    server = DevServer(make_project(two_models()), port=0, echo=echo, progress=Bar())
    server.start()
    try:
        assert events[:4] == ["1/2", "2/2", "clear", "print"]
    finally:
        server.stop()
