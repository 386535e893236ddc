"""``docs-build init`` and ``docs-build new``: start a project, add a model, without copy-paste.

The files ``init`` writes live in ``builtin/scaffold/`` as package data, so the installed tool
writes exactly what its tests build. Names that start with a dot are stored without it
(``gitignore``, ``github/``) because wheels and globs tend to drop dotfiles; :data:`RENAMES`
puts the dot back. The schema file is generated, not stored, so it cannot drift from
:data:`~docs_build.schema.DESCRIPTOR_SCHEMA`.

Both commands refuse to overwrite what the user already has (a usage error, exit 2).
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError, display_path
from .model import kebab
from .schema import NAME_PATTERN, SCHEMA_ID, SLUG_PATTERN, schema_json
from .templates import BUILTIN_DIR

SCAFFOLD_DIR = BUILTIN_DIR / "scaffold"
SCHEMA_FILE = "schema/descriptor.schema.json"
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


# -- init ----------------------------------------------------------------------------------------


def scaffold_files(version: str) -> dict[str, bytes]:
    """Relative path → bytes of every file ``init`` writes, in a stable order."""
    files: dict[str, bytes] = {}
    for path in sorted(SCAFFOLD_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(SCAFFOLD_DIR).as_posix()
            for stored, real in RENAMES.items():
                if rel == stored or (stored.endswith("/") and rel.startswith(stored)):
                    rel = real + rel[len(stored) :]
            files[rel] = path.read_bytes().replace(b"@VERSION@", version.encode())
    files[SCHEMA_FILE] = schema_json().encode("utf-8")
    return dict(sorted(files.items()))


def init_project(target: Path, *, force: bool, version: str) -> list[str]:
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
    files = scaffold_files(version)
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


def resolve_task(task: str, tasks: dict[str, str]) -> str:
    """The task type ``task`` names (a task type or a display name); UsageError otherwise."""
    wanted = kebab(task)
    if wanted in tasks:
        return wanted
    close = difflib.get_close_matches(wanted, list(tasks), n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise UsageError(f"unknown task '{task}'; {hint}known tasks: {', '.join(tasks)}")


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
    lora: bool = False,
    beta: bool = False,
    description: str | None = None,
) -> Path:
    """Write ``models/<slug>.yaml`` for ``name``; refuses to replace an existing descriptor."""
    slug = check_name(name)
    tasks = known_tasks(extra_tasks)
    task_type = resolve_task(task, tasks)
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
