"""The pipeline in one place: load → validate → render → convert → plan, then (build) write.

``build`` and ``check`` both call :func:`run`; only ``build`` publishes the plan. Every stage
collects problems rather than stopping at the first, and nothing touches the output directory
until the whole site exists in memory without errors, so a failed build cannot damage the
previous one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from . import load as load_stage
from .apischema import api_doc
from .cache import (
    PLACEHOLDER_CORE,
    BuildCache,
    PieceStore,
    Previous,
    Scan,
    Values,
    convert_page,
    convert_scanned,
    pieces_stored,
    pieces_with,
    scan_around,
    scan_page,
)
from .config import Config
from .convert import Converted, pygments_css
from .errors import Location, Problem, apply_strict, display_path
from .extras import site_files
from .links import PageLinks, check_scanned, page_links
from .model import Model, build_model
from .render import RenderError, render, render_around
from .site import (
    Catalog,
    Entry,
    PartMemo,
    badges,
    build_catalog,
    entry_chunks,
    entry_markdown,
    facts,
    links,
    page_sections,
)
from .templates import BUILTIN_DIR, make_environment
from .write import MARKER, Streamed, check_plan_paths, write_file, write_parts

if TYPE_CHECKING:
    from .parallel import PageResult

ASSETS = ("style.css", "theme.js", "search.js", "catalog.js")


def version() -> str:
    """The docs-build version (part of every cache key and the generator tag).

    ``docs_build.__version__``, which is also what the package metadata is built from
    (``pyproject.toml``): importing ``importlib.metadata`` to read it back cost every build
    20-30 ms of start-up.
    """
    from . import __version__

    return __version__


@dataclass
class Result:
    """What a run produced: the planned files, the models, and every problem found."""

    plan: dict[str, bytes] = field(default_factory=dict)
    models: list[Model] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Per descriptor: the files its page produced (already in the staging directory when
    #: building) and their digests, for the build cache and the summary.
    pages: dict[str, PageResult] = field(default_factory=dict)
    #: Site-wide files already written to the staging directory (building only), with their
    #: stats as written.
    written: list[str] = field(default_factory=list)
    written_stats: dict[str, os.stat_result] = field(default_factory=dict)
    reused: int = 0

    def planned(self) -> set[str]:
        """Every file of the site (rel paths), the marker included."""
        files = {rel for page in self.pages.values() for rel in page.files}
        return files | set(self.plan) | set(self.written) | {MARKER}

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def load_models(config: Config) -> tuple[list[Model], list[Problem]]:
    """Stages 1-2 for every descriptor, plus the checks that need all models at once."""
    models_dir = config.models
    if not models_dir.is_dir():
        where = display_path(models_dir, config.root)
        return [], [
            Problem(Location(where), "models directory not found; create it with one YAML file per model")
        ]
    paths = load_stage.find_descriptors(models_dir)
    if not paths:
        where = display_path(models_dir, config.root)
        return [], [Problem(Location(where), "no descriptors (*.yaml) in the models directory")]
    models: list[Model] = []
    problems: list[Problem] = []
    for path in paths:
        model, found = load_descriptor(config, path)
        problems += found
        if model is not None:
            models.append(model)
    problems += collisions(models)
    return models, problems


def load_descriptor(
    config: Config, path: Path, raw: bytes | None = None
) -> tuple[Model | None, list[Problem]]:
    """Stages 1-2 for one descriptor; ``raw`` when the caller already read (and hashed) it.

    ``serve`` reloads only the descriptors whose bytes changed, so this is the unit it caches.
    """
    display = display_path(path, config.root)
    escape = link_escape(config, path)
    if escape is not None:
        return None, [Problem(Location(display, 1, 1), escape)]
    if raw is None:
        src, found = load_stage.load_file(path, display)
    else:
        src, found = load_stage.load_bytes(raw, path, display)
    if src.data is None or any(p.is_error for p in found):
        return None, found
    model, more = build_model(src)
    return model, found + more


def link_escape(config: Config, path: Path) -> str | None:
    """Why the symlink ``path`` may not be read, or None when it is not a link that leaves.

    A descriptor or template that is a link to ``/etc/passwd`` or to another checkout would put
    files from outside the project into a public site (and into error messages that quote
    lines). Links that stay inside the project, or inside the configured models and templates
    directories, are fine.
    """
    if not path.is_symlink():
        return None
    target = os.readlink(path)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return f"symlink to {target} points nowhere (missing target or a loop); fix or delete the link"
    roots = (config.root, config.models, config.templates)
    if any(real.is_relative_to(r.resolve()) for r in roots):
        return None
    return (
        f"symlink to {target} leaves the project; links must stay inside it "
        "(copy the file into the project instead)"
    )


def check_templates(config: Config) -> list[Problem]:
    """Problems with the project's template files themselves, found before rendering.

    Jinja would follow a link out of the project, silently fall back to the built-in template
    when a link is dangling, and fail without a location on a file that is not UTF-8.
    """
    problems: list[Problem] = []
    if not config.templates.is_dir():
        return problems
    for folder, dirs, files in os.walk(config.templates):
        for name in sorted([*dirs, *files]):
            path = Path(folder) / name
            display = display_path(path, config.root)
            escape = link_escape(config, path)
            if escape is not None:
                problems.append(Problem(Location(display, 1, 1), escape))
                if name in dirs:
                    dirs.remove(name)
            elif name in files and name.endswith(".j2"):
                problems += _utf8_problems(path, display)
            elif name in dirs and name.endswith(".j2"):
                # Jinja skips it and silently renders the built-in template of that name.
                message = "a directory is named like a template; Jinja would ignore it: rename it"
                problems.append(Problem(Location(display, 1, 1), message))
    return problems


def _utf8_problems(path: Path, display: str) -> list[Problem]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem(Location(display, 1, 1), f"cannot read template: {exc.strerror or exc}")]
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return [
            Problem(
                Location(display, line, col),
                f"template is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
            )
        ]
    return []


def collisions(models: list[Model]) -> list[Problem]:
    """Two descriptors for one page (also case-only differences) name both files."""
    seen: dict[str, Model] = {}
    problems: list[Problem] = []
    for m in models:
        key = m.slug.casefold()
        if key in seen:
            first = seen[key]
            problems.append(
                Problem(
                    m.location,
                    f"page 'models/{m.slug}/' is also produced by {first.source} "
                    f"(slug '{first.slug}'); give one of them another model_display_name",
                )
            )
        else:
            seen[key] = m
    return problems


#: Bodies at least this long are not printed into the layout but written around it.
STREAM_MIN = 1 << 20


def _swapped(model: Model) -> tuple[str, str, str]:
    """The values swapped out of a model page's fragments (``cache.convert_page``)."""
    return model.name, model.slug, model.title


