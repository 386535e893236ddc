"""``init`` writes a CI workflow that can install docs-build, which is not on PyPI.

The workflow installs from ``requirements-docs.txt``; ``init`` fills it from ``--install-spec`` or
from the PEP 610 record (``direct_url.json``) of the running installation, and says so on
stderr when neither gives something CI can reach. The PEP 610 tests run ``docs-build`` in a
subprocess with a fake ``docs_build-*.dist-info`` first on ``PYTHONPATH``, so
``importlib.metadata`` really reads the record, as it does for an installed copy.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import RunCli, snapshot
from docs_build.scaffold import InstallSpec, check_install_spec, requirements_text, spec_from_direct_url

_SCRIPT = Path(sys.executable).with_name("docs-build")
COMMAND = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "docs_build"]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
GIT_RECORD = {
    "url": "https://github.com/acme/docs-build.git",
    "vcs_info": {"vcs": "git", "commit_id": COMMIT, "requested_revision": "v0.1.0"},
}


def requirement_lines(text: str) -> list[str]:
    """The lines pip reads as requirements or options (not comments, not blank)."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def init_with_record(
    tmp_path: Path, record: dict[str, Any] | None, *args: str
) -> subprocess.CompletedProcess[str]:
    """``docs-build init`` in a subprocess whose docs-build distribution carries ``record``."""
    site = tmp_path / "site"
    info = site / "docs_build-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: docs-build\nVersion: 0.1.0\n")
    if record is not None:
        (info / "direct_url.json").write_text(json.dumps(record))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run(
        [*COMMAND, "init", "proj", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


# -- the workflow ----------------------------------------------------------------------------------


def install_step(project: Path) -> str:
    workflow = yaml.safe_load((project / ".github/workflows/docs.yml").read_text())
    return next(
        step["run"] for step in workflow["jobs"]["docs"]["steps"] if "pip install" in step.get("run", "")
    )


def test_workflow_installs_from_the_requirements_file_not_pypi(tmp_path: Path, run_cli: RunCli) -> None:
    assert run_cli(tmp_path, "init", str(tmp_path / "p")).exit_code == 0
    run = install_step(tmp_path / "p")
    assert "python -m pip install -r requirements-docs.txt" in run
    assert "docs-build==" not in run and "@VERSION@" not in run


def run_install_step(project: Path) -> subprocess.CompletedProcess[str]:
    """The workflow's install script under bash, with ``python`` stubbed to echo its arguments."""
    script = 'python() { echo "ran python $*"; }\n' + install_step(project)
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run([bash, "-e", "-c", script], cwd=project, capture_output=True, text=True, timeout=30)


def test_install_step_fails_with_an_annotation_while_the_file_names_nothing(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("docs_build.scaffold.installed_spec", lambda: InstallSpec(None, "no record"))
    project = tmp_path / "p"
    assert run_cli(tmp_path, "init", str(project)).exit_code == 0
    empty = run_install_step(project)
    assert empty.returncode == 1
    assert empty.stdout.startswith("::error file=requirements-docs.txt::no docs-build requirement")
    assert "ran python" not in empty.stdout

    with (project / "requirements-docs.txt").open("a") as fh:
        fh.write("docs-build @ git+https://example.com/org/docs-build@v0.1.0\n")
    filled = run_install_step(project)
    assert filled.returncode == 0, filled.stdout + filled.stderr
    assert filled.stdout.strip() == "ran python -m pip install -r requirements-docs.txt"


# -- --install-spec ----------------------------------------------------------------------------------


def test_install_spec_option_is_the_requirement_line(tmp_path: Path, run_cli: RunCli) -> None:
    spec = "docs-build @ git+https://example.com/org/docs-build@v0.1.0"
    result = run_cli(tmp_path, "init", str(tmp_path / "p"), "--install-spec", spec)
    assert result.exit_code == 0, result.stderr
    assert requirement_lines((tmp_path / "p/requirements-docs.txt").read_text()) == [spec]
    assert f"docs-build: CI installs {spec} (from requirements-docs.txt)" in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("docs-build @@ nowhere", "invalid --install-spec 'docs-build @@ nowhere': "),
        ("requests==2.0", "it installs 'requests', not docs-build"),
        ("", "invalid --install-spec ''"),
        ("docs-build @ https://a.test/x.whl\ndocs-build==1", "invalid --install-spec"),
    ],
)
def test_a_bad_install_spec_is_a_usage_error_and_writes_nothing(
    spec: str, message: str, tmp_path: Path, run_cli: RunCli
) -> None:
    result = run_cli(tmp_path, "init", str(tmp_path / "p"), "--install-spec", spec)
    assert result.exit_code == 2
    assert message in result.stderr and "e.g. --install-spec 'docs-build @ git+" in result.stderr
    assert not (tmp_path / "p").exists()


def test_check_install_spec_accepts_what_pip_accepts() -> None:
    assert check_install_spec("  docs_build==0.1.0 ") == "docs_build==0.1.0"  # names are normalised
    assert check_install_spec("Docs-Build @ https://a.test/d.whl ; python_version >= '3.11'")


# -- PEP 610: where this copy came from ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (GIT_RECORD, f"docs-build @ git+https://github.com/acme/docs-build.git@{COMMIT}"),
        (
            {**GIT_RECORD, "subdirectory": "tools/docs-build"},
            f"docs-build @ git+https://github.com/acme/docs-build.git@{COMMIT}#subdirectory=tools/docs-build",
        ),
        (
            {"url": "https://a.test/dist/docs_build-0.1.0-py3-none-any.whl", "archive_info": {"hashes": {}}},
            "docs-build @ https://a.test/dist/docs_build-0.1.0-py3-none-any.whl",
        ),
        ({"url": "file:///home/me/docs-build", "dir_info": {"editable": True}}, None),
        ({"url": "file:///home/me/docs-build", "dir_info": {}}, None),
        ({"url": "file:///srv/docs_build-0.1.0.tar.gz", "archive_info": {}}, None),
        ({"url": "file:///home/me/repo", "vcs_info": {"vcs": "git", "commit_id": COMMIT}}, None),
        ({"url": "https://github.com/acme/docs-build.git", "vcs_info": {"vcs": "git"}}, None),
        ({"url": "https://a.test/x", "something_new": {}}, None),
        ({"vcs_info": {}}, None),
        ([], None),
    ],
)
def test_spec_from_direct_url(record: Any, expected: str | None) -> None:
    found = spec_from_direct_url(record)
    assert found.requirement == expected
    assert found.origin
    if expected is None:  # a local path must not leak into a file committed to the repository
        assert "/home/me" not in found.origin and "/srv" not in found.origin


