"""Stage 5: planned output, refusal of dangerous locations, atomic replacement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import snapshot
from docs_build.errors import UsageError
from docs_build.write import MARKER, check_out_dir, check_plan_paths, publish


def test_publish_replaces_everything_and_leaves_no_temporaries(tmp_path: Path) -> None:
    out = tmp_path / "build"
    publish(out, {"index.html": b"one", "old/only.html": b"x"})
    publish(out, {"index.html": b"two", "models/a/index.html": b"a"})
    assert snapshot(out) == {
        MARKER: (out / MARKER).read_bytes(),
        "index.html": b"two",
        "models/a/index.html": b"a",
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_failed_write_leaves_previous_site_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    publish(out, {"index.html": b"good"})
    before = snapshot(out)

    original = Path.open

    def explode(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "r" not in mode:
            raise OSError(28, "No space left on device")
        return original(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", explode)
    with pytest.raises(OSError):
        publish(out, {"index.html": b"new"})
    monkeypatch.undo()
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_mtime_is_set_from_source_date_epoch(tmp_path: Path) -> None:
    publish(tmp_path / "b", {"a.html": b"x"}, mtime=1_700_000_000)
    assert (tmp_path / "b" / "a.html").stat().st_mtime == 1_700_000_000


def test_plan_paths_are_checked() -> None:
    assert check_plan_paths({"a/index.html": b"", "A/index.html": b""}) == [
        "output paths 'a/index.html' and 'A/index.html' differ only in case"
    ]
    assert check_plan_paths({"../x": b""}) == ["unsafe output path '../x'"]
    assert check_plan_paths({"/abs": b""}) == ["unsafe output path '/abs'"]
    assert check_plan_paths({"a\\b": b""}) == ["unsafe output path 'a\\\\b'"]


@pytest.mark.parametrize("where", [".", "..", "models", "templates", "models/sub"])
def test_dangerous_output_locations_are_refused(tmp_path: Path, where: str) -> None:
    project = tmp_path / "p"
    (project / "models" / "sub").mkdir(parents=True)
    (project / "templates").mkdir()
    with pytest.raises(UsageError, match="refusing"):
        check_out_dir(project / where, project, [project / "models", project / "templates"])


def test_unmarked_non_empty_directory_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    with pytest.raises(UsageError, match="not written by docs-build"):
        check_out_dir(out, tmp_path / "p", [])
    assert (out / "precious.txt").read_text() == "keep me"


def test_marked_or_empty_directories_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty", tmp_path / "p", [])
    publish(tmp_path / "marked", {"x": b"1"})
    check_out_dir(tmp_path / "marked", tmp_path / "p", [])
