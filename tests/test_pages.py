"""Model pages and the catalog: sections per task, examples naming the model, schema tables,
section overrides, escaping of hostile descriptor text, and a golden-free acceptance run over
the fixture catalog in tests/projects/catalog (one descriptor per task type)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import PROJECTS, MakeProject, RunCli, descriptor
from docs_build.apischema import document

CATALOG = PROJECTS / "catalog"

#: The `##` headings each task's page must have, in order.
TEXT_GENERATION = ["Code Examples", "Prompting", "Responses", "API Schema"]
OTHER = ["Code Examples", "Responses", "API Schema"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture catalog built once with the CLI (strict, fixed date) for the whole module."""
    from click.testing import CliRunner

    from docs_build.cli import cli

    project = tmp_path_factory.mktemp("pages") / "catalog"
    shutil.copytree(CATALOG, project)
    result = CliRunner().invoke(
        cli, ["-C", str(project), "build", "--strict", "--date", "2025-11-01"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "0 error(s), 0 warning(s)" in result.output
    return project / "build"


def _descriptors() -> list[dict[str, object]]:
    return [
        yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((CATALOG / "models").glob("*.yaml"))
    ]


def _slug(d: dict[str, object]) -> str:
    return str(d["model"]["name"]).rsplit("/", 1)[-1]  # type: ignore[index]


def _md(built: Path, slug: str) -> str:
    return (built / "models" / slug / "index.md").read_text(encoding="utf-8")


def _section(markdown: str, heading: str) -> str:
    """The text of one `## heading` section (up to the next `## `)."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.S | re.M)
    assert m, f"no '## {heading}' section"
    return m.group(1)


def _fences(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w*)\n(.*?)^```$", text, re.S | re.M)


DESCRIPTORS = _descriptors()
IDS = [_slug(d) for d in DESCRIPTORS]


@pytest.mark.parametrize("d", DESCRIPTORS, ids=IDS)
def test_every_page_has_the_sections_of_its_task(built: Path, d: dict[str, object]) -> None:
    markdown = _md(built, _slug(d))
    headings = re.findall(r"^## (.+)$", markdown, re.M)
    assert headings == (TEXT_GENERATION if d["task_type"] == "text-generation" else OTHER)
    assert markdown.startswith(f"# {_slug(d)}\n")
    assert f"**Model ID:** `{d['model']['name']}`" in markdown  # type: ignore[index]


@pytest.mark.parametrize("d", DESCRIPTORS, ids=IDS)
def test_every_code_example_names_the_model(built: Path, d: dict[str, object]) -> None:
    name = str(d["model"]["name"])  # type: ignore[index]
    examples = _section(_md(built, _slug(d)), "Code Examples")
    fences = _fences(examples)
    assert {lang for lang, _ in fences} >= {"js", "sh"}
    assert len(fences) >= 3
    for lang, code in fences:
        assert name in code, f"{lang} example without {name}"
    for title in ("### Worker", "### Python", "### curl"):
        assert title in examples


@pytest.mark.parametrize("d", DESCRIPTORS, ids=IDS)
def test_schema_table_lists_every_input_property(built: Path, d: dict[str, object]) -> None:
    schema_text = _section(_md(built, _slug(d)), "API Schema")
    schema = json.loads(d["json_schema"]["input"])  # type: ignore[index]
    for variant in document(schema).variants:
        for row in variant.rows:
            cell = "`" + row.name + "`"
            assert any(line.startswith(f"| {cell} |") for line in schema_text.splitlines()), row.name
    assert "::: details Raw input schema (JSON)" in schema_text
    assert "::: details Raw output schema (JSON)" in schema_text
    html = (built / "models" / _slug(d) / "index.html").read_text(encoding="utf-8")
    assert '<details class="collapsible">' in html and "<th>Required</th>" in html


def test_lora_page_has_raw_and_lora_examples_and_only_unscoped_prompting(built: Path) -> None:
    markdown = _md(built, "mistral-7b-instruct-v0.2-lora")
    examples = _section(markdown, "Code Examples")
    lora = examples.split("### With a LoRA adapter", 1)[1]
    fences = _fences(lora)
    assert [lang for lang, _ in fences] == ["js", "python", "sh"]
    for _, code in fences:
        assert "@cf/mistral/mistral-7b-instruct-v0.2-lora" in code
        assert re.search(r"raw\W+(true|True)", code) and "lora" in code
    prompting = _section(markdown, "Prompting")
    assert "### Unscoped prompts" in prompting and "Scoped prompts\n" not in prompting.replace("Unscoped", "")
    responses = _section(markdown, "Responses")
    assert "### Using streaming" not in responses and '"response":' in responses


def test_chat_page_has_scoped_and_unscoped_prompting(built: Path) -> None:
    prompting = _section(_md(built, "llama-2-7b-chat-int8"), "Prompting")
    assert "### Scoped prompts" in prompting and "### Unscoped prompts" in prompting
    assert "### With a LoRA adapter" not in _md(built, "llama-2-7b-chat-int8")
    assert "### Using streaming" in _section(_md(built, "llama-2-7b-chat-int8"), "Responses")


def test_function_calling_example_only_for_flagged_models(built: Path) -> None:
    flagged = _section(_md(built, "hermes-2-pro-mistral-7b"), "Code Examples")
    assert "### Function calling" in flagged and "tools" in flagged
    assert "### Function calling" not in _md(built, "llama-2-7b-chat-int8")


@pytest.mark.parametrize(
    ("slug", "sample"),
    [
        ("bge-base-en-v1.5", '"shape": [2, 768]'),
        ("whisper", '"word_count"'),
        ("m2m100-1.2b", '"translated_text"'),
        ("distilbert-sst-2-int8", '"label": "NEGATIVE"'),
        ("resnet-50", '"score"'),
        ("detr-resnet-50", '"box"'),
        ("llava-1.5-7b-hf", '"description"'),
        ("bart-large-cnn", '"summary"'),
    ],
)
def test_responses_show_a_sample_of_the_task_output(built: Path, slug: str, sample: str) -> None:
    responses = _section(_md(built, slug), "Responses")
    assert sample in responses
    for lang, code in _fences(responses):
        if lang == "json":
            json.loads(code)


def test_text_to_image_responses_say_png(built: Path) -> None:
    # The fixture overrides this model's section (see below); the built-in one is tested here.
    from docs_build.templates import BUILTIN_TEMPLATES

    text = (BUILTIN_TEMPLATES / "tasks/text-to-image/responses.md.j2").read_text(encoding="utf-8")
    assert "image/png" in text and "PNG" in text


def test_task_without_templates_gets_generic_sections(built: Path) -> None:
    markdown = _md(built, "acme-ranker")
    examples = _section(markdown, "Code Examples")
    assert '"query": "…"' in examples and '"contexts": [' in examples
    assert "application/json" in _section(markdown, "Responses")
    assert "| `custom_limit` | 42 |" in markdown  # an unknown property id, shown raw


def test_header_links_and_labelled_properties(built: Path) -> None:
    markdown = _md(built, "llama-2-7b-chat-int8")
    assert "[More information](https://example.com/llama-2)" in markdown
    assert "| Context tokens limit | 2048 |" in markdown
    assert "| Context window (tokens) | 4096 |" in markdown
    terms = _md(built, "hermes-2-pro-mistral-7b")
    assert "[Terms and license](https://example.com/terms)" in terms
    assert "| Max total tokens | 8192 |" in terms
    assert "| Languages | english, french, german |" in _md(built, "m2m100-1.2b")


def test_deprecation_badges_follow_the_build_date(
    built: Path, make_project: MakeProject, run_cli: RunCli
) -> None:
    assert "[Deprecated]{.badge .badge-deprecated}" in _md(built, "deepseek-math-7b-base")
    project = make_project(
        {"old.yaml": descriptor("old", properties={"planned_deprecation_date": "2025-10-01"})}
    )
    assert run_cli(project, "build", "--date", "2025-01-01").exit_code == 0
    page = (project / "build/models/old/index.md").read_text(encoding="utf-8")
    assert "[Planned deprecation]{.badge .badge-planned-deprecation}" in page
    assert "| Planned deprecation date | 2025-10-01 |" in page


def test_per_model_override_in_the_fixture(built: Path) -> None:
    responses = _section(_md(built, "stable-diffusion-xl-base-1.0"), "Responses")
    assert "fixture override" in responses and "@cf/stabilityai/stable-diffusion-xl-base-1.0" in responses


def test_model_file_beats_task_file_beats_builtin(make_project: MakeProject, run_cli: RunCli) -> None:
    models = {f"{s}.yaml": descriptor(s) for s in ("chat-a", "chat-b")}
    models["embed.yaml"] = descriptor("embed", task_name="Text Embeddings", task_type="text-embeddings")
    project = make_project(
        models,
        templates={
            "tasks/text-generation/responses.md.j2": "## Responses\n\nTask file for {{ model.slug }}.\n",
            "models/chat-a/responses.md.j2": "## Responses\n\nModel file for {{ model.slug }}.\n",
            "models/embed/api-schema.md.j2": "",
        },
    )
    assert run_cli(project, "build", "--strict").exit_code == 0
    page = {
        s: (project / f"build/models/{s}/index.md").read_text(encoding="utf-8") for s in ("chat-a", "chat-b")
    }
    assert "Model file for chat-a." in page["chat-a"] and "Task file" not in page["chat-a"]
    assert "Task file for chat-b." in page["chat-b"]
    embed = (project / "build/models/embed/index.md").read_text(encoding="utf-8")
    assert '"shape": [2, 768]' in embed  # built-in task section untouched
    assert "## API Schema" not in embed  # an empty override removes a section


def test_override_can_extend_the_builtin_section(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project(
        templates={
            "models/tiny-chat/prompting.md.j2": (
                '{% include "builtin/tasks/text-generation/prompting.md.j2" %}\nOne more tip.\n'
            )
        }
    )
    assert run_cli(project, "build").exit_code == 0
    prompting = _section(
        (project / "build/models/tiny-chat/index.md").read_text(encoding="utf-8"), "Prompting"
    )
    assert "### Scoped prompts" in prompting and prompting.rstrip().endswith("One more tip.")


HOSTILE = (
    "<script>alert(1)</script> [x](javascript:alert(1)) {{ 7*7 }} {% raw %}"
    "\n# heading\n| a | b |\n```\n<img src=x onerror=alert(1)>"
)


def test_hostile_descriptor_text_stays_text(make_project: MakeProject, run_cli: RunCli) -> None:
    text = HOSTILE.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    raw = descriptor("evil", description=text, properties={"info": "javascript:alert(1)", "x<y>": "<b>z</b>"})
    raw = raw.replace(
        'task_type: "text-generation"',
        'task_type: "text-generation"\njson_schema:\n  input: \'{"type": "object", "properties": '
        '{"p": {"type": "string", "description": "<script>bad()</script> | [l](javascript:x)", '
        '"default": "a|b"}}}\'',
    )
    project = make_project({"evil.yaml": raw})
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.stderr
    html = (project / "build/models/evil/index.html").read_text(encoding="utf-8")
    markdown = (project / "build/models/evil/index.md").read_text(encoding="utf-8")
    body = html.split('<main id="content"', 1)[1]
    assert (
        "<script" not in body
        and "<img" not in body
        and "onerror=alert" not in body.replace("onerror=alert(1)&gt;", "")
    )
    assert "javascript:" not in re.sub(r">[^<]*<", "><", body)  # never inside an attribute
    assert 'href="javascript' not in html
    assert "{{ 7*7 }}" in html and ">49<" not in html
    assert len(re.findall(r"<h1\b", html)) == 1  # "# heading" did not become a heading
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "More information: javascript:alert(1)" in markdown.replace("\\", "")  # shown as text
    assert "<td><code>a|b</code></td>" in html  # a pipe in a table cell does not split it
    assert "| `x<y>` |" in markdown  # unknown id shown raw, inside code
    index = (project / "build/index.html").read_text(encoding="utf-8").split('<main id="content"', 1)[1]
    assert "<script>alert" not in index and 'href="javascript' not in index


def test_acceptance_fixture_catalog(built: Path) -> None:
    """The issue's definition of done, on the fixture catalog: every page, every section, the index
    order and badges, the site files, and a clean link check (the build above ran --strict)."""
    slugs = {_slug(d) for d in DESCRIPTORS}
    assert {p.name for p in (built / "models").iterdir()} == slugs
    for name in ("index.html", "index.md", "llms.txt", "sitemap.xml", "404.html", "search-index.json"):
        assert (built / name).is_file(), name
    for asset in ("style.css", "pygments.css", "theme.js", "search.js", "catalog.js"):
        assert (built / "assets" / asset).is_file(), asset
    index = (built / "index.md").read_text(encoding="utf-8")
    groups = re.findall(r"^## (.+)$", index, re.M)
    assert groups == sorted(groups, key=str.casefold) and len(groups) == 11
    text_gen = _section(index, "Text Generation")
    order = re.findall(r"^- \[([^\]]+)\]", text_gen, re.M)
    assert order == [
        "llama-2-7b-chat-int8",  # weight 10
        "hermes-2-pro-mistral-7b",  # weight 5, file name order within equal weights
        "mistral-7b-instruct-v0.2-lora",
        "deepseek-math-7b-base",  # weight 0
    ]
    assert index.count("{.badge .badge-lora}") == 1
    llms = (built / "llms.txt").read_text(encoding="utf-8")
    for slug in slugs:
        assert f"(models/{slug}/index.md)" in llms
