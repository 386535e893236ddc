"""Command line: ``docs-build build|check|list|render|schema|serve|init|new``.

Exit codes: 0 success, 1 content errors (descriptors, templates, links), 2 usage errors (bad
flags, unusable output directory), 130 interrupted. Heavy modules are imported inside the
commands so ``docs-build --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from .config import Config
    from .errors import Problem
    from .report import Row

EXIT_CONTENT = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class State:
    """Options shared by every command."""

    def __init__(self, project: Path, debug: bool) -> None:
        self.project = project
        self.debug = debug


def _version() -> str:
    from .pipeline import version

    return version()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--project",
    # Readability is checked by the commands, not by click, so `check --format json` can
    # report an unreadable project as JSON.
    type=click.Path(file_okay=False, readable=False, path_type=Path),
    default=".",
    show_default=True,
    help="Project directory (holds models/ and templates/).",
)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for unexpected failures.")
@click.version_option(
    version=None, package_name="docs-build", prog_name="docs-build", message="%(prog)s %(version)s"
)
@click.pass_context
def cli(ctx: click.Context, project: Path, debug: bool) -> None:
    """Build a documentation site from one YAML descriptor per model."""
    ctx.obj = State(project, debug)


def fail_usage(message: str) -> NoReturn:
    """Print a usage error and exit 2 (bad flags or settings, not bad content)."""
    click.echo(f"docs-build: error: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _config(
    state: State, *, on_problems: Callable[[list[Problem]], None] | None = None, **overrides: Any
) -> Config:
    """The project's config with CLI overrides; config-file problems are usage errors (exit 2)."""
    from .config import load_config
    from .errors import UsageError

    require_project(state.project)
    try:
        config, problems = load_config(state.project)
    except UsageError as exc:
        fail_usage(str(exc))
    if problems:
        (on_problems or _report)(problems)
        sys.exit(EXIT_USAGE)
    base_url = overrides.get("base_url")
    if base_url and not re.match(r"https?://[^/]", base_url):
        fail_usage(f"--base-url must start with https:// or http://, not {base_url!r}")
    return config.with_overrides(**overrides)


def _project_problem(project: Path) -> Problem | None:
    """Why ``project`` cannot be read as a project directory, located at the directory as given."""
    import os

    from .errors import Location, Problem

    if not project.exists():
        message = f"project directory {project} does not exist"
    elif not project.is_dir():
        message = f"project directory {project} is not a directory"
    elif not os.access(project, os.R_OK | os.X_OK):
        message = f"project directory {project} cannot be read (permission denied)"
    else:
        return None
    return Problem(Location(project.as_posix()), message)


def require_project(project: Path) -> None:
    """A usage error (exit 2) unless ``project`` is a readable directory; for every command."""
    unusable = _project_problem(project)
    if unusable is not None:
        fail_usage(unusable.message)


def _report(problems: list[Problem]) -> None:
    for p in problems:
        click.echo(p.format(), err=True)


