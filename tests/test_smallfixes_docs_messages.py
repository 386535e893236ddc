"""docs/authoring.md quotes what the tool really prints.

The "Reading the messages" table is read from the document and each "You wrote" row is made
into a real descriptor mistake; ``check --format json`` must report the quoted message word for
word. The workflow shown under "GitHub Actions" must be the one ``init`` writes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from conftest import MakeProject, RunCli, descriptor

DOC = Path(__file__).parent.parent / "docs" / "authoring.md"
GOOD = descriptor("my-model", properties={"beta": "true"})


def doc_table() -> dict[str, str]:
    """ "You wrote" cell → "docs-build says" cell, backticks removed."""
    section = DOC.read_text(encoding="utf-8").split("## Reading the messages", 1)[1]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 2 and cells[1].startswith("`") and cells[1].endswith("`"):
            rows[cells[0].replace("`", "")] = cells[1][1:-1]
    return rows


def swap(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return edit


#: How to make each documented mistake in the test descriptor.
MISTAKES: dict[str, Callable[[str], str]] = {
    "value: yes": swap('      value: "true"', "      value: yes"),
    "titel: x": swap('title: "my-model"', "titel: x"),
    "no description:": swap('  description: "A small test model."\n', ""),
    "description: (empty)": swap('  description: "A small test model."', "  description:"),
    'weight: "3"': swap("weight: 0", 'weight: "3"'),
    "title: yes": swap('title: "my-model"', "title: yes"),
    "task: Text Generation": lambda text: re.sub(
        r"  task:\n(    .*\n)+", "  task: Text Generation\n", text, count=1
    ),
    "layout: page": swap('layout: "model"', "layout: page"),
    'name: "@cf/acme/my model"': swap('name: "@cf/acme/my-model"', 'name: "@cf/acme/my model"'),
}


def test_every_documented_mistake_is_tested() -> None:
    assert set(doc_table()) == set(MISTAKES)


@pytest.mark.parametrize("wrote", sorted(MISTAKES))
def test_documented_message_is_what_check_prints(
    wrote: str, make_project: MakeProject, run_cli: RunCli
) -> None:
    project = make_project({"my-model.yaml": MISTAKES[wrote](GOOD)})
    result = run_cli(project, "check", "--format", "json")
    messages = [p["message"] for p in json.loads(result.stdout)["problems"]]
    assert doc_table()[wrote] in messages


def test_documented_config_messages_are_what_check_prints(make_project: MakeProject, run_cli: RunCli) -> None:
    text = DOC.read_text(encoding="utf-8")
    quoted = re.findall(r"^docs-build\.toml:\d+:\d+: error: (.+)$", text, flags=re.MULTILINE)
    assert len(quoted) == 2
    project = make_project(config='title = "x"\nbase_ulr = "https://a.test"\nstrict = "yes"\n')
    result = run_cli(project, "check", "--format", "json")
    assert [p["message"] for p in json.loads(result.stdout)["problems"]] == quoted


def test_documented_workflow_is_the_one_init_writes(tmp_path: Path, run_cli: RunCli) -> None:
    assert (
        run_cli(tmp_path, "init", str(tmp_path / "p"), "--install-spec", "docs-build==0.1.0").exit_code == 0
    )
    section = DOC.read_text(encoding="utf-8").split("## GitHub Actions", 1)[1]
    shown = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    written = (tmp_path / "p/.github/workflows/docs.yml").read_text()
    assert yaml.safe_load(shown) == yaml.safe_load(written)


def test_documented_init_warning_is_what_init_prints(tmp_path: Path) -> None:
    from test_smallfixes_install_spec import init_with_record

    text = DOC.read_text(encoding="utf-8")
    quoted = re.findall(r"^ *(docs-build: warning: requirements-docs\.txt .+)$", text, flags=re.MULTILINE)
    result = init_with_record(tmp_path, {"url": "file:///home/me/docs-build", "dir_info": {"editable": True}})
    assert result.returncode == 0
    assert quoted == [result.stderr.strip()]
