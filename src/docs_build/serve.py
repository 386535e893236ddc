"""``docs-build serve``: build once, serve from memory, rebuild what changed on save, reload browsers.

Three parts, one module each: :mod:`.watch` turns file events into debounced batches,
:mod:`.live` rebuilds only what those bytes affect, :mod:`.httpd` serves the last good site and
streams reload events. :class:`DevServer` wires them together; the click command is a thin
shell around it. This module imports only click at import time, so ``docs-build --help`` stays
fast; the server's modules load when the command runs.

A rebuild never raises into the server: content problems become the error overlay (and the
same ``path:line:col`` messages ``build`` prints), and an unexpected exception becomes one
"internal error" problem, so a bad save cannot take the preview down.
"""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
import time
import traceback
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import click

if TYPE_CHECKING:
    from .errors import Problem
    from .httpd import DevHTTPServer, SiteState
    from .live import LiveSite, Outcome
    from .watch import Watcher

Echo = Callable[[str, bool], None]


class Progress(Protocol):
    """A progress bar: called with (done, total) as pages render; ``done()`` clears it."""

    def __call__(self, done: int, total: int) -> None: ...

    def done(self) -> None: ...


#: Pause between publishing the edited pages and rendering the site-wide ones (seconds).
EARLY_GRACE_S = 0.05


def _echo(message: str, err: bool) -> None:
    click.echo(message, err=err)


class DevServer:
    """The live preview: initial build, HTTP server thread, watcher thread.

    ``start()`` returns once the site is built, the socket is listening and the file watches
    are in place, so a test (or the benchmark) may edit files as soon as it returns.
    """

    def __init__(
        self,
        root: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8000,
        overrides: dict[str, Any] | None = None,
        debug: bool = False,
        echo: Echo = _echo,
        progress: Progress | None = None,
    ) -> None:
        from .httpd import SiteState
        from .live import LiveSite

        self._progress = progress  # a bar on the terminal while a render takes over a second
        self.live: LiveSite = LiveSite(root, overrides, progress=progress)
        self.state: SiteState = SiteState()
        self.host, self.port, self.debug = host, port, debug
        self._echo = echo
        self._httpd: DevHTTPServer | None = None
        self._watcher: Watcher | None = None
        self._lock = threading.Lock()
        self.builds = 0

    @property
    def url(self) -> str:
        """Base URL of the running server, ending in ``/``."""
        assert self._httpd is not None, "start() first"
        return self._httpd.url

    def start(self) -> str:
        """Build, listen and watch; returns the base URL."""
        from .httpd import DevHTTPServer
        from .live import settle
        from .watch import Watcher

        self._httpd = DevHTTPServer(self.host, self.port, self.state, debug=self.debug)
        self.rebuild((), first=True)
        settle()  # what the first build made lives as long as the server (see live.settle)
        serve = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="docs-build-http", daemon=True
        )
        serve.start()
        self._watcher = Watcher(self.live.watch_targets, self._on_change, on_error=self._watch_failed)
        self._watcher.start()
        self._watcher.ready.wait(10)
        # What was saved while the first build ran, before anything watched (said only if so).
        self.rebuild((), quiet_if_same=True)
        return self.url

    def _on_change(self, changed: set[Path]) -> None:
        """A batch of events: serve what they name, then make sure nothing else changed (see
        ``ResidentBuild._on_change``, which does the same for ``build --watch``)."""
        self.rebuild(changed, trusted=True)
        if self.live.took_hints:
            self.rebuild((), recheck=True)

    def _watch_failed(self, exc: Exception) -> None:
        self._echo(
            f"docs-build: error: watching stopped: {exc}; saves are no longer picked up, restart serve", True
        )

    def stop(self) -> None:
        """Stop watching and serving; open event streams end."""
        if self._watcher is not None:
            self._watcher.stop()
        self.state.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        gc.unfreeze()

    def rebuild(
        self,
        changed: Collection[Path],
        *,
        first: bool = False,
        quiet_if_same: bool = False,
        trusted: bool = False,
        recheck: bool = False,
    ) -> None:
        """Rebuild after ``changed``, publish if good, report like ``build``; never raises.

        With ``quiet_if_same`` nothing is printed unless an input was re-read (the look after
        the watcher started must not repeat the first build's errors). A ``recheck`` (the full
        scan after a rebuild that trusted the events) is as quiet, and not counted in
        :attr:`builds`."""
        quiet_if_same = quiet_if_same or recheck
        started = time.perf_counter()
        with self._lock:
            try:
                outcome = self.live.rebuild(changed, early=self._publish_early, trusted=trusted)
            except Exception as exc:  # a bug must not take the preview down
                if self.debug:
                    traceback.print_exc()
                outcome = self._internal_error(exc)
            self._publish(outcome)
            if not recheck:
                self.builds += 1
        if quiet_if_same and not outcome.reloaded:
            return
        with contextlib.suppress(Exception):  # a closed terminal must not stop the preview
            self._report(outcome, time.perf_counter() - started, first)

    def _publish(self, outcome: Outcome) -> None:
        self.state.publish(outcome.plan, outcome.changed, outcome.problems)

    def _publish_early(self, outcome: Outcome) -> None:
        """Publish the edited pages, then step aside before the site-wide work.

        Converting a 1 000-model index holds the GIL for ~0.1 s; request threads would get it
        only in 5 ms slices after every socket call, so the reload we just triggered (page, CSS,
        scripts) would crawl. A short pause lets those requests finish first.
        """
        self._publish(outcome)
        time.sleep(EARLY_GRACE_S)

    def _internal_error(self, exc: Exception) -> Outcome:
        from .errors import Location, Problem
        from .live import Outcome

        where = Location(str(self.live.config.models))
        message = f"internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)"
        return Outcome(False, self.state.snapshot.plan, frozenset(), [Problem(where, message)], [], 0)

    def _report(self, outcome: Outcome, elapsed: float, first: bool) -> None:
        """The terminal: the same messages as ``build``, then one line about this rebuild."""
        if self._progress is not None:
            self._progress.done()
        if not (first or outcome.reloaded or not outcome.ok):
            return  # nothing changed (a touch, a scratch file): stay quiet
        for problem in self._worth_printing(outcome, first):
            self._echo(problem.format(), True)
        errors = sum(p.is_error for p in outcome.problems)
        what = ", ".join(outcome.reloaded[:3]) + (" ..." if len(outcome.reloaded) > 3 else "")
        ms = elapsed * 1000
        if not outcome.ok:
            warnings = len(outcome.problems) - errors
            self._echo(
                f"docs-build: build failed: {errors} error(s), {warnings} warning(s); "
                "still serving the last good build",
                True,
            )
        elif first:
            self._echo(f"docs-build: built {len(outcome.plan)} files in {ms:.0f} ms", False)
        else:
            pages = sum(1 for k in outcome.changed | outcome.early if k.endswith(".html"))
            self._echo(f"docs-build: {what}: {pages} page(s) changed in {ms:.0f} ms", False)

    @staticmethod
    def _worth_printing(outcome: Outcome, first: bool) -> list[Problem]:
        """Errors always; warnings on full builds and for the files just re-read (not every save)."""
        full = first or "templates and config" in outcome.reloaded
        return [p for p in outcome.problems if p.is_error or full or p.location.path in set(outcome.reloaded)]