def test_init_pins_the_git_commit_it_was_installed_from(tmp_path: Path) -> None:
    result = init_with_record(tmp_path, GIT_RECORD)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "proj/requirements-docs.txt").read_text()
    assert requirement_lines(text) == [f"docs-build @ git+https://github.com/acme/docs-build.git@{COMMIT}"]
    assert "(requested as v0.1.0)" in text
    assert "warning" not in result.stderr


@pytest.mark.parametrize(
    "record",
    [{"url": "file:///home/me/src/docs-build", "dir_info": {"editable": True}}, None],
    ids=["local-directory", "from-an-index"],
)
def test_init_without_a_portable_spec_warns_and_explains(
    tmp_path: Path, record: dict[str, Any] | None
) -> None:
    result = init_with_record(tmp_path, record)
    assert result.returncode == 0, result.stderr
    assert "docs-build: warning: requirements-docs.txt names no docs-build to install in CI" in result.stderr
    assert "--install-spec" in result.stderr
    text = (tmp_path / "proj/requirements-docs.txt").read_text()
    assert requirement_lines(text) == []  # never a line that cannot install
    assert "could not tell where to get it" in text and "docs-build @ git+https://github.com/ORG/" in text
    assert "/home/me" not in text


def test_install_spec_wins_over_the_install_record(tmp_path: Path) -> None:
    spec = "docs-build @ https://a.test/docs_build-0.1.0-py3-none-any.whl"
    result = init_with_record(tmp_path, GIT_RECORD, "--install-spec", spec)
    assert result.returncode == 0, result.stderr
    assert requirement_lines((tmp_path / "proj/requirements-docs.txt").read_text()) == [spec]


def test_comment_stays_a_comment_whatever_the_record_says() -> None:
    text = requirements_text(InstallSpec(None, "odd\ndocs-build==9\r\nrecord"), "0.1.0")
    assert requirement_lines(text) == []


# -- pip itself reads the file ---------------------------------------------------------------------------


def fake_wheel(directory: Path) -> Path:
    """A minimal valid wheel named docs-build 0.1.0 (pip only resolves it, never imports it)."""
    path = directory / "docs_build-0.1.0-py3-none-any.whl"
    info = "docs_build-0.1.0.dist-info"
    files = {
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: docs-build\nVersion: 0.1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
        zf.writestr(f"{info}/RECORD", "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n")
    return path


@pytest.fixture
def wheel_url(tmp_path: Path) -> Iterator[str]:
    """A URL on 127.0.0.1 serving a docs-build wheel, as a release download would."""
    served = tmp_path / "served"
    served.mkdir()
    wheel = fake_wheel(served)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{wheel.name}"
    finally:
        server.shutdown()
        server.server_close()


def test_pip_installs_from_the_file_init_derived_from_an_archive_record(
    tmp_path: Path, wheel_url: str
) -> None:
    result = init_with_record(tmp_path, {"url": wheel_url, "archive_info": {}})
    assert result.returncode == 0, result.stderr
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-index", "--ignore-installed",
         "--disable-pip-version-check", "-r", "requirements-docs.txt"],
        cwd=tmp_path / "proj", capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stdout + pip.stderr
    assert "Would install docs-build-0.1.0" in pip.stdout


def test_init_files_match_with_and_without_a_spec_except_the_requirements(
    tmp_path: Path, run_cli: RunCli
) -> None:
    assert (
        run_cli(tmp_path, "init", str(tmp_path / "a"), "--install-spec", "docs-build==0.1.0").exit_code == 0
    )
    assert run_cli(tmp_path, "init", str(tmp_path / "b")).exit_code == 0
    a, b = snapshot(tmp_path / "a"), snapshot(tmp_path / "b")
    assert set(a) == set(b)
    assert [name for name in a if a[name] != b[name]] == ["requirements-docs.txt"]
