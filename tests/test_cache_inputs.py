"""The build cache sees every input the way the build reads it: links followed, file times kept."""

from __future__ import annotations

import os
from pathlib import Path

from conftest import MakeProject, RunCli, descriptor, snapshot


def fresh(project: Path, run_cli: RunCli, tmp_path: Path, name: str) -> dict[str, bytes]:
    out = tmp_path / name
    assert run_cli(project, "build", "--no-cache", "--out", str(out)).exit_code == 0
    return snapshot(out)


def test_template_in_a_linked_folder_invalidates_the_cache(
    make_project: MakeProject, run_cli: RunCli, tmp_path: Path
) -> None:
    project = make_project()
    assert run_cli(project, "build").exit_code == 0
    shared = project / "shared"
    shared.mkdir()
    (shared / "responses.md.j2").write_text("## Responses\n\nLINKED-V1\n")
    (project / "templates" / "tasks").mkdir(parents=True)
    (project / "templates" / "tasks" / "text-generation").symlink_to("../../shared")
    assert run_cli(project, "build").exit_code == 0
    assert "LINKED-V1" in (project / "build/models/tiny-chat/index.md").read_text()
    (shared / "responses.md.j2").write_text("## Responses\n\nLINKED-V2\n")
    assert run_cli(project, "build").exit_code == 0
    assert snapshot(project / "build") == fresh(project, run_cli, tmp_path, "ref")


def test_edit_behind_a_symlinked_descriptor_is_rebuilt(
    make_project: MakeProject, run_cli: RunCli, tmp_path: Path
) -> None:
    project = make_project({})
    target = project / "sources" / "tiny-chat.yaml"
    target.parent.mkdir()
    target.write_text(descriptor(description="Before."))
    os.utime(target, (1_600_000_000, 1_600_000_000))  # well outside the racy window
    link = project / "models" / "tiny-chat.yaml"
    link.symlink_to("../sources/tiny-chat.yaml")
    os.utime(link, (1_600_000_000, 1_600_000_000), follow_symlinks=False)
    assert run_cli(project, "build").exit_code == 0
    assert run_cli(project, "build").exit_code == 0
    target.write_text(descriptor(description="After."))
    os.utime(target, (1_600_000_100, 1_600_000_100))
    assert run_cli(project, "build").exit_code == 0
    assert "After." in (project / "build/models/tiny-chat/index.md").read_text()


def test_reused_files_take_the_new_source_date_epoch(make_project: MakeProject, run_cli: RunCli) -> None:
    project = make_project()
    assert (
        run_cli(project, "build", "--date", "2024-06-01", env={"SOURCE_DATE_EPOCH": "1700000000"}).exit_code
        == 0
    )
    assert (
        run_cli(project, "build", "--date", "2024-06-01", env={"SOURCE_DATE_EPOCH": "1710000000"}).exit_code
        == 0
    )
    times = {
        p.stat().st_mtime
        for p in (project / "build").rglob("*")
        if p.is_file() and p.name != ".docs-build-output"
    }
    assert times == {1710000000}