class SiteRenderer:
    """Renders pages with one Jinja environment (templates compile once per process)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.env = make_environment(config.templates)
        #: Per-model parts of the site-wide files, kept by a process that stays up (``serve``).
        self.parts: PartMemo | None = None
        #: Whether the page layout printed the body once and did nothing else with it so far.
        self._around_ok = True

        @pass_eval_context
        def catalog_entries(ctx: EvalContext, entries: Iterable[Entry]) -> Markup:
            """The template global: Markdown, so refused where output is HTML (it would be
            printed unescaped there, and Markdown escaping is no HTML escaping)."""
            if ctx.autoescape:
                raise ValueError(
                    "catalog_entries() prints Markdown; call it in a Markdown template (*.md.j2)"
                )
            return self.catalog_entries(entries)

        self.env.globals["catalog_entries"] = catalog_entries
        self.site: dict[str, Any] = {
            "title": config.title,
            "base_url": config.base_url.rstrip("/"),
            "version": version(),
            "build_date": config.build_date.isoformat(),
        }

    def _render(self, name: str, context: dict[str, Any], for_what: str, small: bool = False) -> str:
        return render(self.env, name, context, root=self.config.root, for_what=for_what, small=small)

    def _html(
        self,
        markdown: str,
        page: dict[str, Any],
        template: str,
        for_what: str,
        name: Values = "",
        small: bool = False,
        **extra: Any,
    ) -> str:
        converted = convert_page(markdown, name)  # convert(), reusing fragments seen on other pages
        page = {**page, "headings": converted.headings}
        context = {"site": self.site, "page": page, "body": Markup(converted.html), **extra}
        return self._render(template, context, for_what, small)

    def sections(self, model: Model) -> list[str]:
        """Section names of a model page, in order; templates decide what each one shows."""
        return page_sections(model)

    def model_page(self, model: Model) -> tuple[str, str]:
        """(Markdown, HTML) of one model's page."""
        markdown, page = self._model_markdown(model)
        values = _swapped(model)
        html = self._html(markdown, page, "page.html.j2", model.source, values, small=True, model=model)
        return markdown, html

    def model_page_scanned(self, model: Model) -> tuple[str, str, Scan]:
        """(Markdown, HTML, ``links.scan`` of the HTML) of one model's page, for a build.

        The layout is rendered around a stand-in for the body (:func:`.render.render_around`),
        so the body's place in the page is known rather than searched for, and the page's scan
        is the body's, pieced from its fragments' scans, between the scans of the layout's two
        sides. A layout that does more with the body than print it once is rendered with it,
        and from then on for every page of this renderer, and the page is scanned whole.
        """
        markdown, page = self._model_markdown(model)
        values = _swapped(model)
        converted, body_scan = convert_scanned(markdown, values)
        context = {"site": self.site, "page": {**page, "headings": converted.headings}, "model": model}
        around = None
        if self._around_ok:
            around = render_around(
                self.env, "page.html.j2", context, self.config.root, model.source, small=True
            )
            self._around_ok = around is not None
        if around is None:
            html = self._render(
                "page.html.j2", {**context, "body": Markup(converted.html)}, model.source, True
            )
            return markdown, html, scan_page(html, markdown, values)
        head, tail = around
        html = head + converted.html + tail
        # A placeholder in the page would be taken for one by the body's scan: scan it whole.
        scanned = None if PLACEHOLDER_CORE in html else scan_around(head, body_scan, converted.html, tail)
        return markdown, html, scanned if scanned is not None else scan_page(html, markdown, values)

    def _model_markdown(self, model: Model) -> tuple[str, dict[str, Any]]:
        """A model page's Markdown and the ``page`` its layout is rendered with (less headings)."""
        context = {
            "site": self.site,
            "model": model,
            "badges": badges(model, self.config.build_date),
            "sections": self.sections(model),
            "links": links(model),
            "facts": facts(model),
            "api": api_doc(model.input_schema, model.output_schema),
        }
        markdown = self._render("model.md.j2", context, model.source, small=True)
        page = {
            "title": model.title,
            "description": model.description,
            "root": "../../",
            "markdown_url": "index.md",
            "canonical": self._canonical(f"models/{model.slug}/"),
        }
        return markdown, page

    def catalog_entries(self, entries: Iterable[Entry]) -> Markup:
        """``catalog_entries(group.models)`` in ``index.md.j2``: each entry as a list item
        (:func:`.site.entry_markdown`), an unchanged model's from the memo. Any iterable of
        entries will do (``group.models|selectattr(...)`` too)."""
        return Markup("".join(entry_chunks(self.parts, "index", list(entries), _entries_markdown)))

    def index_markdown(self, catalog: Catalog) -> str:
        """The catalog index's Markdown."""
        return self._render("index.md.j2", {"site": self.site, "catalog": catalog}, "the catalog index")

    def index_html(self, catalog: Catalog, body: Converted, scanned: Scan) -> Streamed | bytes:
        """The catalog index's HTML page around ``body`` (the converted Markdown, scanned).

        At 100 000 models the body is 25 MB; printed into the layout it would exist three more
        times (escaped, joined, encoded). So the layout is rendered around a stand-in and the
        page kept as (layout before, body, layout after); it is rendered again with the real
        body only if the layout did anything with it besides printing it once.
        """
        page = {
            "title": self.config.title,
            "description": f"{len(catalog.models)} models",
            "root": "",
            "markdown_url": "index.md",
            "canonical": self._canonical(""),
            "headings": body.headings,
        }
        context = {"site": self.site, "page": page, "catalog": catalog}
        if len(body.html) >= STREAM_MIN:
            around = render_around(self.env, "index.html.j2", context, self.config.root, "the catalog index")
            if around is not None:
                head, tail = around
                whole = scan_around(head, scanned, body.html, tail)
                if whole is not None:
                    return Streamed([head, body.html, tail], whole)
        html = self._render("index.html.j2", {**context, "body": Markup(body.html)}, "the catalog index")
        return html.encode("utf-8")

    def _canonical(self, rel: str) -> str:
        base = self.site["base_url"]
        return f"{base}/{rel}" if base else ""