@click.command()
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0 picks a free port."
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; 0.0.0.0 exposes the site."
)
@click.option("--open", "open_browser", is_flag=True, help="Open the site (or --model's page) in a browser.")
@click.option("--model", "slug", metavar="SLUG", help="Print (and with --open, open) this model's page URL.")
@click.option("--strict", is_flag=True, default=None, help="Treat warnings as errors.")
@click.pass_context
def serve(
    ctx: click.Context, port: int, host: str, open_browser: bool, slug: str | None, strict: bool | None
) -> None:
    """Serve the site locally, rebuild changed pages on save and reload open browsers."""
    from .cli import guarded, require_project
    from .httpd import all_interfaces

    state = ctx.obj
    require_project(state.project)
    with guarded(state):
        if all_interfaces(host):
            click.echo(
                f"docs-build: warning: binding to {host or 'all interfaces'} makes the preview reachable "
                "from other machines on the network; use --host 127.0.0.1 to keep it local",
                err=True,
            )
        from .cli import RenderProgress

        server = DevServer(
            state.project,
            host=host,
            port=port,
            overrides={"strict": strict},
            debug=state.debug,
            progress=RenderProgress(time.perf_counter()),
        )
        url = server.start()
        target = _page_url(server, url, slug)
        click.echo(f"docs-build: serving {url} (Ctrl+C to stop)")
        if slug is not None:
            click.echo(f"docs-build: model page {target}")
        if open_browser:
            import webbrowser

            webbrowser.open(target)
        _wait_forever(server)


def _page_url(server: DevServer, url: str, slug: str | None) -> str:
    """The URL to show for ``--model``; warns (but serves) when no model has that slug."""
    if slug is None:
        return url
    known = {key.split("/")[1] for key in server.state.snapshot.plan if key.startswith("models/")}
    if server.state.snapshot.plan and slug not in known:
        click.echo(f"docs-build: warning: no model with slug {slug!r} in the current build", err=True)
    return f"{url}models/{slug}/"


def _wait_forever(server: DevServer) -> None:
    """Block the main thread until Ctrl+C or SIGTERM, then stop cleanly (exit 0)."""
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        click.echo("docs-build: stopped", err=True)
        sys.stdout.flush()