def _summary(problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error(s), {warnings} warning(s)"


@contextmanager
def guarded(state: State) -> Iterator[None]:
    """Turn SIGTERM into an interrupt and unexpected exceptions into a one-line message."""
    from .errors import UsageError, WorkerError

    def on_term(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous: Callable[..., Any] | int | None = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    except KeyboardInterrupt:
        click.echo("docs-build: interrupted; the previous output was left as it was", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except UsageError as exc:
        fail_usage(str(exc))
    except WorkerError as exc:
        click.echo(f"docs-build: error: {exc}; the previous output was left as it was", err=True)
        sys.exit(EXIT_CONTENT)
    except OSError as exc:
        if state.debug:
            raise
        click.echo(f"docs-build: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        sys.exit(EXIT_CONTENT)
    except Exception as exc:
        if state.debug:
            raise
        click.echo(
            f"docs-build: internal error: {exc.__class__.__name__}: {exc} (rerun with --debug)", err=True
        )
        sys.exit(EXIT_CONTENT)
    finally:
        signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


def _date(value: str | None) -> Any:
    if value is None:
        return None
    import datetime as dt

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail_usage(f"invalid --date {value!r}: use YYYY-MM-DD, e.g. --date 2025-01-31")


_strict = click.option(
    "--strict/--no-strict",
    default=None,
    help="Treat warnings as errors (default: the config file's strict, else off).",
)
_date_opt = click.option(
    "--date", "date", metavar="YYYY-MM-DD", help="Build date (default: SOURCE_DATE_EPOCH or today)."
)
_base_url = click.option("--base-url", metavar="URL", help="Absolute URL the site is served from.")


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), help="Output directory (default: build/).")
@_strict
@_date_opt
@_base_url
@click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for another build writing the same output directory.",
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Render every page afresh (the cache in .docs-build-cache/ is neither read nor written).",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Worker processes (default: one per CPU).",
)
@click.option(
    "-w",
    "--watch",
    is_flag=True,
    help="Stay up and rebuild the output on every change to models, templates or config.",
)
@click.pass_obj
def build(
    state: State,
    out: Path | None,
    strict: bool | None,
    date: str | None,
    base_url: str | None,
    lock_timeout: float,
    no_cache: bool,
    jobs: int | None,
    watch: bool,
) -> None:
    """Build the site into the output directory, replacing it atomically."""
    overrides: dict[str, Any] = {
        "out_dir": out.absolute() if out else None,
        "strict": strict,
        "build_date": _date(date),
        "base_url": base_url,
    }
    if watch:
        _build_watch(state, overrides, lock_timeout)
        return
    started = time.perf_counter()
    started_ns = time.time_ns()  # before any descriptor is read (see cache.record_site)
    with guarded(state):
        from .cache import PieceStore, previous_build
        from .config import source_date_epoch
        from .parallel import collector_paused
        from .pipeline import Build, project_paths, run
        from .write import check_out_dir, prune, publish, release_staging, spare_path

        config = _config(state, **overrides)
        check_out_dir(config.out, config.root, project_paths(config))
        mtime = source_date_epoch()
        # The lock is held from the first page written to the swap: the cache hard-links pages
        # of the current output, which another build must not replace meanwhile.
        with _writing(config.out, lock_timeout):
            cache = None if no_cache else _open_cache(config)
            previous = None if cache is None else previous_build(cache.root, cache.inputs, config.out)
            if previous is not None and _up_to_date(config, previous, started):
                return
            pieces = None if cache is None else PieceStore.open(cache.root, cache.inputs)
            spare = None if cache is None else spare_path(cache.root, config.out)
            staging, present = _staging(config.out, spare)
            try:
                progress = _Progress(started)
                build_ = Build(staging, cache, mtime, jobs, progress, pieces, present, previous)
                result = run(config, build_)
                progress.done()
                _report(result.problems)
                if not result.ok:
                    summary = _summary(result.problems)
                    click.echo(f"docs-build: build failed: {summary}; {config.out} was not changed", err=True)
                    sys.exit(EXIT_CONTENT)
                if present is not None:
                    prune(staging, present, result.planned())
                published: dict[str, os.stat_result] = {}
                publish(config.out, result.plan, mtime=mtime, staged=staging, spare=spare, stats=published)
            except BaseException:
                if pieces is not None:
                    pieces.discard()
                raise
            finally:
                release_staging(staging, spare if present is not None else None, config.out)  # fresh: deleted
            pages = len(result.models) + 1
            files = len(result.plan) + len(result.written) + sum(len(p.files) for p in result.pages.values())
            if cache is not None:
                # A fresh staging directory holds exactly what this build wrote, whose stats it knows.
                written = {**result.written_stats, **published} if present is None else None
                with collector_paused():
                    _save_cache(cache, result, config.out, (pages, files, started_ns), pieces, written)
        elapsed = time.perf_counter() - started
        reused = f", {result.reused} pages reused" if result.reused else ""
        click.echo(
            f"docs-build: wrote {pages} pages ({files} files{reused}) to {config.out} "
            f"in {elapsed:.2f}s; {_summary(result.problems)}"
        )


def _build_watch(state: State, overrides: dict[str, Any], lock_timeout: float) -> None:
    """``build --watch``: build, then keep the output current until Ctrl+C (see :mod:`.resident`)."""
    with guarded(state):
        from .config import source_date_epoch
        from .pipeline import project_paths
        from .resident import ResidentBuild
        from .write import check_out_dir

        config = _config(state, **overrides)
        check_out_dir(config.out, config.root, project_paths(config))
        with _writing(config.out, lock_timeout):
            progress = RenderProgress(time.perf_counter())
            report = _WatchReport(config.out, progress)
            resident = ResidentBuild(
                config.root, overrides, source_date_epoch(), report, debug=state.debug, progress=progress
            )
            try:
                resident.start()
                click.echo("docs-build: watching models, templates and config for changes (Ctrl+C to stop)")
                while not resident.finished.wait(1.0):
                    pass
            except KeyboardInterrupt:
                click.echo("docs-build: stopped watching", err=True)
                return
            finally:
                resident.stop()
        sys.exit(EXIT_USAGE)


class _WatchReport:
    """What ``build --watch`` prints after each rebuild: like ``build``, plus what changed."""

    def __init__(self, out: Path, progress: _Progress) -> None:
        self.out = out
        self.progress = progress  # the bar of a long render, cleared before anything is printed
        self.first = True  # until the first good build: "wrote N pages" instead of what changed

    def __call__(self, done: Any) -> None:
        self.progress.done()
        _report(done.problems)
        took = f"{done.seconds * 1000:.0f} ms" if done.seconds < 1 else f"{done.seconds:.2f}s"
        summary = _summary(done.problems)
        if not done.ok:
            click.echo(f"docs-build: build failed: {summary}; {self.out} was not changed", err=True)
            return
        if self.first:
            self.first = False
            pages = sum(1 for rel in done.outcome.plan if rel.endswith(".html")) - 1  # not 404
            click.echo(
                f"docs-build: wrote {pages} pages ({done.written} files) to {self.out} in {took}; {summary}"
            )
            return
        inputs = ", ".join(done.outcome.reloaded) or "no input"
        if done.pages_seconds is not None:
            took = f"{took} (its pages after {done.pages_seconds * 1000:.0f} ms)"
        click.echo(
            f"docs-build: {inputs} changed: {done.outcome.rendered} page(s) rendered, "
            f"{done.written} file(s) updated in {self.out} in {took}; {summary}"
        )


def _staging(out: Path, spare: Path | None) -> tuple[Path, dict[str, int] | None]:
    """The directory this build writes into: the spare when there is a usable one (with what it
    holds), else a new empty one. A spare holding anything but files and directories (a link
    could lead writes out of it) is deleted instead."""
    import shutil

    from .cache import output_stats
    from .write import claim_spare, open_staging, release_staging

    recycled = None if spare is None else claim_spare(out, spare)
    if recycled is not None and spare is not None:
        odd: list[str] = []
        try:
            present = output_stats(recycled, odd)
            if not odd:
                return recycled, present
        except OSError:
            pass
        except BaseException:  # interrupted while scanning it: give it back
            release_staging(recycled, spare, out)
            raise
        shutil.rmtree(recycled, ignore_errors=True)
    return open_staging(out), None


def _open_cache(config: Config) -> Any:
    """The build cache for this project and these inputs (entries are loaded on first use)."""
    from .cache import CACHE_DIR, BuildCache, inputs_digest
    from .pipeline import version

    return BuildCache(config.root / CACHE_DIR, inputs_digest(config, version()))


def _up_to_date(config: Config, previous: Any, started: float) -> bool:
    """When nothing the last build read or wrote has changed, say so and keep the output."""
    from .pipeline import descriptor_paths

    paths, problems = descriptor_paths(config)
    if problems or not previous.unchanged(paths):
        return False
    record = previous.record
    _report(record.problems)
    elapsed = time.perf_counter() - started
    click.echo(
        f"docs-build: {record.pages} pages ({record.files} files) in {config.out} are up to date, "
        f"nothing changed; checked in {elapsed:.2f}s; {_summary(record.problems)}"
    )
    return True


def _save_cache(
    cache: Any,
    result: Any,
    out: Path,
    counts: tuple[int, int, int],
    pieces: Any,
    written: dict[str, os.stat_result] | None = None,
) -> None:
    """Remember the published pages; a cache that cannot be written only costs speed.

    ``written``: the site-wide files' stats as written, when the staging directory was fresh;
    with every page's stats as its worker wrote them, that is the whole output, and listing it
    again (20 000 files at 10 000 models) is not needed.
    """
    from .cache import output_stats, record_site
    from .parallel import cache_entries, unpacked_stat, written_output_stats

    with contextlib.suppress(OSError):
        stats = None if written is None else written_output_stats(out, result.pages.values(), written)
        if stats is None:
            stats = output_stats(out)
        cache.save(cache_entries(result.pages, stats, cache))
        sources = {source: page.source_digest for source, page in result.pages.items()}
        read = {
            source: unpacked_stat(page.source_stat)
            for source, page in result.pages.items()
            if page.source_stat is not None
        }
        record_site(cache.root, cache.inputs, sources, stats, result.problems, *counts, read=read)
        pieces.save()


class _Progress:
    """A progress bar on a terminal, once a build has taken more than a second."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.shown = 0.0
        self.active = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if not self.active or now - self.started < 1.0 or (now - self.shown < 0.1 and done < total):
            return
        self.shown = now
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        sys.stderr.write(f"\rdocs-build: [{bar}] {done}/{total} pages")
        sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


class RenderProgress(_Progress):
    """The bar for ``build --watch``: each render that takes more than a second gets one (the
    first build, or every page again after a template change), not every small rebuild."""

    def __call__(self, done: int, total: int) -> None:
        if done == 1:
            self.started = time.perf_counter()
        super().__call__(done, total)


@contextmanager
def _writing(out: Path, lock_timeout: float) -> Iterator[None]:
    """Hold the output lock; failures to write say what happened and what to do."""
    import errno

    from .lock import LockTimeout, output_lock

    try:
        with output_lock(out, lock_timeout):
            yield
    except LockTimeout as exc:
        click.echo(f"docs-build: error: {exc}", err=True)
        sys.exit(EXIT_CONTENT)
    except OSError as exc:
        remedy = {
            errno.ENOSPC: "free some disk space",
            errno.EDQUOT: "free some disk space (quota exceeded)",
            errno.EROFS: "the file system is read-only; choose another --out",
        }.get(exc.errno or 0, f"make {out.parent} writable or choose another --out")
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(
            f"docs-build: error: could not write the site: {exc.strerror or exc}{where}; {remedy}. "
            f"{out} was left as it was",
            err=True,
        )
        sys.exit(EXIT_CONTENT)


@cli.command()
@_strict
@_date_opt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text for people; json for tools; github for workflow annotations on pull requests.",
)
@click.option("--summary", is_flag=True, help="Also show the catalog at a glance (as `list` does).")
@click.pass_obj
def check(state: State, strict: bool | None, date: str | None, fmt: str, summary: bool) -> None:
    """Run the whole pipeline in memory and report problems; writes nothing."""
    with guarded(state):
        from .pipeline import run

        def emit(
            problems: list[Problem], models: int, strict_: bool, catalog: list[Row] | None = None
        ) -> None:
            _check_report(state, fmt, problems, models=models, strict=strict_, catalog=catalog)

        def config_failed(problems: list[Problem]) -> None:
            if fmt == "text":
                _report(problems)
                click.echo(
                    f"docs-build: the config file has {_summary(problems)}; nothing was checked", err=True
                )
            else:
                emit(problems, 0, bool(strict))

        unusable = _project_problem(state.project)
        if unusable is not None and fmt != "text":
            # Tools reading --format json/github get a report they can parse, not a stray line.
            emit([unusable], 0, bool(strict))
            sys.exit(EXIT_USAGE)
        config = _config(
            state,
            on_problems=config_failed,
            strict=strict,
            build_date=_date(date),
        )
        result = run(config)
        catalog = None
        if summary:
            from .report import catalog_rows

            catalog = catalog_rows(result.models, result.problems, config.build_date, config.task_labels)
        emit(result.problems, len(result.models), config.strict, catalog)
        if not result.ok:
            sys.exit(EXIT_CONTENT)


def _check_report(
    state: State,
    fmt: str,
    problems: list[Problem],
    *,
    models: int,
    strict: bool,
    catalog: list[Row] | None,
) -> None:
    """Print ``check``'s findings: machine formats on stdout, the human summary line on stderr."""
    import os

    from . import report

    if fmt == "json":
        rows = None if catalog is None else [row.as_dict() for row in catalog]
        click.echo(report.json_report(problems, models=models, strict=strict, catalog=rows), nl=False)
        return
    if fmt == "github":
        prefix = report.github_prefix(state.project, os.environ)
        click.echo(report.github_report(problems, prefix=prefix), nl=False)
    else:
        _report(problems)
    if catalog is not None:
        click.echo(report.list_text(catalog, problems), nl=False)
    click.echo(f"docs-build: checked {models} models: {_summary(problems)}", err=True)


@cli.command(name="list")
@_date_opt
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="markdown suits $GITHUB_STEP_SUMMARY or a pull-request comment.",
)
@click.pass_obj
def list_cmd(state: State, date: str | None, fmt: str) -> None:
    """Show the catalog at a glance: models per task, flags, warnings.

    A view, not a gate: exits 0 even when there are problems (`check` is the gate).
    """
    with guarded(state):
        from . import report
        from .pipeline import run

        # Warnings stay warnings here (strict=False): the table counts them; `check` is the gate.
        config = _config(state, strict=False, build_date=_date(date))
        result = run(config)
        rows = report.catalog_rows(result.models, result.problems, config.build_date, config.task_labels)
        printer = {"text": report.list_text, "json": report.list_json, "markdown": report.list_markdown}[fmt]
        click.echo(printer(rows, result.problems), nl=False)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Write into a non-empty directory (same-named files are replaced)."
)
@click.option(
    "--install-spec",
    metavar="SPEC",
    help="Pip requirement CI installs docs-build with, e.g. "
    "'docs-build @ git+https://host/org/docs-build@v0.1.0' "
    "(default: where this copy was installed from, if CI can reach it).",
)
@click.pass_obj
def init(state: State, directory: Path | None, force: bool, install_spec: str | None) -> None:
    """Create a working example project in DIRECTORY.

    DIRECTORY defaults to the -C project directory. A non-empty directory is refused unless
    --force is given. The CI workflow installs docs-build from requirements-docs.txt, which
    holds --install-spec, else the URL and commit this copy of docs-build was installed from.
    """
    with guarded(state):
        from .pipeline import version
        from .scaffold import REQUIREMENTS_FILE, InstallSpec, check_install_spec, init_project, installed_spec

        if install_spec is not None:
            install = InstallSpec(check_install_spec(install_spec), "the --install-spec option")
        else:
            install = installed_spec()
        target = directory if directory is not None else state.project
        written = init_project(target, force=force, version=version(), install=install)
        for rel in written:
            click.echo(f"  created {rel}")
        if install.requirement is None:
            click.echo(
                f"docs-build: warning: {REQUIREMENTS_FILE} names no docs-build to install in CI, because "
                f"{install.origin}; docs-build is not on PyPI, so the workflow's install step fails until "
                f"you put a pip requirement in {REQUIREMENTS_FILE} (its comment has examples), or rerun "
                "init with --force --install-spec SPEC",
                err=True,
            )
        else:
            click.echo(f"docs-build: CI installs {install.requirement} (from {REQUIREMENTS_FILE})")
        where = "" if target.absolute() == Path.cwd() else f" -C {target}"
        click.echo(
            f"docs-build: created a project in {target}; next: docs-build{where} new @cf/acme/my-model "
            f"--task text-generation, then docs-build{where} check"
        )