def _entries_markdown(entries: list[Entry]) -> str:
    return "".join(map(entry_markdown, entries))


def model_outputs(
    renderer: SiteRenderer, model: Model, scans: dict[str, Scan] | None = None
) -> dict[str, bytes]:
    """The files of one model's page; they depend on that model and the templates only.

    ``serve`` relies on that: it re-renders a model's outputs when its descriptor's bytes change
    and everything when a template or the config changes. With ``scans`` the ``links.scan`` of
    each HTML file is put there by its rel path (what a build's link check needs). Raises
    :class:`RenderError`.
    """
    base = f"models/{model.slug}/"
    if scans is None:
        markdown, html = renderer.model_page(model)
    else:
        markdown, html, scans[base + "index.html"] = renderer.model_page_scanned(model)
    return {base + "index.md": markdown.encode("utf-8"), base + "index.html": html.encode("utf-8")}


def site_outputs(
    renderer: SiteRenderer,
    models: list[Model],
    pages: Mapping[str, bytes],
    emit: Callable[[str, bytes | Streamed], None] | None = None,
) -> tuple[dict[str, bytes], list[Problem]]:
    """Every output that depends on the whole catalog (index, assets, ...), given the model pages.

    ``serve`` calls this after any descriptor change, so site-wide files belong here rather than
    in the per-model stages. With ``emit`` each file is handed over as soon as it exists and
    not kept: at 100 000 models the index alone is tens of MiB in each of its forms. The index
    page reaches ``emit`` as a :class:`Streamed` page; every other file as bytes.
    """
    config = renderer.config
    plan: dict[str, bytes] = {}

    def keep(rel: str, data: bytes | Streamed) -> None:
        plan[rel] = data if isinstance(data, bytes) else data.data()

    put = emit or keep
    problems: list[Problem] = []
    catalog = build_catalog(models, config.build_date, config.task_labels, renderer.parts)
    try:
        markdown = renderer.index_markdown(catalog)
        put("index.md", markdown.encode("utf-8"))
        body, scanned = convert_scanned(markdown)
        del markdown  # every copy of the index that is not needed any more is dropped at once
        page = renderer.index_html(catalog, body, scanned)
        del body, scanned
        put("index.html", page)
        del page
    except RenderError as exc:
        problems.append(exc.problem)
    for name in ASSETS:
        put(f"assets/{name}", asset_bytes(config, name))
    put("assets/pygments.css", pygments_css().encode("utf-8"))
    problems += site_files(renderer, catalog, put)  # llms.txt, sitemap.xml, 404.html, search index
    return plan, problems


