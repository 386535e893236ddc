"""The config file: where it is read from, what CLI flags override, and how mistakes are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MakeProject, RunCli, descriptor
from docs_build.config import SETTINGS, Config, load_config

#: A descriptor whose only problem is a warning (``value: yes``), to see strictness at work.
WARNED = descriptor("warned", properties={"beta": "X"}).replace('"X"', "yes")


def test_no_config_file_means_defaults(make_project: MakeProject) -> None:
    project = make_project()
    config, problems = load_config(project)
    assert problems == [] and config == Config(project, build_date=config.build_date)
    assert config.out == project / "build" and config.strict is False


def test_docs_build_toml_settings_are_honoured_by_build(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(
        config=(
            'title = "Acme models"\nbase_url = "https://docs.acme.test/models"\nout_dir = "site"\n'
            '[task_labels]\ntext-generation = "Large language models"\n'
        )
    )
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    assert not (project / "build").exists() and (project / "site/index.html").is_file()
    index = (project / "site/index.html").read_text()
    assert "<title>Acme models</title>" in index
    assert "## Large language models" in (project / "site/index.md").read_text()
    page = (project / "site/models/tiny-chat/index.html").read_text()
    assert '<link rel="canonical" href="https://docs.acme.test/models/models/tiny-chat/">' in page


def test_pyproject_tool_table_is_read(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "catalog"\n\n[tool.docs-build]\ntitle = "From pyproject"\nout_dir = "public"\n'
    )
    assert run_cli(project, "build").exit_code == 0
    assert "<title>From pyproject</title>" in (project / "public/index.html").read_text()


def test_docs_build_toml_wins_over_pyproject(make_project: MakeProject) -> None:
    project = make_project(config='title = "toml"\n')
    (project / "pyproject.toml").write_text('[tool.docs-build]\ntitle = "pyproject"\n')
    config, problems = load_config(project)
    assert problems == [] and config.title == "toml" and config.config_file == project / "docs-build.toml"


def test_pyproject_without_our_table_is_ignored(make_project: MakeProject) -> None:
    project = make_project()
    (project / "pyproject.toml").write_text("[tool.other]\ntitel = 1\n")
    assert load_config(project)[1] == []
    (project / "pyproject.toml").write_text("[broken\n")  # someone else's problem, not ours
    assert load_config(project)[1] == []


def test_cli_flags_override_the_file(make_project: MakeProject, run_cli: RunCli, tmp_path: Path) -> None:
    project = make_project(config='out_dir = "site"\nbase_url = "https://a.test"\n')
    out = tmp_path / "elsewhere"
    result = run_cli(project, "build", "--out", str(out), "--base-url", "https://b.test")
    assert result.exit_code == 0, result.output
    assert not (project / "site").exists()
    assert 'href="https://b.test/models/tiny-chat/"' in (out / "models/tiny-chat/index.html").read_text()


def test_strict_true_is_honoured_by_check_and_build(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"warned.yaml": WARNED}, config="strict = true\n")
    check = run_cli(project, "check")
    assert check.exit_code == 1 and "error: property 'beta' has non-canonical value yes" in check.stderr
    build = run_cli(project, "build")
    assert build.exit_code == 1 and not (project / "build").exists()
    relaxed = run_cli(project, "check", "--no-strict")  # the flag wins over the file
    assert relaxed.exit_code == 0 and "warning: property 'beta'" in relaxed.stderr
    assert run_cli(project, "build", "--no-strict").exit_code == 0


def test_strict_flag_wins_over_strict_false(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project({"warned.yaml": WARNED}, config="strict = false\n")
    assert run_cli(project, "check").exit_code == 0
    assert run_cli(project, "check", "--strict").exit_code == 1


def test_unknown_keys_error_with_suggestion_line_and_source(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    project = make_project(config='# site\ntitle = "x"\n\nbase_ulr = "https://a.test"\ncolour = "red"\n')
    result = run_cli(project, "check")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "docs-build.toml:4:1: error: unknown setting 'base_ulr'; did you mean 'base_url'?\n"
        '    base_ulr = "https://a.test"\n'
        "    ^\n"
        f"docs-build.toml:5:1: error: unknown setting 'colour'; known settings: {', '.join(SETTINGS)}\n"
    )
    assert "nothing was checked" in result.stderr and "Traceback" not in result.output


def test_pyproject_problems_point_into_the_right_table(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    (project / "pyproject.toml").write_text(
        '[tool.other]\nstrict = "fine here"\n\n[tool."docs-build"]\n  strict = "yes"\n'
    )
    result = run_cli(project, "build")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "pyproject.toml:5:3: error: setting 'strict' must be true or false (unquoted), not a string; "
        "e.g. strict = true\n"
    )
    assert not (project / "build").exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "title = 3\n",
            "docs-build.toml:1:1: error: setting 'title' must be a quoted string, not an integer",
        ),
        ("task_labels = 'x'\n", "docs-build.toml:1:1: error: setting 'task_labels' must be a table"),
        (
            '[task_labels]\ntext-generation = "LLMs"\ntext-embeddings = 2\n',
            "docs-build.toml:3:1: error: task label for 'text-embeddings' must be a non-empty quoted string",
        ),
        (
            'title = "x"\ntask_labels = { text-generation = "" }\n',
            "docs-build.toml:2:1: error: task label for 'text-generation' must be a non-empty quoted string",
        ),
        ('base_url = "docs.acme.test"\n', "docs-build.toml:1:1: error: base_url must start with https://"),
        ('title = "x"\nstrict = tru\n', "docs-build.toml:2:10: error: invalid TOML: Invalid value"),
    ],
)
def test_bad_values_are_located(text: str, expected: str, make_project: MakeProject, run_cli: RunCli) -> None:
    result = run_cli(make_project(config=text), "check")
    assert result.exit_code == 2
    assert result.stderr.startswith(expected), result.stderr


def test_every_config_problem_is_reported_at_once(make_project: MakeProject, run_cli: RunCli) -> None:
    result = run_cli(make_project(config='titel = "x"\nstrict = 1\nout_dir = false\n'), "check")
    assert result.exit_code == 2
    assert [line.split(": error")[0] for line in result.stderr.splitlines() if ": error:" in line] == [
        "docs-build.toml:1:1",
        "docs-build.toml:2:1",
        "docs-build.toml:3:1",
    ]


def test_task_labels_show_in_list(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(config='[task_labels]\ntext-generation = "LLMs"\n')
    assert run_cli(project, "list").stdout.splitlines()[1].startswith("LLMs ")
