"""Large site-wide files written in parts: byte-identical to writing them whole.

At 100 000 models the index page, ``llms.txt`` and the search index are tens of MiB each, so a
build writes them as parts (``write.Streamed``) and scans the index page in parts. These tests
shrink the thresholds so a small catalog takes those paths, and compare with the plain path.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build import cache, extras, pipeline
from docs_build import site as site_stage
from docs_build.config import Config
from docs_build.load import load_bytes
from docs_build.model import Model, build_model
from docs_build.site import build_catalog

MODELS = {
    f"m{i:02d}.yaml": descriptor(
        f"m{i:02d}",
        task_name="Text Generation" if i % 3 else "Translation",
        task_type="text-generation" if i % 3 else "translation",
        description=f"Model {i} with `code`, a [link](../m{i}/) and *emphasis*.",
        properties={"beta": "true"} if i % 2 else {"lora": "true"},
    )
    for i in range(30)
}


def _site(run_cli: RunCli, project: Path, *args: str) -> tuple[dict[str, bytes], str]:
    result = run_cli(project, "build", "--no-cache", *args)
    assert result.exit_code == 0, result.stderr
    return snapshot(project / "build"), result.stderr


def _streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "STREAM_MIN", 1)
    monkeypatch.setattr(extras, "_BATCH", 4)
    monkeypatch.setattr(site_stage, "PART_CHUNK", 2)
    monkeypatch.setattr(cache, "LIST_CHUNK", 3)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_streamed_site_files_equal_whole_ones(
    jobs: str, make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(MODELS)
    whole, whole_err = _site(run_cli, project, "-j", jobs)
    calls: list[int] = []
    real = pipeline.write_parts

    def spy(root: Path, rel: str, parts: list[str], mtime: int | None) -> None:
        calls.append(len(parts))
        real(root, rel, parts, mtime)

    monkeypatch.setattr(pipeline, "write_parts", spy)
    _streaming(monkeypatch)
    streamed, streamed_err = _site(run_cli, project, "-j", jobs)
    assert streamed == whole
    assert streamed_err == whole_err
    assert len(calls) == 3 and all(n >= 3 for n in calls)  # index.html, llms.txt, search index


def test_broken_links_are_found_in_a_streamed_index(
    make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = (
        '{% extends "layout.html.j2" %}\n{% block content %}<a href="#gone">x</a>\n{{ body }}{% endblock %}\n'
    )
    project = make_project(MODELS, templates={"index.html.j2": layout})
    result = run_cli(project, "build", "--no-cache")
    _streaming(monkeypatch)
    streamed = run_cli(project, "build", "--no-cache")
    assert "broken link: index.html \u2192 #gone" in result.stderr
    assert streamed.stderr == result.stderr


@pytest.mark.parametrize(
    "content",
    [
        "{{ body|length }} {{ body }}",  # the layout measures the body
        "{% if body %}{{ body }}{% endif %}",  # tests it
        "{{ body[:5] }}{{ body }}",  # slices it
        "{{ body|upper }}",  # transforms it
        "{{ body }}{{ body }}",  # prints it twice
        "<!--\n{{ body }}\n-->",  # hides it from the link check
        '<div title="{{ body }}"></div>',  # prints it inside a tag
        "",  # does not print it
    ],
)
def test_a_layout_that_does_more_than_print_the_body_gets_the_body(
    content: str, make_project: MakeProject, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = '{% extends "layout.html.j2" %}\n{% block content %}' + content + "{% endblock %}\n"
    project = make_project(MODELS, templates={"index.html.j2": layout})
    whole, whole_err = _site(run_cli, project)
    _streaming(monkeypatch)
    streamed, streamed_err = _site(run_cli, project)
    assert streamed == whole
    assert streamed_err == whole_err


def _models() -> list[Model]:
    models: list[Model] = []
    for name, text in MODELS.items():
        src, problems = load_bytes(text.encode(), Path(name), f"models/{name}")
        model, more = build_model(src)
        assert model is not None, problems + more
        models.append(model)
    return models


def test_search_index_in_parts_is_the_json_of_the_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extras, "_BATCH", 4)
    monkeypatch.setattr(site_stage, "PART_CHUNK", 2)
    catalog = build_catalog(_models(), Config(root=Path("/x")).build_date, {})
    text = "".join(extras.search_index(catalog))
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    assert [p["name"] for p in data["pages"]] == [e.model.name for g in catalog.groups for e in g.models]


def test_llms_txt_in_parts_has_every_line_once(monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = build_catalog(_models(), Config(root=Path("/x")).build_date, {})
    whole = "".join(extras.llms_txt("T", catalog, ""))
    monkeypatch.setattr(extras, "_BATCH", 4)
    monkeypatch.setattr(site_stage, "PART_CHUNK", 2)
    parts = extras.llms_txt("T", catalog, "")
    assert len(parts) > 5
    assert "".join(parts) == whole
    assert whole.count("- [m") == len(MODELS) and whole.endswith(".\n") and "\n\n\n" not in whole