def asset_bytes(config: Config, name: str) -> bytes:
    """A static asset; ``templates/assets/NAME`` in the project replaces the built-in one."""
    override = config.templates / "assets" / name
    if override.is_file():
        return override.read_bytes()
    return (BUILTIN_DIR / "assets" / name).read_bytes()


def run(config: Config, build: Build | None = None) -> Result:
    """The whole pipeline: what ``check`` reports and ``build`` publishes.

    load → validate → render → convert run per descriptor in a process pool
    (:mod:`.parallel`); with ``build.staging`` each page is written there as soon as it exists
    (``build`` then adds the site-wide files and swaps the directory in), otherwise pages are
    kept in ``result.plan``. Nothing reaches the output directory here either way. Problems come
    out in the same order as a one-process run: descriptors in file order, then collisions,
    template files, rendering, site-wide pages, paths and links.
    """
    from . import parallel

    with parallel.collector_paused():
        return _run(config, build or Build())


def _run(config: Config, build: Build) -> Result:
    from . import parallel

    template_problems = check_templates(config)
    paths, problems = descriptor_paths(config)
    render = not any(p.is_error for p in template_problems + problems)
    result = Result()
    render_problems: list[Problem] = []
    broken_templates: set[Location] = set()
    links: dict[str, PageLinks] = {}
    shared: dict[object, object] = {}
    for page in parallel.build_pages(
        config,
        paths,
        render=render,
        staging=build.staging,
        cache=build.cache,
        mtime=build.mtime,
        workers=build.workers,
        progress=build.progress,
        present=build.present,
        previous=build.previous,
    ):
        problems += page.problems
        if page.model is not None:
            result.models.append(page.model)
        if page.render_problem is not None and not (
            page.template_level and page.render_problem.location in broken_templates
        ):
            # A syntax error is the template's, not the model's: say it once, not once per model.
            if page.template_level:
                broken_templates.add(page.render_problem.location)
            render_problems.append(page.render_problem)
        result.pages[page.source] = page
        result.reused += page.reused
        parallel.compact(page, shared)
        links.update(page.links)
        if page.data is not None:
            result.plan.update(page.data)
        page.data = None  # written or copied into the plan; the model is shared with result.models
    problems += collisions(result.models) + template_problems
    if not any(p.is_error for p in problems):
        problems += render_problems

        def emit(rel: str, data: bytes | Streamed) -> None:
            if isinstance(data, Streamed):  # the index and extras of a large catalog
                if data.scanned is not None:
                    links[rel] = page_links(rel, b"", data.scanned)
                if build.staging is not None:
                    result.written_stats[rel] = write_parts(build.staging, rel, data.parts, build.mtime)
                    result.written.append(rel)
                    return
                data = data.data()  # for the in-memory plan
            elif rel.endswith(".html"):
                links[rel] = page_links(rel, data)
            if build.staging is not None:  # straight to disk: never hold every site file at once
                result.written_stats[rel] = write_file(build.staging, rel, data, build.mtime)
                result.written.append(rel)
            else:
                result.plan[rel] = data

        mapper = pieces_with(lambda fn, texts: parallel.map_ordered(fn, texts, build.workers))
        with mapper, pieces_stored(build.pieces):
            _, found = site_outputs(SiteRenderer(config), result.models, result.plan, emit)
        problems += found
        planned = result.planned() - {MARKER}
        for message in check_plan_paths(dict.fromkeys(planned, b"")):
            problems.append(Problem(Location(display_path(config.out, config.root)), message))
        if not any(p.is_error for p in render_problems):  # a missing page would be reported twice
            problems += check_scanned(links, planned)
    else:
        result.plan = {}
    result.problems = apply_strict(problems, config.strict)
    return result


