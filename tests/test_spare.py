"""Rebuilds recycle the site the last build replaced, and take unchanged pages without reading.

``build`` keeps the replaced site in the cache as a spare and fills it again next time
(``write.claim_spare``); pages whose descriptors' stats prove them unchanged are taken from the
cache in the parent process (``parallel._known``). Both are only speed: every test compares the
result with a fresh ``--no-cache`` build, and checks that the live site is never written
through the hard links the two trees share.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from conftest import MakeProject, RunCli, descriptor, snapshot
from docs_build import cache, parallel
from docs_build.write import spare_path

MODELS = {f"m{i}.yaml": descriptor(f"m{i}", description=f"Model {i}.") for i in range(6)}


@pytest.fixture
def project(make_project: MakeProject) -> Path:
    root = make_project(MODELS, config='title = "Catalog"\n')
    age_descriptors(root)
    return root


def age_descriptors(root: Path) -> None:
    """Date every descriptor an hour back, so a build's stat check may trust them (descriptors
    modified just before a build are hashed, since their time stamps prove nothing)."""
    hour_ago = time.time() - 3600
    for path in (root / "models").iterdir():
        os.utime(path, (hour_ago, hour_ago))


def build(run_cli: RunCli, project: Path, *args: str) -> int:
    """Build with the cache; the number of pages it reused."""
    result = run_cli(project, "build", *args)
    assert result.exit_code == 0, result.stderr
    found = re.search(r"(\d+) pages reused", result.stdout)
    return int(found[1]) if found else 0


def fresh(run_cli: RunCli, project: Path) -> dict[str, bytes]:
    out = project.parent / "fresh"
    result = run_cli(project, "build", "--no-cache", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    return snapshot(out)


def spare(project: Path) -> Path:
    return spare_path(project / cache.CACHE_DIR, project / "build")


def edit(project: Path, name: str, old: str, new: str) -> None:
    path = project / "models" / name
    path.write_text(path.read_text().replace(old, new), encoding="utf-8")


def test_edits_in_a_row_give_a_fresh_builds_bytes(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    assert not spare(project).exists()  # a first build replaces nothing
    steps = [
        lambda: edit(project, "m1.yaml", "Model 1.", "Model one."),
        lambda: edit(project, "m2.yaml", "Model 2.", "Model two."),
        lambda: edit(project, "m1.yaml", "Model one.", "Model 1."),  # back to a page the spare has
        lambda: (project / "models" / "m3.yaml").unlink(),
        lambda: (project / "models" / "m9.yaml").write_text(descriptor("m9"), encoding="utf-8"),
    ]
    for step in steps:
        before = snapshot(project / "build")
        step()
        build(run_cli, project)
        assert spare(project).is_dir()
        # The replaced site is the spare, byte for byte: nothing was written through a link.
        assert snapshot(spare(project)) == before
        assert snapshot(project / "build") == fresh(run_cli, project)
    assert not (project / "build" / "models" / "m3").exists()


def test_a_failed_build_in_the_spare_leaves_the_live_site_alone(run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    edit(project, "m0.yaml", "Model 0.", "Model zero.")
    build(run_cli, project)  # now the spare shares every other page's files with build/
    live = snapshot(project / "build")
    for i in range(6):  # every page is written again, into the spare ...
        edit(project, f"m{i}.yaml", "Model", "A model")
    (project / "models" / "zz-bad.yaml").write_text("model: [\n", encoding="utf-8")  # ... and it fails
    result = run_cli(project, "build")
    assert result.exit_code == 1
    assert snapshot(project / "build") == live
    assert spare(project).is_dir()  # given back, not lost
    assert not list(project.glob(".build.tmp-*"))
    (project / "models" / "zz-bad.yaml").unlink()
    build(run_cli, project)
    assert snapshot(project / "build") == fresh(run_cli, project)


DAMAGE = ["junk", "emptied", "file for a page", "dir for a file", "not a directory", "edited copy"]
DAMAGE += ["link out"]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_spare_costs_only_speed(damage: str, run_cli: RunCli, project: Path) -> None:
    build(run_cli, project)
    edit(project, "m0.yaml", "Model 0.", "Model zero.")
    build(run_cli, project)
    tree = spare(project)
    page = tree / "models" / "m2" / "index.html"
    if damage == "junk":
        (tree / "junk").mkdir()
        (tree / "junk" / "x.html").write_text("x")
        (tree / "models" / "m1" / "stray.txt").write_text("x")
    elif damage == "emptied":
        for path in sorted(tree.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
    elif damage == "file for a page":
        page.unlink()
        page.mkdir()
        (page / "deep.html").write_text("x")
    elif damage == "dir for a file":
        import shutil

        shutil.rmtree(tree / "models" / "m3")
        (tree / "models" / "m3").write_text("a file where the page's directory belongs")
    elif damage == "link out":  # writes must never follow a link out of the spare
        outside = project.parent / "outside"
        outside.mkdir()
        import shutil

        shutil.rmtree(tree / "models" / "m3")
        (tree / "models" / "m3").symlink_to(outside)
    elif damage == "not a directory":
        import shutil

        shutil.rmtree(tree)
        tree.write_text("not a tree")
    else:  # a copy with the same bytes but another i-node must be replaced, not trusted
        data = page.read_bytes().replace(b"Model 2.", b"Model 2?")
        page.unlink()
        page.write_bytes(data)
    edit(project, "m5.yaml", "Model 5.", "Model five.")
    build(run_cli, project)
    assert snapshot(project / "build") == fresh(run_cli, project)
    assert spare(project).is_dir()
    if damage == "link out":
        assert list((project.parent / "outside").iterdir()) == []


def test_a_file_edited_through_the_shared_link_is_rebuilt(run_cli: RunCli, project: Path) -> None:
    """Editing a spare file that is also the live file edits the live site: its stat changes,
    so the page is not taken from the cache."""
    build(run_cli, project)
    edit(project, "m0.yaml", "Model 0.", "Model zero.")
    build(run_cli, project)
    shared = spare(project) / "models" / "m2" / "index.html"
    assert shared.stat().st_ino == (project / "build" / "models" / "m2" / "index.html").stat().st_ino
    with shared.open("r+b") as fh:
        fh.write(b"<!-- edited -->")
    edit(project, "m5.yaml", "Model 5.", "Model five.")
    build(run_cli, project)
    assert snapshot(project / "build") == fresh(run_cli, project)


def page_builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the names of the descriptors handed to the page builder (read and hashed)."""
    built: list[str] = []
    original = parallel._build_one

    def counting(path: Path) -> parallel.PageResult:
        built.append(path.name)
        return original(path)

    monkeypatch.setattr(parallel, "_build_one", counting)
    return built


