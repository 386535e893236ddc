"""``new --task`` takes the names people see in the catalog: ``task_labels`` values, any case.

The config says ``text-generation = "LLMs"``, the catalog heading says "LLMs", so ``--task LLMs``
must mean text-generation. A label two task types share is refused with both named, never
guessed.
"""

from __future__ import annotations

import pytest

from conftest import MakeProject, RunCli
from docs_build.scaffold import resolve_task

LABELS = '[task_labels]\ntext-generation = "LLMs"\ntext-embeddings = "Vector  Search"\n'


@pytest.mark.parametrize("given", ["LLMs", "llms", "LLMS", " llms "])
def test_new_accepts_a_task_label_in_any_case(given: str, make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(config=LABELS)
    result = run_cli(project, "new", "@cf/acme/a", "--task", given)
    assert result.exit_code == 0, result.stderr
    text = (project / "models/a.yaml").read_text()
    assert 'task_type: "text-generation"' in text
    assert run_cli(project, "check", "--strict").exit_code == 0


def test_label_spacing_is_forgiven(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(config=LABELS)
    assert run_cli(project, "new", "@cf/acme/v", "--task", "vector search").exit_code == 0
    assert 'task_type: "text-embeddings"' in (project / "models/v.yaml").read_text()


def test_a_label_of_a_task_type_only_the_config_knows(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(config='[task_labels]\nvideo-generation = "Moving Pictures"\n')
    assert run_cli(project, "new", "@cf/acme/m", "--task", "moving pictures").exit_code == 0
    assert 'task_type: "video-generation"' in (project / "models/m.yaml").read_text()


def test_an_ambiguous_label_is_a_usage_error_naming_the_candidates(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    project = make_project(config='[task_labels]\ntext-generation = "Text"\ntranslation = "text"\n')
    result = run_cli(project, "new", "@cf/acme/x", "--task", "TEXT")
    assert result.exit_code == 2
    assert (
        "task 'TEXT' is ambiguous: it is the label of text-generation, translation; "
        "give the task type, e.g. --task text-generation"
    ) in result.stderr
    assert not (project / "models/x.yaml").exists()


def test_a_task_type_wins_over_a_label() -> None:
    tasks = {"summarization": "Summarization", "translation": "Translation"}
    assert resolve_task("translation", tasks, {"summarization": "Translation"}) == "translation"


def test_unknown_labels_still_get_the_suggestion(make_project: MakeProject, run_cli: RunCli) -> None:
    result = run_cli(make_project(config=LABELS), "new", "@cf/acme/x", "--task", "LLM")
    assert result.exit_code == 2 and "unknown task 'LLM'" in result.stderr
