"""``docs-build init`` and ``docs-build new``: start a project, add a model, without copy-paste.

The files ``init`` writes live in ``builtin/scaffold/`` as package data, so the installed tool
writes exactly what its tests build. Names that start with a dot are stored without it
(``gitignore``, ``github/``) because wheels and globs tend to drop dotfiles; :data:`RENAMES`
puts the dot back. The schema file is generated, not stored, so it cannot drift from
:data:`~docs_build.schema.DESCRIPTOR_SCHEMA`. So is ``requirements-docs.txt``, the one line the
scaffolded workflow installs docs-build from: docs-build is not on PyPI, so a version pin would
not install, and where this copy came from is only known at ``init`` time (PEP 610).

Both commands refuse to overwrite what the user already has (a usage error, exit 2).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError, display_path
from .model import kebab
from .schema import NAME_PATTERN, SCHEMA_ID, SLUG_PATTERN, schema_json
from .templates import BUILTIN_DIR

SCAFFOLD_DIR = BUILTIN_DIR / "scaffold"
SCHEMA_FILE = "schema/descriptor.schema.json"
#: The pip requirements file the scaffolded workflow installs docs-build from.
REQUIREMENTS_FILE = "requirements-docs.txt"
DIST_NAME = "docs-build"
RENAMES = {"gitignore": ".gitignore", "github/": ".github/"}
#: Entries a directory may hold and still count as empty (``git init`` first is common).
IGNORED_ENTRIES = frozenset({".git"})


@dataclass(frozen=True)
class Task:
    """A task type ``new`` knows: its display name and a one-line description."""

    name: str
    description: str


#: Task types of the catalog docs-build was made for; ``new`` also accepts any task type the
#: project's config (``task_labels``) or existing descriptors already use.
TASKS: dict[str, Task] = {
    "automatic-speech-recognition": Task(
        "Automatic Speech Recognition", "Models that turn speech into text."
    ),
    "image-classification": Task("Image Classification", "Models that label what an image shows."),
    "image-to-text": Task("Image-to-Text", "Models that describe or read the content of an image."),
    "object-detection": Task("Object Detection", "Models that find and box objects in an image."),
    "summarization": Task("Summarization", "Models that shorten a text and keep what matters."),
    "text-classification": Task("Text Classification", "Models that sort a text into labels."),
    "text-embeddings": Task(
        "Text Embeddings", "Models that map text to vectors so that similar meanings land close together."
    ),
    "text-generation": Task(
        "Text Generation", "Models that continue a prompt or a conversation with generated text."
    ),
    "text-to-image": Task("Text-to-Image", "Models that draw an image from a text prompt."),
    "translation": Task("Translation", "Models that carry a text from one language into another."),
}


# -- where CI installs docs-build from -------------------------------------------------------------


@dataclass(frozen=True)
class InstallSpec:
    """The pip requirement CI installs docs-build with, or ``None`` and why none is known."""

    requirement: str | None
    #: Where ``requirement`` came from, or why there is none (shown to the user either way).
    origin: str


def check_install_spec(spec: str) -> str:
    """``spec`` stripped, when it is one PEP 508 requirement for docs-build; UsageError otherwise.

    Checked with ``packaging`` (pip's own parser), so a spec ``init`` accepts is one
    ``pip install -r`` accepts, and a typo fails now rather than in the first CI run.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    text = spec.strip()
    example = f"e.g. --install-spec '{DIST_NAME} @ git+https://github.com/ORG/docs-build@v0.1.0'"
    if not text.isprintable():  # packaging lets a line break through; the file would get two lines
        raise UsageError(f"invalid --install-spec {spec!r}: one line without control characters; {example}")
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "not a requirement"
        raise UsageError(f"invalid --install-spec {spec!r}: {detail}; {example}") from None
    if canonicalize_name(requirement.name) != DIST_NAME:
        raise UsageError(
            f"invalid --install-spec {spec!r}: it installs {requirement.name!r}, not {DIST_NAME}; {example}"
        )
    return text


def spec_from_direct_url(data: Any) -> InstallSpec:
    """The requirement that reinstalls what PEP 610's ``direct_url.json`` records, if CI can reach it.

    A VCS checkout is pinned to the exact commit (a branch may move; a commit cannot), an
    archive is installed from its URL; a local directory or ``file:`` URL exists only on this
    machine, so it gives no requirement, only the reason.
    """
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return InstallSpec(None, "the install record of this docs-build (direct_url.json) has no URL")
    url: str = data["url"]
    sub = data.get("subdirectory")
    fragment = f"#subdirectory={sub}" if isinstance(sub, str) and sub else ""
    if url.startswith("file:") or "dir_info" in data:
        # The path stays out of the message: it would end up in a file committed to the repository.
        return InstallSpec(
            None,
            "this docs-build was installed from a directory or file on this machine, which CI cannot reach",
        )
    vcs = data.get("vcs_info")
    if isinstance(vcs, dict):
        kind, commit = vcs.get("vcs"), vcs.get("commit_id")
        if not (isinstance(kind, str) and isinstance(commit, str) and kind and commit):
            return InstallSpec(
                None, f"this docs-build was installed from {url}, but its install record names no commit"
            )
        requirement = f"{DIST_NAME} @ {kind}+{url}@{commit}{fragment}"
        origin = f"the {kind} commit this copy of docs-build was installed from"
        asked = vcs.get("requested_revision")
        if isinstance(asked, str) and asked:
            origin += f" (requested as {asked})"
    elif isinstance(data.get("archive_info"), dict):
        requirement = f"{DIST_NAME} @ {url}{fragment}"
        origin = "the archive this copy of docs-build was installed from"
    else:
        return InstallSpec(None, f"this docs-build was installed from {url} in a way init does not recognise")
    try:
        return InstallSpec(check_install_spec(requirement), origin)
    except UsageError:
        return InstallSpec(
            None,
            f"the install record of this docs-build gives a requirement pip would not accept: {requirement}",
        )


def installed_spec() -> InstallSpec:
    """Where the running docs-build came from, as a requirement CI can install (PEP 610)."""
    from importlib import metadata

    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        return InstallSpec(None, "docs-build is running from a source tree, not an installed package")
    raw = dist.read_text("direct_url.json")
    if raw is None:
        # Installed from an index: not PyPI, so some private index CI may not be configured for.
        return InstallSpec(
            None, f"docs-build {dist.version} was installed from a package index, not from a URL"
        )
    try:
        data = json.loads(raw)
    except ValueError:
        return InstallSpec(None, "the install record of this docs-build (direct_url.json) is not valid JSON")
    return spec_from_direct_url(data)


def requirements_text(install: InstallSpec, version: str) -> str:
    """``requirements-docs.txt``: the requirement line, or a comment that says what to write there."""
    head = (
        "# How CI installs docs-build: .github/workflows/docs.yml runs\n"
        f"#   python -m pip install -r {REQUIREMENTS_FILE}\n"
        "# docs-build is not on PyPI, so this file names where to get it: one pip requirement line.\n"
    )
    examples = (
        "# For example (replace ORG and the tag or commit with yours):\n"
        f"#   {DIST_NAME} @ git+https://github.com/ORG/docs-build@v{version}\n"
        f"#   {DIST_NAME} @ https://example.com/dist/docs_build-{version}-py3-none-any.whl\n"
        f"# From a private package index, two lines: --index-url https://... then {DIST_NAME}=={version}\n"
    )
    origin = " ".join(install.origin.split())  # one comment line, whatever the install record held
    if install.requirement is None:
        return (
            head
            + f"# docs-build init could not tell where to get it: {origin}.\n"
            + "# Until you add the line, the workflow's install step fails and points here.\n"
            + examples
        )
    return head + f"# Written by docs-build init from {origin}.\n" + examples + install.requirement + "\n"


# -- init ----------------------------------------------------------------------------------------


def scaffold_files(version: str, install: InstallSpec) -> dict[str, bytes]:
    """Relative path → bytes of every file ``init`` writes, in a stable order."""
    files: dict[str, bytes] = {}
    for path in sorted(SCAFFOLD_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(SCAFFOLD_DIR).as_posix()
            for stored, real in RENAMES.items():
                if rel == stored or (stored.endswith("/") and rel.startswith(stored)):
                    rel = real + rel[len(stored) :]
            files[rel] = path.read_bytes()
    files[SCHEMA_FILE] = schema_json().encode("utf-8")
    files[REQUIREMENTS_FILE] = requirements_text(install, version).encode("utf-8")
    return dict(sorted(files.items()))


def init_project(target: Path, *, force: bool, version: str, install: InstallSpec) -> list[str]:
    """Write the scaffold into ``target``; returns the relative paths written.

    A non-empty directory is refused unless ``force``; with ``force`` only the scaffold's own
    files are (over)written, nothing else in the directory is touched.
    """
    if target.exists() and not target.is_dir():
        raise UsageError(f"cannot create a project in {target}: it is a file")
    if target.is_dir() and not force:
        present = sorted(p.name for p in target.iterdir() if p.name not in IGNORED_ENTRIES)
        if present:
            shown = ", ".join(present[:5]) + (", ..." if len(present) > 5 else "")
            raise UsageError(
                f"{target} is not empty ({shown}); choose an empty directory, "
                "or pass --force to write the example project into it (files with the same names "
                "are replaced)"
            )
    files = scaffold_files(version, install)
    for rel, data in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return list(files)


# -- new -----------------------------------------------------------------------------------------


def known_tasks(extra: dict[str, str]) -> dict[str, str]:
    """task_type → display name: the built-in list plus the project's own (``extra``)."""
    tasks = {key: task.name for key, task in TASKS.items()}
    for key, name in extra.items():
        tasks.setdefault(key, name)
    return dict(sorted(tasks.items()))


def resolve_task(task: str, tasks: dict[str, str], labels: dict[str, str] | None = None) -> str:
    """The task type ``task`` names; UsageError otherwise.

    ``task`` may be a task type, or, ignoring case, a display name: a built-in one, one the
    project's descriptors use (both in ``tasks``), or a ``task_labels`` value (``labels``, task
    type → label), since that is the name people see in the catalog. A task type wins over a
    label; a label shared by two task types is refused rather than guessed.
    """
    wanted = kebab(task)
    if wanted in tasks:
        return wanted
    named: dict[str, set[str]] = {}
    for task_type, label in [*tasks.items(), *(labels or {}).items()]:
        named.setdefault(_label_key(label), set()).add(task_type)
    key = _label_key(task)
    matches = sorted(named.get(key, set())) if key else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(
            f"task '{task}' is ambiguous: it is the label of {', '.join(matches)}; "
            f"give the task type, e.g. --task {matches[0]}"
        )
    close = difflib.get_close_matches(wanted, list(tasks), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(f"unknown task '{task}'; {hint}known tasks: {', '.join(tasks)}")


def _label_key(label: str) -> str:
    """A display name compared as people type it: any case, any run of spaces."""
    return " ".join(label.casefold().split())


def check_name(name: str) -> str:
    """The page slug for model id ``name``; UsageError with an example when it is not an id."""
    if not re.search(NAME_PATTERN, name):
        raise UsageError(
            f"'{name}' is not a model id: use letters, digits, '.', '_' and '-' in '/'-separated "
            "parts, e.g. @cf/acme/my-model"
        )
    slug = name.rsplit("/", 1)[-1]
    if not re.search(SLUG_PATTERN, slug):
        raise UsageError(f"the last part of '{name}' ('{slug}') is too long for a page slug (100 at most)")
    return slug


def modeline(models_dir: Path, root: Path) -> str:
    """The ``yaml-language-server`` comment: the project's schema file if it has one, else the URL."""
    schema = root / SCHEMA_FILE
    target = Path(os.path.relpath(schema, models_dir)).as_posix() if schema.is_file() else SCHEMA_ID
    return f"# yaml-language-server: $schema={target}\n"


def skeleton(
    name: str, task_type: str, task_name: str, *, lora: bool, beta: bool, description: str | None, header: str
) -> str:
    """A descriptor that passes ``check`` as written and shows where each fact goes."""
    slug = name.rsplit("/", 1)[-1]
    source = {"@cf/": "  source: 1\n", "@hf/": "  source: 2\n"}.get(name[:4], "")
    task = TASKS.get(task_type)
    task_description = task.description if task else f"Models for {task_name}."
    text = description or f"Describe {name} here in one or two plain sentences: what it does, what it is for."
    props = "".join(
        f'    - property_id: "{pid}"\n      value: "{"true" if on else "false"}"\n'
        for pid, on in (("beta", beta), ("lora", lora))
    )
    q = json.dumps  # JSON strings are valid double-quoted YAML scalars
    return (
        header
        + "model:\n"
        + source
        + f"  name: {q(name)}\n"
        + f"  description: {q(text, ensure_ascii=False)}\n"
        + "  task:\n"
        + f"    name: {q(task_name, ensure_ascii=False)}\n"
        + f"    description: {q(task_description, ensure_ascii=False)}\n"
        + "  tags: []\n"
        + '  # Flags are on only when the value is the string "true", quoted.\n'
        + "  properties:\n"
        + props
        + f"task_type: {q(task_type)}\n"
        + f"model_display_name: {q(slug)}\n"
        + 'layout: "model"\n'
        + "weight: 0\n"
        + f"title: {q(slug)}\n"
    )


def new_descriptor(
    models_dir: Path,
    root: Path,
    name: str,
    task: str,
    *,
    extra_tasks: dict[str, str],
    task_labels: dict[str, str] | None = None,
    lora: bool = False,
    beta: bool = False,
    description: str | None = None,
) -> Path:
    """Write ``models/<slug>.yaml`` for ``name``; refuses to replace an existing descriptor.

    ``extra_tasks`` are the task types the project uses (type → display name); ``task_labels``
    the config's labels, which ``task`` may also name.
    """
    slug = check_name(name)
    tasks = known_tasks(extra_tasks)
    task_type = resolve_task(task, tasks, task_labels)
    path = models_dir / f"{slug}.yaml"
    taken = {p.name.casefold(): p for p in models_dir.glob("*.y*ml")} if models_dir.is_dir() else {}
    for candidate in (f"{slug}.yaml", f"{slug}.yml"):
        if candidate.casefold() in taken:
            existing = display_path(taken[candidate.casefold()], root)
            raise UsageError(f"{existing} already exists; edit it, or give the new model another name")
    text = skeleton(
        name,
        task_type,
        tasks[task_type],
        lora=lora,
        beta=beta,
        description=description,
        header=modeline(models_dir, root),
    )
    _self_check(text, path, root)
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as fh:  # "x": never replace, even in a race
        fh.write(text)
    return path


def _self_check(text: str, path: Path, root: Path) -> None:
    """Run the real loader and validator over the skeleton, so ``new`` never writes a file
    that ``check`` would reject (e.g. a slug Windows cannot use as a directory name)."""
    from .load import load_bytes
    from .model import build_model

    src, problems = load_bytes(text.encode("utf-8"), path, display_path(path, root))
    if src.data is not None and not problems:
        problems = build_model(src)[1]
    errors = [p.message for p in problems if p.is_error]
    if errors:
        raise UsageError(f"cannot create {src.display}: {'; '.join(errors)}")