def test_only_changed_descriptors_reach_the_page_builder(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(run_cli, project)
    built = page_builds(monkeypatch)
    edit(project, "m4.yaml", "Model 4.", "Model four.")
    assert build(run_cli, project, "-j", "1") == len(MODELS) - 1
    assert built == ["m4.yaml"]  # the other five were taken by their stats, not read
    assert snapshot(project / "build") == fresh(run_cli, project)


def test_a_recent_descriptor_is_read_even_with_its_recorded_stat(
    run_cli: RunCli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within the time stamps' granularity a changed file can keep its stat: it is hashed."""
    path = project / "models" / "m1.yaml"
    now = time.time()
    os.utime(path, (now, now))
    build(run_cli, project)
    built = page_builds(monkeypatch)
    stat = path.stat()
    path.write_text(path.read_text().replace("Model 1.", "Model I."), encoding="utf-8")  # same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same time stamp
    assert path.stat().st_size == stat.st_size
    build(run_cli, project, "-j", "1")
    assert built == ["m1.yaml"]
    assert b"Model I." in (project / "build" / "models" / "m1" / "index.html").read_bytes()


def test_the_spare_of_an_output_that_is_gone_is_deleted(run_cli: RunCli, project: Path) -> None:
    """A one-off ``--out`` (or a moved project) must not keep a copy of its site forever."""
    import shutil

    other = project.parent / "elsewhere"
    build(run_cli, project, "--out", str(other))
    edit(project, "m0.yaml", "Model 0.", "Model zero.")
    build(run_cli, project, "--out", str(other))
    orphan = spare_path(project / cache.CACHE_DIR, other)
    assert orphan.is_dir() and orphan.with_suffix(".out").read_text() == str(other)
    shutil.rmtree(other)
    build(run_cli, project)
    edit(project, "m1.yaml", "Model 1.", "Model one.")
    assert orphan.is_dir()  # not yet: only when another spare is kept
    build(run_cli, project)
    assert spare(project).is_dir()
    assert not orphan.exists() and not orphan.with_suffix(".out").exists()
    assert sorted(p.name for p in (project / cache.CACHE_DIR).glob("spare-*")) == [
        spare(project).name,
        spare(project).name + ".out",
    ]


def test_a_spare_is_not_used_for_an_output_that_does_not_exist(run_cli: RunCli, project: Path) -> None:
    import shutil

    build(run_cli, project)
    edit(project, "m0.yaml", "Model 0.", "Model zero.")
    build(run_cli, project)
    assert spare(project).is_dir()
    shutil.rmtree(project / "build")
    build(run_cli, project)  # a first build again: nothing to share, the spare is dropped
    assert not spare(project).exists()
    assert snapshot(project / "build") == fresh(run_cli, project)


def test_no_recycling_where_names_differ_only_in_case(tmp_path: Path) -> None:
    """On a case-insensitive file system (macOS's default) a page whose slug changed case would
    be written into the old directory's name and then pruned; such a spare is dropped. Here the
    upper-case twin stands in for what such a file system reports."""
    from docs_build.write import claim_spare

    out = tmp_path / "build"
    out.mkdir()
    spare_dir = tmp_path / "cache" / "spare-abc"
    (spare_dir / "models").mkdir(parents=True)
    (tmp_path / "cache" / "SPARE-ABC").mkdir()
    assert claim_spare(out, spare_dir) is None
    assert not spare_dir.exists()


def test_the_spare_of_an_output_being_built_is_left_alone(run_cli: RunCli, project: Path) -> None:
    """An output that is missing here may be under another build's lock (another machine's
    view of a shared directory): its spare is only deleted when its lock can be taken."""
    from docs_build.lock import output_lock

    other = project.parent / "elsewhere"
    build(run_cli, project, "--out", str(other))
    edit(project, "m0.yaml", "Model 0.", "Model zero.")
    build(run_cli, project, "--out", str(other))
    orphan = spare_path(project / cache.CACHE_DIR, other)
    import shutil

    shutil.rmtree(other)
    build(run_cli, project)
    edit(project, "m1.yaml", "Model 1.", "Model one.")
    with output_lock(other):
        build(run_cli, project)
    assert orphan.is_dir() and spare(project).is_dir()
