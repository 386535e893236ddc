"""The author's path, run as a user runs it: ``init``, ``new``, a mistake flagged, fix, ``build``.

The end-to-end test drives the installed ``docs-build`` console script in a subprocess (the
``.venv/bin/docs-build`` next to the running interpreter, else ``python -m docs_build``), so
entry point, package data and exit codes are exercised exactly as in a terminal or in CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build.scaffold import SCAFFOLD_DIR, TASKS, installed_spec, scaffold_files
from docs_build.schema import SCHEMA_ID, schema_json

_SCRIPT = Path(sys.executable).with_name("docs-build")
COMMAND = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "docs_build"]


def docs_build(cwd: Path, *args: str, github: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["SOURCE_DATE_EPOCH"] = "1767225600"
    if github:
        env["GITHUB_WORKSPACE"] = str(cwd)
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_new_user_init_new_mistake_fix_build(tmp_path: Path) -> None:
    repo = tmp_path / "catalog"
    repo.mkdir()
    (repo / ".git").mkdir()  # `git init` first is common; that directory still counts as empty

    # 1. init: a project that checks and builds as it is.
    init = docs_build(repo, "init")
    assert init.returncode == 0, init.stderr
    assert "created .github/workflows/docs.yml" in init.stdout
    assert docs_build(repo, "check", "--format", "github", "--strict").returncode == 0

    # 2. new: a skeleton that already passes check, with the modeline editors read.
    new = docs_build(repo, "new", "@cf/acme/my-model", "--task", "text-generation", "--lora", "--beta")
    assert new.returncode == 0, new.stderr
    assert new.stdout.strip() == "docs-build: wrote models/my-model.yaml; edit it, then run docs-build check"
    path = repo / "models/my-model.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/descriptor.schema.json\n")
    assert docs_build(repo, "check", "--format", "github", "--strict").returncode == 0

    # 3. a mistake, as people make it: an unquoted boolean and a misspelt key.
    lines = text.splitlines(keepends=True)
    lora = next(i for i, line in enumerate(lines) if 'property_id: "lora"' in line) + 1
    assert lines[lora] == '      value: "true"\n'
    lines[lora] = "      value: True\n"
    title = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[title] = lines[title].replace("title:", "titel:")
    path.write_text("".join(lines))

    flagged = docs_build(repo, "check", "--format", "github", "--strict")
    assert flagged.returncode == 1
    assert flagged.stdout.splitlines() == [
        f"::error file=models/my-model.yaml,line={lora + 1},col=14::property 'lora' has non-canonical value "
        'True (a YAML boolean); taken as "true" (Hugo only accepts the string "true" and would read it as '
        'off); write value: "true"',
        f"::error file=models/my-model.yaml,line={title + 1},col=1::unknown key 'titel' at the top level; "
        "did you mean 'title'?",
    ]
    assert "checked 2 models" in flagged.stderr  # the broken model is not counted
    assert not (repo / "build").exists()
    assert docs_build(repo, "build").returncode == 1 and not (repo / "build").exists()

    # 4. fix both as the messages say, then build.
    lines[title] = lines[title].replace("titel:", "title:")
    lines[lora] = '      value: "true"\n'
    path.write_text("".join(lines))
    assert docs_build(repo, "check", "--format", "github", "--strict").stdout == ""
    build = docs_build(repo, "build")
    assert build.returncode == 0, build.stderr
    page = (repo / "build/models/my-model/index.md").read_text()
    assert "[Beta]{.badge .badge-beta} [LoRA]{.badge .badge-lora}" in page
    assert "**Task:** Text Generation" in page  # the scaffold's explained override is live
    listing = docs_build(repo, "list").stdout
    assert "@cf/acme/my-model" in listing and "3 models in 2 tasks" in listing


def test_init_writes_the_package_data_and_the_current_schema(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "new-site"
    result = run_cli(tmp_path, "init", str(target))
    assert result.exit_code == 0, result.output
    written = snapshot(target)
    assert set(written) == {
        ".github/workflows/docs.yml",
        ".gitignore",
        "docs-build.toml",
        "models/acme-chat-7b.yaml",
        "models/acme-embed-small.yaml",
        "requirements-docs.txt",
        "schema/descriptor.schema.json",
        "templates/README.md",
        "templates/partials/header.md.j2",
    }
    assert written == scaffold_files(_version(), installed_spec())
    assert written["schema/descriptor.schema.json"].decode() == schema_json()
    assert (SCAFFOLD_DIR / "gitignore").is_file()  # stored without the dot, written with it


def _version() -> str:
    from docs_build.pipeline import version

    return version()


def test_scaffold_workflow_runs_check_and_build(tmp_path: Path, run_cli: RunCli) -> None:
    assert run_cli(tmp_path, "init", str(tmp_path / "p")).exit_code == 0
    workflow = yaml.safe_load((tmp_path / "p/.github/workflows/docs.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["docs"]["steps"]]
    assert "docs-build check --format github --strict" in runs
    assert "docs-build build" in runs
    install = next(run for run in runs if "pip install" in run)
    assert "python -m pip install -r requirements-docs.txt" in install
    assert "docs-build==" not in install  # docs-build is not on PyPI
    assert True in workflow and "pull_request" in workflow[True]  # YAML 1.1 reads `on:` as true
    assert "/build/" in (tmp_path / "p/.gitignore").read_text().splitlines()


def test_init_refuses_a_non_empty_directory(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    refused = run_cli(tmp_path, "init", str(target))
    assert refused.exit_code == 2
    assert "is not empty (notes.txt); choose an empty directory, or pass --force" in refused.stderr
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    forced = run_cli(tmp_path, "init", str(target), "--force")
    assert forced.exit_code == 0 and (target / "notes.txt").read_text() == "mine"
    assert (target / "docs-build.toml").is_file()


def test_init_into_a_file_is_a_usage_error(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "f").write_text("")
    assert run_cli(tmp_path, "init", str(tmp_path / "f")).exit_code == 2


def test_init_defaults_to_the_project_directory(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "here"
    target.mkdir()
    assert run_cli(target, "init").exit_code == 0
    assert (target / "models/acme-chat-7b.yaml").is_file()


def test_new_refuses_to_overwrite(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    before = snapshot(project)
    result = run_cli(project, "new", "@cf/acme/Tiny-Chat", "--task", "text-generation")
    assert result.exit_code == 2
    assert (
        "models/tiny-chat.yaml already exists; edit it, or give the new model another name" in result.stderr
    )
    assert snapshot(project) == before


def test_new_unknown_task_suggests_and_lists(make_project: MakeProject, run_cli: RunCli) -> None:
    result = run_cli(make_project(), "new", "@cf/acme/x", "--task", "text-generaton")
    assert result.exit_code == 2
    assert "unknown task 'text-generaton'; did you mean 'text-generation'? known tasks: " in result.stderr
    for task_type in TASKS:
        assert task_type in result.stderr
    help_text = run_cli(make_project(name="other"), "new", "--help").stdout
    assert "Known tasks:" in help_text and "text-to-image" in help_text


def test_new_accepts_task_names_and_project_task_types(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(
        {"s.yaml": descriptor("s", task_name="Speech Synthesis", task_type="text-to-speech")},
        config='[task_labels]\nvideo-generation = "Video"\n',
    )
    assert run_cli(project, "new", "@cf/acme/a", "--task", "Text Embeddings").exit_code == 0
    assert 'task_type: "text-embeddings"' in (project / "models/a.yaml").read_text()
    assert run_cli(project, "new", "@cf/acme/b", "--task", "text-to-speech").exit_code == 0
    assert 'name: "Speech Synthesis"' in (project / "models/b.yaml").read_text()
    assert run_cli(project, "new", "@cf/acme/c", "--task", "video-generation").exit_code == 0
    assert run_cli(project, "check", "--strict").exit_code == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("@cf/acme/my model", "is not a model id"),
        ("@cf//x", "is not a model id"),
        ("@cf/acme/" + "a" * 101, "too long for a page slug"),
        ("@cf/acme/con", "reserved file name on Windows"),
        ("@cf/acme/x.", "not usable as a directory name"),
    ],
)
def test_new_validates_the_name(name: str, message: str, make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    result = run_cli(project, "new", name, "--task", "text-generation")
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert sorted(p.name for p in (project / "models").iterdir()) == ["tiny-chat.yaml"]


def test_new_modeline_uses_the_url_without_a_schema_file(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    assert (
        run_cli(
            project, "new", "@hf/acme/x", "--task", "translation", "--description", 'Says "hi".'
        ).exit_code
        == 0
    )
    text = (project / "models/x.yaml").read_text()
    assert text.startswith(f"# yaml-language-server: $schema={SCHEMA_ID}\n")
    assert "  source: 2\n" in text and 'description: "Says \\"hi\\"."' in text
    assert run_cli(project, "check", "--strict").exit_code == 0


def test_new_into_a_project_without_models_dir(tmp_path: Path, run_cli: RunCli) -> None:
    assert run_cli(tmp_path, "new", "@cf/acme/first", "--task", "summarization").exit_code == 0
    assert (tmp_path / "models/first.yaml").is_file()
    assert run_cli(tmp_path, "check").exit_code == 0