@dataclass
class Build:
    """How :func:`run` executes and where pages go: the parts ``check`` leaves at their defaults."""

    staging: Path | None = None  # write pages here (from ``write.open_staging``) instead of the plan
    cache: BuildCache | None = None  # reuse pages of the last build with the same inputs
    mtime: int | None = None  # SOURCE_DATE_EPOCH for written files
    workers: int | None = None  # processes; None: one per CPU
    progress: Callable[[int, int], None] | None = None  # (pages done, total) as pages finish
    pieces: PieceStore | None = None  # converted pieces of the catalog index from earlier builds
    #: With a recycled staging directory: what it already holds (rel path → stat key), so a
    #: reused page whose files are already there (the same i-nodes as the live site's) is skipped.
    present: Mapping[str, int] | None = None
    #: The last build's record and output stats: pages whose descriptors' stats prove them
    #: unchanged are taken from the cache in this process, without reading the descriptors.
    previous: Previous | None = None


def descriptor_paths(config: Config) -> tuple[list[Path], list[Problem]]:
    """The descriptor files to build, or the problem that there are none."""
    models_dir = config.models
    where = display_path(models_dir, config.root)
    if not models_dir.is_dir():
        return [], [
            Problem(Location(where), "models directory not found; create it with one YAML file per model")
        ]
    paths = load_stage.find_descriptors(models_dir)
    if not paths:
        return [], [Problem(Location(where), "no descriptors (*.yaml) in the models directory")]
    return paths, []


def project_paths(config: Config) -> list[Path]:
    """Directories a build must never overwrite."""
    return [config.models, config.templates]