class _NewCommand(click.Command):
    """Lists the known tasks in ``new --help`` without importing them for every command."""

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from .scaffold import TASKS

        self.epilog = (
            f"Known tasks: {', '.join(TASKS)}, and any task type the project already uses. "
            "A display name or a task_labels label (any case) names its task type too."
        )
        super().format_epilog(ctx, formatter)


@cli.command(cls=_NewCommand)
@click.argument("name")
@click.option(
    "--task",
    required=True,
    metavar="TASK",
    help="Task type, e.g. text-generation (see below), or its display name or task_labels label.",
)
@click.option("--lora", is_flag=True, help='Set the lora flag (value: "true").')
@click.option("--beta", is_flag=True, help='Set the beta flag (value: "true").')
@click.option("--description", metavar="TEXT", help="One or two plain sentences about the model.")
@click.pass_obj
def new(state: State, name: str, task: str, lora: bool, beta: bool, description: str | None) -> None:
    """Write a descriptor skeleton for model id NAME to models/<slug>.yaml.

    NAME is the id used in API calls, e.g. @cf/acme/my-model. The file starts with a
    yaml-language-server modeline, so editors validate and complete it against the descriptor
    schema as you type. Existing files are never replaced.
    """
    with guarded(state):
        from .errors import display_path
        from .scaffold import new_descriptor

        config = _config(state)
        path = new_descriptor(
            config.models,
            config.root,
            name,
            task,
            extra_tasks=_project_tasks(config),
            task_labels=config.task_labels,
            lora=lora,
            beta=beta,
            description=description,
        )
        click.echo(f"docs-build: wrote {display_path(path, config.root)}; edit it, then run docs-build check")


