"""The build cache reuses pages only when every input is the same, and never changes bytes.

Each test builds with the cache, changes one input, rebuilds, and compares the result with a
fresh ``--no-cache`` build of the same inputs: byte for byte, nothing stale left behind.
"""

from __future__ import annotations

import io
import marshal
import pickle
import re
from collections import OrderedDict
from pathlib import Path

import pytest

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build import cache

MODELS = {f"m{i}.yaml": descriptor(f"m{i}", description=f"Model {i}.") for i in range(6)}
MODELS["lora.yaml"] = descriptor("lora", properties={"lora": "true"})


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    return make_project(MODELS, config='title = "Catalog"\n')


def build(run_cli: RunCli, project: Path, *args: str) -> int:
    """Build with the cache; the number of pages it reused."""
    result = run_cli(project, "build", *args)
    assert result.exit_code == 0, result.stderr
    found = re.search(r"(\d+) pages reused", result.stdout)
    return int(found[1]) if found else 0


def fresh(run_cli: RunCli, project: Path, *args: str) -> dict[str, bytes]:
    """What a build without any cache writes for the same inputs."""
    out = project.parent / "fresh"
    result = run_cli(project, "build", "--no-cache", "--out", str(out), *args)
    assert result.exit_code == 0, result.stderr
    return snapshot(out)


def test_nothing_changed_keeps_the_output(run_cli: RunCli, project: Path) -> None:
    assert build(run_cli, project) == 0
    first = snapshot(project / "build")
    inode = (project / "build").stat().st_ino
    result = run_cli(project, "build")
    assert result.exit_code == 0 and "up to date" in result.stdout
    assert (project / "build").stat().st_ino == inode  # not even swapped
    assert snapshot(project / "build") == first == fresh(run_cli, project)
    assert (project / cache.CACHE_DIR / ".gitignore").is_file()


