"""Stage 1: YAML parsing with exact 1-based positions and no silent surprises."""

from __future__ import annotations

from pathlib import Path

import pytest

from docs_build.load import MAX_FILE_BYTES, find_descriptors, load_bytes


def load(text: str | bytes):  # type: ignore[no-untyped-def]
    raw = text.encode() if isinstance(text, str) else text
    return load_bytes(raw, Path("m.yaml"), "models/m.yaml")


def test_values_keep_their_positions() -> None:
    src, problems = load("model:\n  name: x\n  properties:\n    - property_id: lora\n      value: 'true'\n")
    assert problems == []
    assert src.data["model"]["properties"][0]["value"] == "true"
    assert src.location(("model", "name")).__str__() == "models/m.yaml:2:9"
    assert str(src.location(("model", "name"), key=True)) == "models/m.yaml:2:3"
    assert str(src.location(("model", "properties", 0, "value"))) == "models/m.yaml:5:14"
    # Unknown paths fall back to the nearest enclosing value.
    assert str(src.location(("model", "properties", 0, "missing"))) == "models/m.yaml:4:7"


def test_syntax_error_is_located_one_based() -> None:
    src, problems = load("model:\n  name: [unclosed\n  other: 1\n")
    assert src.data is None
    [problem] = problems
    assert problem.location.path == "models/m.yaml"
    assert (problem.location.line, problem.location.col) == (3, 8)
    assert problem.format().startswith("models/m.yaml:3:8: error: YAML syntax error")


def test_duplicate_keys_are_errors_naming_the_first() -> None:
    _, problems = load("model:\n  name: a\n  name: b\n")
    [problem] = problems
    assert str(problem.location) == "models/m.yaml:3:3"
    assert "duplicate key 'name' (first defined on line 2)" in problem.message


def test_unsafe_tags_are_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    src, problems = load(f"model: !!python/object/apply:os.system ['touch {marker}']\n")
    assert not marker.exists()
    assert src.data is None
    assert "unsupported YAML tag" in problems[0].message
    assert str(problems[0].location) == "models/m.yaml:1:8"


def test_alias_bomb_is_bounded() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    src, problems = load("\n".join(lines) + "\n")
    assert src.data is None
    assert "more than" in problems[0].message


def test_bom_and_crlf_are_accepted() -> None:
    src, problems = load(b"\xef\xbb\xbfmodel:\r\n  name: x\r\n")
    assert problems == []
    assert src.data == {"model": {"name": "x"}}
    assert str(src.location(("model", "name"))) == "models/m.yaml:2:9"


def test_invalid_utf8_is_located() -> None:
    _, problems = load(b"model:\n  name: caf\xe9\n")
    assert str(problems[0].location) == "models/m.yaml:2:12"
    assert "not valid UTF-8" in problems[0].message


def test_size_cap() -> None:
    _, problems = load(b"#" * (MAX_FILE_BYTES + 1))
    assert "limited to" in problems[0].message


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file(text: str) -> None:
    _, problems = load(text)
    assert "file is empty" in problems[0].message


def test_several_documents_are_refused() -> None:
    _, problems = load("a: 1\n---\nb: 2\n")
    assert "exactly one YAML document" in problems[0].message
    assert problems[0].location.line == 2


def test_unquoted_dates_stay_text_and_plain_scalars_are_remembered() -> None:
    src, _ = load("d: 2024-06-30\nv: 1.10\nb: yes\n")
    assert src.data == {"d": "2024-06-30", "v": 1.1, "b": True}
    assert src.plain_text[("v",)] == "1.10"
    assert src.plain_text[("b",)] == "yes"


def test_keys_are_kept_as_written() -> None:
    src, _ = load("yes: 1\n")
    assert src.data == {"yes": 1}


def test_find_descriptors_is_sorted_and_filtered(tmp_path: Path) -> None:
    for name in ["b.yaml", "a.yml", ".hidden.yaml", "notes.txt", "c.yaml~"]:
        (tmp_path / name).write_text("x: 1\n")
    assert [p.name for p in find_descriptors(tmp_path)] == ["a.yml", "b.yaml"]


def test_value_keys_merges_and_explicit_tags_load_as_yaml_says() -> None:
    """Mappings with '=' keys or '<<' merges are flattened; others skip that step."""
    src, problems = load('=: a\n"q": !!str 12\np: 12\nm:\n  <<: {x: 1, y: 2}\n  y: 3\nt: !!str yes\n')
    assert not problems
    assert src.data == {"=": "a", "q": "12", "p": 12, "m": {"y": 3, "x": 1}, "t": "yes"}
    assert list(src.data["m"]) == ["y", "x"]  # keys written out first, then merged ones
    assert src.key_marks[("m", "x")] == (5, 8) and src.value_marks[("m", "y")] == (6, 6)
