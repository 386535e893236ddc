"""``check --format text|json|github``, ``check --summary`` and ``list``: the same facts, three ways."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build.errors import Location, Problem, Severity
from docs_build.report import (
    escape_data,
    escape_property,
    github_prefix,
    github_report,
    json_report,
)


def warning_and_error_project(make_project: MakeProject) -> Path:
    """One valid model with a warning (value: yes), one descriptor with an unknown key."""
    warned = descriptor("warned", properties={"lora": "X"}).replace('"X"', "yes")
    broken = descriptor("broken").replace("weight: 0", "weight: 0\ntitel: x")
    return make_project({"warned.yaml": warned, "broken.yaml": broken, "fine.yaml": descriptor("fine")})


# -- GitHub workflow commands -----------------------------------------------------------------------


def test_github_escapes_follow_the_runner_rules() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a: b, c") == "a: b, c"  # only properties escape ':' and ','
    assert escape_property("models/a,b:c%.yaml") == "models/a%2Cb%3Ac%25.yaml"


def test_github_report_line_per_problem_with_file_line_col() -> None:
    problems = [
        Problem(Location("models/x.yaml", 3, 5), "bad: value, 100%\nsecond line"),
        Problem(Location("models/y.yaml", 7), "only a line", Severity.WARNING),
        Problem(Location("models"), "no position"),
    ]
    assert github_report(problems).splitlines() == [
        "::error file=models/x.yaml,line=3,col=5::bad: value, 100%25%0Asecond line",
        "::warning file=models/y.yaml,line=7::only a line",
        "::error file=models::no position",
    ]
    assert github_report(problems[:1], prefix="docs").startswith("::error file=docs/models/x.yaml,")


def test_github_prefix_is_the_project_inside_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    assert github_prefix(tmp_path / "docs", {"GITHUB_WORKSPACE": str(tmp_path)}) == "docs"
    assert github_prefix(tmp_path, {"GITHUB_WORKSPACE": str(tmp_path)}) == ""
    assert github_prefix(tmp_path, {"GITHUB_WORKSPACE": str(tmp_path / "docs")}) == ""


def test_check_github_format_points_at_file_line_col(make_project: MakeProject, run_cli: RunCli) -> None:
    project = warning_and_error_project(make_project)
    result = run_cli(project, "check", "--format", "github", env={"GITHUB_WORKSPACE": str(project)})
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "::error file=models/broken.yaml,line=19,col=1::unknown key 'titel' at the top level; "
        "did you mean 'title'?",
        "::warning file=models/warned.yaml,line=13,col=14::property 'lora' has non-canonical value yes "
        '(a YAML boolean); taken as "true" (Hugo only accepts the string "true" and would read it as off); '
        'write value: "true"',
    ]
    assert "checked 2 models: 1 error(s), 1 warning(s)" in result.stderr
    # The line and column are where the mistake is in the file.
    broken = (project / "models/broken.yaml").read_text().splitlines()
    assert broken[19 - 1].startswith("titel")


def test_github_paths_are_relative_to_the_repository(make_project: MakeProject, run_cli: RunCli) -> None:
    project = warning_and_error_project(make_project)
    result = run_cli(project, "check", "--format", "github", env={"GITHUB_WORKSPACE": str(project.parent)})
    assert all(
        line.startswith(f"::{kind} file={project.name}/models/")
        for line in result.stdout.splitlines()
        for kind in [line[2:].split(" ")[0]]
    )


def test_strict_github_turns_the_warning_into_an_error(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"w.yaml": descriptor("w", properties={"beta": "X"}).replace('"X"', "True")})
    relaxed = run_cli(project, "check", "--format", "github")
    assert relaxed.exit_code == 0 and relaxed.stdout.startswith(
        "::warning file=models/w.yaml,line=13,col=14::"
    )
    strict = run_cli(project, "check", "--format", "github", "--strict")
    assert strict.exit_code == 1 and strict.stdout.startswith("::error file=models/w.yaml,line=13,col=14::")


# -- JSON -------------------------------------------------------------------------------------------


def test_json_report_shape_is_stable(make_project: MakeProject, run_cli: RunCli) -> None:
    project = warning_and_error_project(make_project)
    result = run_cli(project, "check", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert list(report) == ["version", "ok", "strict", "summary", "models", "problems"]
    assert report["version"] == 1 and report["ok"] is False and report["strict"] is False
    assert report["summary"] == {"errors": 1, "warnings": 1, "files": 2}
    assert report["models"] == 2
    assert report["problems"][0] == {
        "path": "models/broken.yaml",
        "line": 19,
        "col": 1,
        "severity": "error",
        "message": "unknown key 'titel' at the top level; did you mean 'title'?",
    }
    assert [p["severity"] for p in report["problems"]] == ["error", "warning"]
    assert result.stderr == ""  # machine output only; nothing to parse around


def test_json_report_ok_and_strict(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"w.yaml": descriptor("w", properties={"beta": "X"}).replace('"X"', "yes")})
    ok = json.loads(run_cli(project, "check", "--format", "json").stdout)
    assert ok["ok"] is True and ok["summary"]["warnings"] == 1
    strict = run_cli(project, "check", "--format", "json", "--strict")
    data = json.loads(strict.stdout)
    assert strict.exit_code == 1 and data["ok"] is False and data["strict"] is True
    assert data["summary"] == {"errors": 1, "warnings": 0, "files": 1}


def test_json_report_function_matches_documented_keys() -> None:
    text = json_report([], models=0, strict=False)
    assert json.loads(text) == {
        "version": 1,
        "ok": True,
        "strict": False,
        "summary": {"errors": 0, "warnings": 0, "files": 0},
        "models": 0,
        "problems": [],
    }
    doc = (Path(__file__).parent.parent / "docs/authoring.md").read_text(encoding="utf-8")
    for key in ("version", "ok", "strict", "summary", "models", "problems", "catalog"):
        assert f"`{key}`" in doc, f"docs/authoring.md does not document {key}"


# -- text -------------------------------------------------------------------------------------------


def test_text_format_is_the_compiler_style_default(make_project: MakeProject, run_cli: RunCli) -> None:
    project = warning_and_error_project(make_project)
    default = run_cli(project, "check")
    text = run_cli(project, "check", "--format", "text")
    assert default.stderr == text.stderr and default.exit_code == text.exit_code == 1
    assert text.stderr.startswith(
        "models/broken.yaml:19:1: error: unknown key 'titel' at the top level; did you mean 'title'?\n"
        "    titel: x\n"
        "    ^\n"
    )
    assert text.stdout == ""


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_check_writes_nothing(fmt: str, make_project: MakeProject, run_cli: RunCli) -> None:
    project = warning_and_error_project(make_project)
    before = snapshot(project)
    run_cli(project, "check", "--format", fmt, "--summary")
    assert snapshot(project) == before
    assert not (project / "build").exists()
    assert sorted(p.name for p in project.iterdir()) == ["models"]


def test_unknown_format_is_a_usage_error(make_project: MakeProject, run_cli: RunCli) -> None:
    result = run_cli(make_project(), "check", "--format", "xml")
    assert result.exit_code == 2 and "'xml' is not one of" in result.stderr


def test_config_problems_use_the_chosen_format(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(config='title = "x"\nstrikt = true\n')
    github = run_cli(project, "check", "--format", "github")
    assert github.exit_code == 2
    assert (
        github.stdout
        == "::error file=docs-build.toml,line=2,col=1::unknown setting 'strikt'; did you mean 'strict'?\n"
    )
    data = json.loads(run_cli(project, "check", "--format", "json").stdout)
    assert data["ok"] is False and data["problems"][0]["path"] == "docs-build.toml"
    text = run_cli(project, "check")
    assert text.exit_code == 2 and "nothing was checked" in text.stderr


# -- list / --summary -------------------------------------------------------------------------------


def catalog(make_project: MakeProject) -> Path:
    return make_project(
        {
            "chat.yaml": descriptor(
                "chat", properties={"beta": "true", "function_calling": "true"}, weight=1
            ),
            "lora.yaml": descriptor("lora-model", properties={"lora": "X"}).replace('"X"', "yes"),
            "embed.yaml": descriptor(
                "embed", task_name="Text Embeddings", task_type="text-embeddings", properties={}
            ),
            "broken.yaml": "model: {name: x}\n",
        },
        config='[task_labels]\ntext-generation = "LLMs"\n',
    )


def test_list_shows_models_per_task_with_flags_and_warnings(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    result = run_cli(catalog(make_project), "list")
    assert result.exit_code == 0
    assert result.stdout == (
        "TASK             MODEL                FLAGS                   WARNINGS\n"
        "LLMs             @cf/acme/chat        Beta, Function calling  0\n"
        "LLMs             @cf/acme/lora-model  LoRA                    1\n"
        "Text Embeddings  @cf/acme/embed       -                       0\n"
        "\n"
        "3 models in 2 tasks: LLMs 2, Text Embeddings 1\n"
        "2 errors, 1 warning\n"
        "not listed because of errors: models/broken.yaml (run docs-build check)\n"
    )


def test_list_is_deterministic_and_has_json_and_markdown(make_project: MakeProject, run_cli: RunCli) -> None:
    project = catalog(make_project)
    assert run_cli(project, "list").stdout == run_cli(project, "list").stdout
    data = json.loads(run_cli(project, "list", "--format", "json").stdout)
    assert data["version"] == 1
    assert data["tasks"] == {"LLMs": 2, "Text Embeddings": 1}
    assert data["models"][1] == {
        "task": "LLMs",
        "name": "@cf/acme/lora-model",
        "slug": "lora-model",
        "file": "models/lora.yaml",
        "flags": ["LoRA"],
        "warnings": 1,
        "errors": 0,
    }
    assert data["unlisted"] == ["models/broken.yaml"]
    md = run_cli(project, "list", "--format", "markdown").stdout
    assert md.splitlines()[:3] == [
        "| Task | Model | Flags | Warnings |",
        "| --- | --- | --- | ---: |",
        "| LLMs | `@cf/acme/chat` | Beta, Function calling | 0 |",
    ]


def test_check_summary_adds_the_table(make_project: MakeProject, run_cli: RunCli) -> None:
    project = catalog(make_project)
    result = run_cli(project, "check", "--summary")
    assert result.exit_code == 1
    assert result.stdout.startswith("TASK ") and "@cf/acme/lora-model" in result.stdout
    assert "models/broken.yaml:1:8: error: missing required key 'description'" in result.stderr
    data = json.loads(run_cli(project, "check", "--summary", "--format", "json").stdout)
    assert [row["slug"] for row in data["catalog"]] == ["chat", "lora-model", "embed"]


def test_list_column_widths_follow_the_longest_cell(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"a.yaml": descriptor("a-very-long-model-name-for-the-column")})
    lines = run_cli(project, "list").stdout.splitlines()
    assert lines[0].index("FLAGS") == lines[1].index("Beta"), lines
    assert lines[0].index("WARNINGS") == lines[1].rindex("0"), lines
    assert re.match(r"^Text Generation +@cf/acme/a-very-long-model-name-for-the-column +Beta +0$", lines[1])


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(["a", "b", "..", ".", "", "c d", "é", "a/"]), max_size=4),
    st.lists(st.sampled_from(["a", "b", "..", ".", "", "c d", "é", "a/"]), max_size=4),
    st.sampled_from(["", "/", "//"]),
    st.sampled_from(["", "/", "//"]),
)
def test_display_path_is_the_path_relative_to_the_project(
    root_parts: list[str], path_parts: list[str], root_start: str, path_start: str
) -> None:
    """The string shortcut gives what ``relative_to`` gives, for odd paths too ('//a', '/')."""
    from docs_build.errors import display_path

    root, path = Path(root_start + "/".join(root_parts)), Path(path_start + "/".join(path_parts))
    try:
        expected = path.relative_to(root).as_posix()
    except ValueError:
        expected = path.as_posix()
    assert display_path(path, root) == expected