def test_touched_descriptors_reuse_every_page(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    first = snapshot(project / "build")
    for path in (project / "models").iterdir():
        path.write_bytes(path.read_bytes())  # new mtime, same bytes: hashed, found unchanged
    assert build(run_cli, project) == len(MODELS)
    assert snapshot(project / "build") == first


@pytest.mark.parametrize("tamper", ["extra file", "deleted page", "edited index", "new directory"])
def test_up_to_date_check_notices_output_changes(tamper: str, run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    out = project / "build"
    if tamper == "extra file":
        (out / "models" / "m1" / "stray.txt").write_text("x")
    elif tamper == "deleted page":
        (out / "models" / "m1" / "index.html").unlink()
    elif tamper == "edited index":
        (out / "index.html").write_text("edited")
    else:
        (out / "junk").mkdir()
    result = run_cli(project, "build")
    assert result.exit_code == 0 and "up to date" not in result.stdout
    assert snapshot(out) == fresh(run_cli, project)


def test_changed_descriptor_rerenders_only_its_page(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    before = snapshot(project / "build")
    path = project / "models" / "m3.yaml"
    path.write_text(path.read_text().replace("Model 3.", "Model three, edited."))
    assert build(run_cli, project) == len(MODELS) - 1
    after = snapshot(project / "build")
    assert after == fresh(run_cli, project)
    changed = {rel for rel in after if before.get(rel) != after[rel]}
    assert "models/m3/index.html" in changed and "models/m3/index.md" in changed
    assert not any(rel.startswith("models/") and "/m3/" not in rel for rel in changed)
    assert b"Model three, edited." in after["models/m3/index.html"]
    assert b"Model three, edited." in after["index.html"]  # site-wide pages are rebuilt


def test_removed_descriptor_leaves_nothing_behind(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    (project / "models" / "m2.yaml").unlink()
    assert build(run_cli, project) == len(MODELS) - 1
    assert not (project / "build" / "models" / "m2").exists()
    assert snapshot(project / "build") == fresh(run_cli, project)


@pytest.mark.parametrize("change", ["template", "config", "date", "version", "asset", "base-url"])
def test_any_other_input_invalidates_every_page(
    change: str, run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(run_cli, project)
    args: tuple[str, ...] = ()
    if change == "template":
        header = project / "templates" / "partials" / "header.md.j2"
        header.parent.mkdir(parents=True)
        header.write_text("# {{ model.title }} (custom header)\n")
    elif change == "config":
        (project / "docs-build.toml").write_text('title = "Another title"\n')
    elif change == "date":
        args = ("--date", "2030-01-01")
    elif change == "version":
        monkeypatch.setattr("docs_build.pipeline.version", lambda: "99.0")
    elif change == "asset":
        (project / "templates" / "assets").mkdir(parents=True)
        (project / "templates" / "assets" / "style.css").write_text("body { color: red }\n")
    elif change == "base-url":
        args = ("--base-url", "https://docs.example.com")
    assert build(run_cli, project, *args) == 0
    assert snapshot(project / "build") == fresh(run_cli, project, *args)
    if change == "template":
        assert b"(custom header)" in snapshot(project / "build")["models/m1/index.md"]


@pytest.mark.parametrize("kind", ["pages", "site"])
@pytest.mark.parametrize("damage", ["garbage", "empty", "wrong-shape", "truncated"])
def test_damaged_cache_is_ignored(kind: str, damage: str, run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    [stored] = (project / cache.CACHE_DIR).glob(f"{kind}-*")
    data = stored.read_bytes()
    if kind == "pages":  # right format and inputs, entries of the wrong shape
        stream = io.BytesIO(data)
        _, inputs, batches = marshal.load(stream)
        entries = [source for _ in range(batches) for source in marshal.load(stream)]
        wrong = marshal.dumps((cache.FORMAT, inputs, 1)) + marshal.dumps(
            {source: ("x",) for source in entries}
        )
    else:
        inputs = pickle.loads(data)["inputs"]
        wrong = pickle.dumps({"format": cache.FORMAT, "inputs": inputs, "head": {}, "tables": b"x"})
    stored.write_bytes(
        {
            "garbage": b"not a pickle at all",
            "empty": b"",
            "wrong-shape": wrong,
            "truncated": data[: len(data) // 2],
        }[damage]
    )
    if kind == "pages":  # get past the up-to-date check, which would not read the pages
        (project / "build" / "index.md").unlink()
    result = run_cli(project, "build")
    assert result.exit_code == 0 and "up to date" not in result.stdout
    assert (
        "reused" not in result.stdout if kind == "pages" else f"{len(MODELS)} pages reused" in result.stdout
    )
    assert snapshot(project / "build") == fresh(run_cli, project)
    assert "up to date" in run_cli(project, "build").stdout  # and it heals


def test_hand_edited_output_is_not_trusted(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    page = project / "build" / "models" / "m1" / "index.html"
    page.write_text("edited by hand")
    assert build(run_cli, project) == len(MODELS) - 1
    assert snapshot(project / "build") == fresh(run_cli, project)


def test_no_cache_neither_reads_nor_writes(run_cli: RunCli, project: Path) -> None:
    result = run_cli(project, "build", "--no-cache")
    assert result.exit_code == 0, result.stderr
    assert not (project / cache.CACHE_DIR).exists()
    assert "reused" not in result.stdout


def test_cache_with_a_pool(run_cli: RunCli, make_project: MakeProject) -> None:
    from docs_build.parallel import MIN_PARALLEL

    models = {f"p{i}.yaml": descriptor(f"p{i}", description=f"Pooled {i}.") for i in range(MIN_PARALLEL + 4)}
    project = make_project(models)
    assert build(run_cli, project, "-j", "2") == 0
    (project / "models" / "p7.yaml").write_text(descriptor("p7", description="Pooled seven."))
    assert build(run_cli, project, "-j", "2") == len(models) - 1
    assert snapshot(project / "build") == fresh(run_cli, project, "-j", "2")


def test_failed_build_keeps_cache_and_output(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    before = snapshot(project / "build")
    (project / "models" / "bad.yaml").write_text("model: [\n")
    assert run_cli(project, "build").exit_code == 1
    assert snapshot(project / "build") == before
    (project / "models" / "bad.yaml").unlink()
    assert "up to date" in run_cli(project, "build").stdout


def _cache_file(project: Path, kind: str) -> Path:
    """The project's one cache file of ``kind`` ("pages" or "pieces")."""
    [stored] = (project / cache.CACHE_DIR).glob(f"{kind}-*")
    return stored


def _stored_pieces(path: Path) -> tuple[str, dict[bytes, object]]:
    """The format and every piece of a piece store file (a header, then dicts of pieces)."""
    pieces: dict[bytes, object] = {}
    with path.open("rb") as fh:
        fmt = marshal.load(fh)
        while True:
            try:
                pieces.update(marshal.load(fh))
            except EOFError:
                return fmt, pieces


def test_a_failed_build_leaves_no_pieces_behind(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "LIST_CHUNK", 2)
    build(run_cli, project)
    stored = _cache_file(project, "pieces")
    before = stored.read_bytes()
    layout = (
        '{% extends "layout.html.j2" %}\n{% block content %}<a href="#gone">x</a>{{ body }}{% endblock %}\n'
    )
    (project / "templates").mkdir(exist_ok=True)
    (project / "templates" / "index.html.j2").write_text(layout)  # a broken link: fails --strict
    assert run_cli(project, "build", "--strict").exit_code == 1
    assert stored.read_bytes() == before
    assert not list((project / cache.CACHE_DIR).glob(".pieces-*"))


@pytest.mark.parametrize("damage", ["none", "garbage", "wrong piece"])
def test_index_pieces_from_the_last_build_give_the_same_index(
    damage: str, run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "LIST_CHUNK", 2)  # 7 models: the index list is cut into pieces
    monkeypatch.setattr(cache, "_MEMO", cache._Memo())  # nothing converted by earlier tests
    monkeypatch.setattr(cache, "_TAILS", OrderedDict())
    build(run_cli, project)
    stored = _cache_file(project, "pieces")
    fmt, pieces = _stored_pieces(stored)
    assert len(pieces) >= 3
    if damage == "garbage":
        stored.write_bytes(b"\x00garbage")
    elif damage == "wrong piece":
        wrong = {key: (1, (), False, (), ()) for key in pieces}
        stored.write_bytes(marshal.dumps(fmt) + marshal.dumps(wrong))
    path = project / "models" / "m3.yaml"
    path.write_text(path.read_text().replace("Model 3.", "Model three, edited."))
    calls: list[str] = []
    real, real_plain = cache.convert, cache.plain_list
    monkeypatch.setattr(cache, "convert", lambda text: calls.append(text) or real(text))
    monkeypatch.setattr(cache, "plain_list", lambda text: calls.append(text) or real_plain(text))
    build(run_cli, project, "-j", "1")  # pieces converted in this process, where calls are seen
    converted = sorted({text for text in calls if text.startswith("- ")})  # list pieces after the first
    assert snapshot(project / "build") == fresh(run_cli, project)
    if damage == "none":  # only the piece with the edited model was converted again
        assert len(converted) == 1 and "Model three" in converted[0]
    else:
        assert len(converted) >= 2


def test_entries_saved_in_several_batches_are_all_read_back(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_SAVE_BATCH", 2)
    build(run_cli, project)
    (project / "build" / "index.md").unlink()  # past the up-to-date check
    assert build(run_cli, project) == len(MODELS)
    assert snapshot(project / "build") == fresh(run_cli, project)


def _batches(project: Path) -> int:
    """How many batches the page cache file says it holds (checking they are all there)."""
    stored = _cache_file(project, "pages")
    with stored.open("rb") as fh:
        count = int(marshal.load(fh)[2])
        sizes = [len(marshal.load(fh)) for _ in range(count)]
    assert all(size == 1 for size in sizes[1:])  # a rebuild after one edit appends one entry
    return count


def _edit(project: Path, name: str, new: str) -> None:
    path = project / "models" / f"{name}.yaml"
    path.write_text(re.sub(r"Model \w+\.", new, path.read_text()))


def test_a_rebuild_appends_only_the_changed_entries(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_APPEND_SHARE", 1)  # 7 models: one edit is a small share
    build(run_cli, project)
    assert _batches(project) == 1
    for i, text in enumerate(["Model two.", "Model second.", "Model 2 again."]):
        _edit(project, "m2", text)
        assert build(run_cli, project) == len(MODELS) - 1
        assert _batches(project) == 2 + i
        assert snapshot(project / "build") == fresh(run_cli, project)
    (project / "build" / "index.md").unlink()  # past the up-to-date check: every page from the cache
    assert build(run_cli, project) == len(MODELS)
    assert snapshot(project / "build") == fresh(run_cli, project)
    (project / "models" / "m3.yaml").unlink()  # a stored source is gone: written anew, without it
    build(run_cli, project)
    assert _batches(project) == 1
    stored = _cache_file(project, "pages")
    assert not any("m3.yaml" in source for source in _stored_pieces(stored)[1])
    assert snapshot(project / "build") == fresh(run_cli, project)


def test_many_changes_or_batches_write_the_file_anew(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(run_cli, project)
    _edit(project, "m2", "Model two.")
    build(run_cli, project)
    assert _batches(project) == 1  # one of 7 is more than an eighth
    monkeypatch.setattr(cache, "_APPEND_SHARE", 1)
    monkeypatch.setattr(cache, "_APPEND_BATCHES", 2)
    for i, text in enumerate(["Model second.", "Model 2 again."]):
        _edit(project, "m2", text)
        build(run_cli, project)
        assert _batches(project) == 2 - i  # appended once, then compacted
    assert snapshot(project / "build") == fresh(run_cli, project)


def test_a_batch_cut_short_by_a_killed_build_is_overwritten(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "_APPEND_SHARE", 1)
    build(run_cli, project)
    stored = _cache_file(project, "pages")
    with stored.open("ab") as fh:  # appended but the header not updated: killed in between
        fh.write(marshal.dumps({"models/m2.yaml": ("bogus",)})[:-3])
    _edit(project, "m2", "Model two.")
    (project / "build" / "index.md").unlink()
    assert build(run_cli, project) == len(MODELS) - 1  # the stored file still reads as before
    assert _batches(project) == 2
    _edit(project, "m4", "Model four.")
    assert build(run_cli, project) == len(MODELS) - 1
    assert snapshot(project / "build") == fresh(run_cli, project)


def test_a_descriptor_edited_during_the_build_is_built_again(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Edited after its page was built but before the record was saved: the record holds the
    new stat with the old digest, and only the time stamp, later than the build's start, says
    to hash the file. (The window for coarse time stamps is shrunk to 1 ms so the build does
    not have to last seconds to show it.)"""
    import time

    from docs_build import cli

    monkeypatch.setattr(cache, "_RACY_NS", 1_000_000)
    path = project / "models" / "m3.yaml"
    real = cli._save_cache

    def edit_then_save(*args: object) -> None:
        path.write_text(path.read_text().replace("Model 3.", "Model three, edited meanwhile."))
        time.sleep(0.05)
        real(*args)

    monkeypatch.setattr(cli, "_save_cache", edit_then_save)
    build(run_cli, project)
    monkeypatch.setattr(cli, "_save_cache", real)
    result = run_cli(project, "build")
    assert result.exit_code == 0 and "up to date" not in result.stdout
    assert "edited meanwhile" in (project / "build" / "models" / "m3" / "index.md").read_text()
    assert snapshot(project / "build") == fresh(run_cli, project)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_recorded_output_is_the_output_as_listed(
    run_cli: RunCli, make_project: MakeProject, jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build from a fresh staging directory records its output from the stats its files had
    when written; that must be what listing the output gives, or the next build finds it changed."""
    from docs_build.parallel import MIN_PARALLEL

    project = make_project({f"m{i:03d}.yaml": descriptor(f"m{i:03d}") for i in range(MIN_PARALLEL + 4)})
    listed: list[Path] = []
    real = cache.output_stats
    monkeypatch.setattr(cache, "output_stats", lambda out, odd=None: listed.append(out) or real(out, odd))
    for edit in range(3):  # cold, then recycling the replaced site, then after an edit
        if edit == 2:
            (project / "models" / "m001.yaml").write_text(descriptor("m001", description="Edited."))
        result = run_cli(project, "build", "-j", jobs)
        assert result.exit_code == 0, result.stderr
        if edit == 0:
            assert not listed  # the cold build knew its output's stats
        root = project / cache.CACHE_DIR
        [record_file] = root.glob("site-*.pickle")
        record = cache.load_site_record(root, record_file.stem.removeprefix("site-"))
        assert record is not None
        assert record.outputs == real(project / "build")
        for source, (recorded, _digest) in record.sources.items():
            st = Path(source).stat()
            assert recorded == (st.st_ino, st.st_size, st.st_mtime_ns), source
    assert "nothing changed" in run_cli(project, "build", "-j", jobs).stdout
