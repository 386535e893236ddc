"""Acceptance run on a real catalog (default: ../shared/catalog/models), outside the test suite.

    .venv/bin/python scripts/acceptance.py [MODELS_DIR]

Builds the catalog with the installed ``docs-build`` and prints one line per check: page count,
LoRA pages without streaming sections, determinism, and a broken descriptor that must fail with
``path:line:col`` while leaving the previous build byte-identical. Exits 1 if any check fails.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCS_BUILD = str(Path(sys.executable).with_name("docs-build"))


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"SOURCE_DATE_EPOCH": "1767225600", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [DOCS_BUILD, "-C", str(project), "build", *args], capture_output=True, text=True, env=env
    )


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "catalog" / "models"
    failures = 0

    def report(ok: bool, what: str) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {what}")

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "catalog"
        shutil.copytree(source, project / "models")
        first = build(project)
        report(first.returncode == 0, f"build exit {first.returncode}: {first.stdout.strip()}")
        pages = sorted((project / "build" / "models").glob("*/index.html"))
        n = len(list(project.joinpath("models").glob("*.yaml")))
        report(
            len(pages) == n and (project / "build/index.html").is_file(), f"{len(pages)} model pages + index"
        )
        lora = [p.parent.name for p in project.glob("build/models/*/index.md") if "LoRA]{" in p.read_text()]
        report(True, f"{len(lora)} LoRA pages: {', '.join(sorted(lora))}")
        for slug in lora:
            md = (project / "build/models" / slug / "index.md").read_text()
            ok = "### Using streaming" not in md and "### Non-streaming response" not in md
            report(
                ok and '"response": "The origin of the phrase' in md,
                f"{slug}: no streaming sections, JSON kept",
            )
        snap = tree(project / "build")
        second = build(project, "--out", str(Path(tmp) / "again"))
        report(second.returncode == 0 and tree(Path(tmp) / "again") == snap, "two builds byte-identical")
        victim = sorted((project / "models").glob("*.yaml"))[0]
        victim.write_text(victim.read_text() + "\nbroken: [unclosed\n")
        bad = build(project)
        first_line = bad.stderr.splitlines()[0] if bad.stderr else ""
        report(
            bad.returncode == 1 and first_line.startswith(f"models/{victim.name}:"), f"broken: {first_line}"
        )
        report(tree(project / "build") == snap, "previous build byte-identical after the failed build")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
