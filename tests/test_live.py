"""LiveSite (the rebuild engine behind ``serve``) driven directly, without the HTTP server."""

from __future__ import annotations

import os
import threading

from conftest import MakeProject, descriptor
from docs_build.live import LiveSite, Outcome


def page(outcome: Outcome, slug: str) -> str:
    return outcome.plan[f"models/{slug}/index.md"].decode()


def test_a_fifo_in_models_is_reported_and_does_not_block(make_project: MakeProject) -> None:
    project = make_project()
    site = LiveSite(project)
    assert site.rebuild().ok
    fifo = project / "models" / "zz-pipe.yaml"
    os.mkfifo(fifo)
    result: list[Outcome] = []
    worker = threading.Thread(target=lambda: result.append(site.rebuild({fifo})), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "rebuild blocked on a FIFO"
    assert not result[0].ok
    assert any("not a regular file" in p.message for p in result[0].problems)
    fifo.unlink()
    (project / "models" / "tiny-chat.yaml").write_text(descriptor(description="After the pipe."))
    recovered = site.rebuild()
    assert recovered.ok and "After the pipe." in page(recovered, "tiny-chat")


def test_restoring_the_previous_config_bytes_clears_the_error(make_project: MakeProject) -> None:
    project = make_project(config='title = "Mine"\n')
    site = LiveSite(project)
    assert site.rebuild().ok
    config = project / "docs-build.toml"
    config.write_text('title = "Mine"\nbogus_key = 1\n')
    broken = site.rebuild({config})
    assert not broken.ok and "bogus_key" in broken.problems[0].message
    config.write_text('title = "Mine"\n')
    assert site.rebuild({config}).ok


def test_strict_never_publishes_a_page_that_build_strict_refuses(make_project: MakeProject) -> None:
    project = make_project(config="strict = true\n")
    site = LiveSite(project)
    first = site.rebuild()
    assert first.ok
    path = project / "models" / "tiny-chat.yaml"
    text = descriptor(description="Strict edit.").replace('value: "true"', "value: yes")
    path.write_text(text)
    published: list[Outcome] = []
    outcome = site.rebuild({path}, early=published.append)
    assert not outcome.ok and published == []
    assert "Strict edit." not in page(outcome, "tiny-chat")
    assert any(p.is_error and "non-canonical" in p.message for p in outcome.problems)


def test_templates_in_a_linked_folder_are_watched_and_hashed(make_project: MakeProject) -> None:
    project = make_project()
    shared = project / "shared-partials"
    shared.mkdir()
    (shared / "intro.md.j2").write_text("V1\n")
    (project / "templates").mkdir()
    (project / "templates" / "partials").symlink_to("../shared-partials")
    site = LiveSite(project)
    assert site.rebuild().ok
    assert shared.resolve() in site.watch_targets()
    (shared / "intro.md.j2").write_text("V2\n")
    assert site.rebuild({shared / "intro.md.j2"}).reloaded[0] == "templates and config"
