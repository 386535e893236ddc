"""Faults around a good build: signals, unwritable or full disks, concurrent builds, serve.

In every case the previous ``build/`` stays byte-identical, no temporary directory is left, and
the message says what happened and what to do.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bad.harness import before, copy_base, listing, run
from conftest import snapshot
from docs_build.lock import LockTimeout, lock_path, output_lock
from docs_build.write import SLOW_WRITE_ENV


@pytest.fixture(scope="module")
def built_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_base(tmp_path_factory.mktemp("faults") / "proj")
    assert run(project, "build").exit_code == 0
    return project


@pytest.fixture
def project(built_base: Path, tmp_path: Path) -> Path:
    return copy_base(tmp_path / "proj", built_base)


def change_content(project: Path) -> None:
    """An edit that changes every page, so a leaked partial write would show."""
    for path in (project / "models").glob("*.yaml"):
        path.write_text(path.read_text().replace("A small", "An edited"), encoding="utf-8")


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if ".tmp-" in p.name or ".old-" in p.name)


# --------------------------------------------------------------------------------------------
# Signals: a real process, interrupted while it writes the new site.


def start_build(project: Path, *args: str, slow: float = 0.2) -> subprocess.Popen[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", SLOW_WRITE_ENV: str(slow)}
    return subprocess.Popen(
        [sys.executable, "-m", "docs_build", "-C", str(project), "build", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_partial_write(project: Path, proc: subprocess.Popen[str], timeout: float = 60) -> Path:
    """Block until the build has written at least one file into its temporary directory."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for tmp in project.glob(".build.tmp-*"):
            if any(p.is_file() for p in tmp.rglob("*")):
                return tmp
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the build never started writing")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_mid_write_keeps_previous_site(signum: int, project: Path) -> None:
    change_content(project)
    was = before(project)
    proc = start_build(project)
    tmp = wait_for_partial_write(project, proc)
    proc.send_signal(signum)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "docs-build: interrupted; the previous output was left as it was"
    assert not tmp.exists() and leftovers(project) == []
    assert snapshot(project / "build") == was.site
    assert listing(project) == was.files


def written_since(project: Path, started: float) -> bool:
    """Whether a page in a staging directory was created (or linked) after ``started``."""
    for tmp in project.glob(".build.tmp-*"):
        for page in tmp.rglob("*.html"):
            with contextlib.suppress(OSError):  # replaced while we look
                if page.stat().st_ctime >= started:
                    return True
    return False


def test_signal_while_refilling_the_spare_keeps_previous_site(project: Path) -> None:
    """The spare (the site the last build replaced, kept in the cache) shares the unchanged
    pages' files with build/; a build interrupted while writing into it changes nothing live."""
    chat = project / "models" / "good-chat.yaml"
    chat.write_text(chat.read_text().replace("A small", "A smallish"), encoding="utf-8")
    assert run(project, "build").exit_code == 0  # the spare now shares good-embed's files
    spares = [p for p in (project / ".docs-build-cache").glob("spare-*") if p.is_dir()]
    assert len(spares) == 1
    change_content(project)
    was = snapshot(project / "build")
    started = time.time()
    proc = start_build(project)
    deadline = time.monotonic() + 60
    while not written_since(project, started):  # the first file written into the claimed spare
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert snapshot(project / "build") == was
    assert leftovers(project) == [] and spares[0].is_dir()  # given back for the next build
    assert run(project, "build").exit_code == 0
    assert "An edited" in (project / "build/index.md").read_text()


def test_signal_during_first_build_leaves_nothing(project: Path) -> None:
    import shutil

    shutil.rmtree(project / "build")
    proc = start_build(project)
    wait_for_partial_write(project, proc)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert not (project / "build").exists() and leftovers(project) == []


def test_killed_build_leaves_temporaries_that_the_next_build_removes(project: Path) -> None:
    """SIGKILL cannot be handled; the next build cleans up after the dead one."""
    proc = start_build(project)
    wait_for_partial_write(project, proc)
    proc.kill()
    proc.communicate(timeout=60)
    assert leftovers(project), "SIGKILL should have left the temporary directory"
    was = snapshot(project / "build")
    result = run(project, "build")
    assert result.exit_code == 0, result.output
    assert leftovers(project) == []
    assert snapshot(project / "build") == was  # same inputs, same site