def _project_tasks(config: Config) -> dict[str, str]:
    """Task types the project already uses (descriptors first, then task_labels), for `new`."""
    from .pipeline import load_models

    tasks: dict[str, str] = {}
    if config.models.is_dir() and any(config.models.glob("*.y*ml")):
        for model in load_models(config)[0]:
            tasks.setdefault(model.task_type, model.task_name)
    for task_type, label in config.task_labels.items():
        tasks.setdefault(task_type, label)
    return tasks


@cli.command(name="render")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@_date_opt
@click.pass_obj
def render_cmd(state: State, slug: str, fmt: str, date: str | None) -> None:
    """Print one model page (by slug) to stdout, for previewing."""
    with guarded(state):
        from .pipeline import SiteRenderer, load_models
        from .render import RenderError

        config = _config(state, build_date=_date(date))
        models, problems = load_models(config)
        chosen = [m for m in models if m.slug == slug]
        _report([p for p in problems if not chosen or p.location.path == chosen[0].source])
        if not chosen and any(p.is_error for p in problems):
            # The slug may belong to a descriptor that failed to load: that is a content error.
            click.echo(f"docs-build: cannot render {slug!r}: fix the errors above first", err=True)
            sys.exit(EXIT_CONTENT)
        if not chosen:
            known = ", ".join(sorted(m.slug for m in models)[:10])
            fail_usage(f"no model with slug {slug!r}" + (f" (known: {known}, ...)" if known else ""))
        try:
            markdown, html = SiteRenderer(config).model_page(chosen[0])
        except RenderError as exc:
            _report([exc.problem])
            sys.exit(EXIT_CONTENT)
        click.echo(markdown if fmt == "md" else html, nl=False)


@cli.command()
def schema() -> None:
    """Print the descriptor JSON Schema (for editors and other tools)."""
    from .schema import schema_json

    click.echo(schema_json(), nl=False)


# serve.py imports only click at module level; its server, watcher and pipeline load on use.
from .serve import serve as _serve  # noqa: E402

cli.add_command(_serve)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="docs-build")
