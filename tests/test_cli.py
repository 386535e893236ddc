"""The CLI as users run it: exit codes, messages on stderr, output left intact on failure."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build.write import MARKER


def three_models() -> dict[str, str]:
    return {
        "tiny-chat.yaml": descriptor("tiny-chat", properties={"beta": "true"}),
        "tiny-lora.yaml": descriptor("tiny-lora", properties={"beta": "true", "lora": "true"}, weight=5),
        "tiny-embed.yaml": descriptor(
            "tiny-embed",
            task_name="Text Embeddings",
            task_type="text-embeddings",
            properties={"beta": "false"},
            weight=100,
        ),
    }


def test_build_writes_index_and_one_page_per_model(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(three_models())
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert "wrote 4 pages" in result.stdout
    out = project / "build"
    for slug in ("tiny-chat", "tiny-lora", "tiny-embed"):
        assert (out / "models" / slug / "index.html").is_file()
        assert (out / "models" / slug / "index.md").is_file()
    assert (out / "index.html").is_file() and (out / "index.md").is_file() and (out / MARKER).is_file()
    lora = (out / "models/tiny-lora/index.md").read_text()
    chat = (out / "models/tiny-chat/index.md").read_text()
    assert "### Using streaming" not in lora and "### Non-streaming response" not in lora
    assert '"response": "The origin of the phrase' in lora
    assert "### Using streaming" in chat and "### Non-streaming response" in chat
    assert "[LoRA]{.badge .badge-lora}" in lora and "LoRA" not in chat.split("## Responses")[0]


def test_index_groups_by_task_and_orders_by_weight(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(three_models())
    assert run_cli(project, "build").exit_code == 0
    index = (project / "build/index.md").read_text()
    assert index.index("## Text Embeddings") < index.index("## Text Generation")
    generation = index.split("## Text Generation")[1]
    assert generation.index("tiny-lora") < generation.index("tiny-chat")  # weight 5 before 0
    html = (project / "build/index.html").read_text()
    assert 'href="models/tiny-lora/"' in html


def test_two_builds_are_byte_identical(make_project: MakeProject, run_cli: RunCli, tmp_path: Path) -> None:
    project = make_project(three_models())
    assert run_cli(project, "build").exit_code == 0
    first = snapshot(project / "build")
    assert run_cli(project, "build", "--out", str(tmp_path / "second")).exit_code == 0
    assert snapshot(tmp_path / "second") == first


def test_source_date_epoch_sets_the_date(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(three_models())
    run_cli(project, "build", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert "on 2023-11-14" in (project / "build/index.html").read_text()
    assert (project / "build/index.html").stat().st_mtime == 1700000000


def test_yaml_error_is_located_and_previous_build_untouched(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    models = three_models()
    project = make_project(models)
    assert run_cli(project, "build").exit_code == 0
    before = snapshot(project / "build")
    (project / "models/tiny-chat.yaml").write_text("model:\n  name: [oops\n  description: x\n")
    result = run_cli(project, "build")
    assert result.exit_code == 1
    assert result.stderr.startswith("models/tiny-chat.yaml:3:14: error: YAML syntax error")
    assert "Traceback" not in result.output
    assert snapshot(project / "build") == before
    leftovers = [p.name for p in project.iterdir() if p.name.startswith((".build.tmp", ".build.old"))]
    assert leftovers == []


def test_all_problems_reported_before_failing(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"a.yaml": "model: {}\n", "b.yaml": "- 1\n", "c.yaml": descriptor("c")})
    result = run_cli(project, "check")
    assert result.exit_code == 1
    assert "models/a.yaml:1:8: error: missing required key 'name'" in result.stderr
    assert "models/b.yaml:1:1: error: a descriptor must be a mapping" in result.stderr


def test_two_descriptors_for_one_page_name_both_files(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"a.yaml": descriptor("same"), "b.yaml": descriptor("Same")})
    result = run_cli(project, "build")
    assert result.exit_code == 1
    assert "models/b.yaml" in result.stderr and "also produced by models/a.yaml" in result.stderr


def test_strict_turns_warnings_into_errors(make_project: MakeProject, run_cli: RunCli) -> None:
    text = descriptor(properties={"lora": "X"}).replace('"X"', "yes")
    project = make_project({"m.yaml": text})
    relaxed = run_cli(project, "check")
    assert relaxed.exit_code == 0 and "warning: property 'lora' has non-canonical value yes" in relaxed.stderr
    strict = run_cli(project, "check", "--strict")
    assert strict.exit_code == 1 and "error: property 'lora'" in strict.stderr
    assert not (project / "build").exists()


def test_template_error_points_at_template_and_descriptor(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(
        three_models(),
        templates={"tasks/text-embeddings/responses.md.j2": "## Responses\n\n{{ model.oops }}\n"},
    )
    result = run_cli(project, "build")
    assert result.exit_code == 1
    assert "templates/tasks/text-embeddings/responses.md.j2:3: error: undefined value" in result.stderr
    assert "models/tiny-embed.yaml" in result.stderr


def test_render_prints_one_page(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(three_models())
    md = run_cli(project, "render", "tiny-lora")
    assert md.exit_code == 0 and md.stdout.startswith("# tiny-lora\n")
    html = run_cli(project, "render", "tiny-lora", "--format", "html")
    assert html.stdout.startswith("<!doctype html>")
    missing = run_cli(project, "render", "nope")
    assert missing.exit_code == 2 and "no model with slug 'nope'" in missing.stderr


def test_schema_and_version(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    schema = json.loads(run_cli(project, "schema").stdout)
    assert schema["required"] == ["model"] and schema["additionalProperties"] is False
    assert run_cli(project, "--version").stdout.startswith("docs-build ")


def test_usage_errors_exit_2(make_project: MakeProject, run_cli: RunCli, tmp_path: Path) -> None:
    project = make_project()
    assert run_cli(project, "build", "--bogus").exit_code == 2
    refused = run_cli(project, "build", "--out", str(project))
    assert refused.exit_code == 2 and "refusing" in refused.stderr
    assert run_cli(tmp_path / "missing", "build").exit_code == 2


def test_missing_models_dir_is_a_content_error(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(tmp_path, "build")
    assert result.exit_code == 1 and "models: error: models directory not found" in result.stderr


def test_bad_date_and_base_url_are_usage_errors(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    bad_date = run_cli(project, "build", "--date", "2024-13-45")
    assert (
        bad_date.exit_code == 2 and "invalid --date" in bad_date.stderr and "internal" not in bad_date.stderr
    )
    bad_url = run_cli(project, "build", "--base-url", "javascript:alert(1)")
    assert bad_url.exit_code == 2 and "--base-url must start with https://" in bad_url.stderr
    assert not (project / "build").exists()


def test_render_of_a_broken_descriptor_is_a_content_error(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"tiny-chat.yaml": descriptor("tiny-chat") + "titel: x\n"})
    result = run_cli(project, "render", "tiny-chat")
    assert result.exit_code == 1
    assert "unknown key 'titel'" in result.stderr and "no model with slug" not in result.stderr