# --------------------------------------------------------------------------------------------
# Unwritable and full output locations (simulated in-process: the suite may run as root, where
# permissions do not stop writes, and no tmpfs can be mounted).


def fail_writes(monkeypatch: pytest.MonkeyPatch, err: int, *, method: str = "open") -> None:
    """Make writes into a temporary build directory fail with ``err``, as the kernel would."""
    original = getattr(Path, method)

    def failing(self: Path, *args: object, **kwargs: object) -> object:
        if ".build.tmp-" in str(self):
            raise OSError(err, os.strerror(err), str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, method, failing)


FAULTS = {
    "disk-full": (errno.ENOSPC, "open", "No space left on device", "free some disk space"),
    "quota": (errno.EDQUOT, "open", "Disk quota exceeded", "free some disk space (quota exceeded)"),
    "read-only-fs": (errno.EROFS, "mkdir", "Read-only file system", "choose another --out"),
    "permission": (errno.EACCES, "mkdir", "Permission denied", "writable or choose another --out"),
    "io-error": (errno.EIO, "open", "Input/output error", "writable or choose another --out"),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_unwritable_output_keeps_previous_site(
    case: str, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    err, method, text, remedy = FAULTS[case]
    change_content(project)
    was = before(project)
    fail_writes(monkeypatch, err, method=method)
    result = run(project, "build")
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith(f"docs-build: error: could not write the site: {text} (")
    assert remedy in result.stderr and "was left as it was" in result.stderr
    assert snapshot(project / "build") == was.site
    assert listing(project) == was.files


def test_failure_after_the_last_file_keeps_previous_site(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The marker is written last; failing there must not publish a site without it."""
    change_content(project)
    was = before(project)
    original = Path.open

    def failing(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self.name == ".docs-build-output" and "r" not in mode:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return original(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing)
    result = run(project, "build")
    monkeypatch.undo()
    assert result.exit_code == 1 and "No space left on device" in result.stderr
    assert snapshot(project / "build") == was.site and listing(project) == was.files


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_really_read_only_parent(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "ro" / "site"
    assert run(project, "build", "--out", str(out)).exit_code == 0
    was = snapshot(out)
    change_content(project)
    out.parent.chmod(0o555)
    try:
        result = run(project, "build", "--out", str(out))
    finally:
        out.parent.chmod(0o755)
    assert result.exit_code == 1 and "could not write the site" in result.stderr
    assert snapshot(out) == was


# --------------------------------------------------------------------------------------------
# Two builds at once: the lock beside the output directory.


def test_lock_file_sits_beside_the_output_not_inside(project: Path) -> None:
    assert lock_path(project / "build") == project / ".build.lock"
    assert (project / ".build.lock").is_file()
    assert not (project / "build" / ".build.lock").exists()


def test_second_build_gives_up_with_a_clear_message(project: Path) -> None:
    change_content(project)
    was = before(project)
    with output_lock(project / "build"):
        result = run(project, "build", "--lock-timeout", "0.3")
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"docs-build: error: another docs-build (pid {os.getpid()}) is writing ")
    assert "waited 0.3s" in result.stderr and "--lock-timeout" in result.stderr
    assert snapshot(project / "build") == was.site


def test_second_build_waits_for_the_first(project: Path) -> None:
    change_content(project)
    held = threading.Event()

    def holder() -> None:
        with output_lock(project / "build"):
            held.set()
            time.sleep(0.5)

    thread = threading.Thread(target=holder)
    thread.start()
    held.wait(10)
    started = time.monotonic()
    result = run(project, "build", "--lock-timeout", "30")
    waited = time.monotonic() - started
    thread.join()
    assert result.exit_code == 0, result.output
    assert waited > 0.2  # it did wait (a lower bound only: the machine may be slow, never fast)
    assert "An edited" in (project / "build/index.md").read_text()


def test_lock_times_out_in_process(tmp_path: Path) -> None:
    out = tmp_path / "build"
    with output_lock(out), pytest.raises(LockTimeout, match="waited 0s"), output_lock(out, timeout=0):
        pass


def test_two_real_builds_at_once_end_in_one_complete_site(project: Path) -> None:
    change_content(project)
    first = start_build(project, slow=0.02)
    second = start_build(project, slow=0.02)
    results = [p.communicate(timeout=120) for p in (first, second)]
    assert (first.returncode, second.returncode) == (0, 0), results
    assert leftovers(project) == []
    site = snapshot(project / "build")
    assert run(project, "build", "--out", str(project.parent / "clean")).exit_code == 0
    assert site == snapshot(project.parent / "clean")


# --------------------------------------------------------------------------------------------
# A build while serve runs: serve keeps its site in memory and watches only the inputs.


@pytest.fixture
def dev_server(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from docs_build.serve import DevServer

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    server = DevServer(project, host="127.0.0.1", port=0, overrides={}, debug=False)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def test_build_while_serve_runs(project: Path, dev_server: str) -> None:
    with urllib.request.urlopen(dev_server, timeout=10) as response:
        served = response.read()
    change_content(project)
    result = run(project, "build")
    assert result.exit_code == 0, result.output
    assert "An edited" in (project / "build/index.md").read_text()
    assert leftovers(project) == []
    with urllib.request.urlopen(dev_server, timeout=10) as response:
        assert response.status == 200 and response.read()
    assert served


# --------------------------------------------------------------------------------------------
# The process pool: Ctrl-C reaches the whole process group, a worker dies.


@pytest.fixture
def pooled(project: Path) -> Path:
    """The base project plus enough descriptors that the build really starts worker processes."""
    from conftest import descriptor
    from docs_build.parallel import MIN_PARALLEL

    for i in range(MIN_PARALLEL + 40):
        (project / "models" / f"pool-{i:03d}.yaml").write_text(
            descriptor(f"pool-{i:03d}", description=f"Pooled model {i}."), encoding="utf-8"
        )
    return project


def start_group(project: Path, slow: float) -> subprocess.Popen[str]:
    """A build in its own process group, as a shell starts a foreground job."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1767225600", SLOW_WRITE_ENV: str(slow)}
    return subprocess.Popen(
        [sys.executable, "-m", "docs_build", "-C", str(project), "build", "--no-cache", "-j", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(proc: subprocess.Popen[str], hung: str) -> str:
    """The build's stderr once it has exited; a build that never exits fails the test."""
    try:
        return proc.communicate(timeout=60)[1]
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(hung) from None


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2, 0.5])
def test_ctrl_c_to_the_process_group_during_a_pooled_build(pooled: Path, delay: float) -> None:
    """Terminal Ctrl-C signals the parent and every worker at once; this used to hang for good
    in multiprocessing.Pool's shutdown, holding the lock and the temporary directory."""
    change_content(pooled)
    was = before(pooled)
    proc = start_group(pooled, slow=0.01)  # about 1.5 s of writes: the signal lands mid-build
    wait_for_partial_write(pooled, proc)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)
    err = finish(proc, "the interrupted build hung")
    assert proc.returncode == 130, err
    assert "interrupted; the previous output was left as it was" in err
    deadline = time.monotonic() + 10
    while not group_gone(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert group_gone(proc.pid), "worker processes outlived the build"
    assert leftovers(pooled) == []
    assert snapshot(pooled / "build") == was.site
    assert listing(pooled) == was.files


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_worker_killed_mid_build_fails_the_build_instead_of_hanging(pooled: Path) -> None:
    change_content(pooled)
    was = before(pooled)
    proc = start_group(pooled, slow=0.01)
    wait_for_partial_write(pooled, proc)
    workers = children(proc.pid)
    assert workers, "no worker processes"
    os.kill(workers[0], signal.SIGKILL)  # what the OOM killer does
    err = finish(proc, "the build hung after a worker died")
    assert proc.returncode == 1, err
    assert "a worker process died" in err and "Traceback" not in err
    assert leftovers(pooled) == []
    assert snapshot(pooled / "build") == was.site
