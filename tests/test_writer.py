"""Writes lose nothing: :func:`cigen.atomic.write_atomic` and the commands that write.

The new content goes to a temporary file beside the target, is flushed to disk and renamed
over the target with the old file's permissions. Whatever fails on the way (the disk, the
encoding, an interrupt) leaves the old file as it was and no temporary file behind;
``generate --check`` and a generation with errors write nothing at all.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cigen.atomic import write_atomic
from cigen.cli.main import main
from cigen.errors import CigenError

OLD = "old: content\n"
SIMPLE = "registry: r\njobs:\n  build: {preset: kaniko, with: {image: a}}\n"


@pytest.fixture
def umask() -> Iterator[int]:
    previous = os.umask(0o027)
    try:
        yield 0o027
    finally:
        os.umask(previous)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("permissions", [0o600, 0o640, 0o644, 0o755, 0o444])
def test_keeps_the_permissions_of_the_replaced_file(tmp_path: Path, permissions: int) -> None:
    target = tmp_path / "out.yml"
    target.write_text(OLD, encoding="utf-8")
    target.chmod(permissions)
    write_atomic(target, "new: content\n")
    assert target.read_text(encoding="utf-8") == "new: content\n"
    assert mode(target) == permissions
    assert names(tmp_path) == ["out.yml"]


def test_a_new_file_follows_the_umask(tmp_path: Path, umask: int) -> None:
    target = tmp_path / "new.yml"
    write_atomic(target, "x: 1\n")
    assert mode(target) == 0o666 & ~umask
    assert names(tmp_path) == ["new.yml"]


def test_text_is_written_exactly(tmp_path: Path) -> None:
    target = tmp_path / "out.yml"
    text = "a: é\r\nb: \u2028\n# no final newline"
    write_atomic(target, text)
    assert target.read_bytes() == text.encode("utf-8")


def test_relative_path_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_atomic(Path("here.yml"), "x: 1\n")
    assert (tmp_path / "here.yml").read_text(encoding="utf-8") == "x: 1\n"
    assert names(tmp_path) == ["here.yml"]


def _fail_in(monkeypatch: pytest.MonkeyPatch, where: str, error: BaseException) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(where, broken)


@pytest.mark.parametrize(
    ("where", "error", "raised"),
    [
        ("cigen.atomic.os.fsync", OSError(5, "Input/output error"), CigenError),
        ("cigen.atomic.os.replace", OSError(28, "No space left on device"), CigenError),
        ("cigen.atomic.os.fsync", KeyboardInterrupt(), KeyboardInterrupt),
        ("cigen.atomic.os.replace", KeyboardInterrupt(), KeyboardInterrupt),
        ("cigen.atomic.os.fsync", MemoryError(), MemoryError),
    ],
    ids=["fsync-eio", "rename-enospc", "interrupt-before-rename", "interrupt-at-rename", "oom"],
)
def test_failure_midway_keeps_the_old_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    error: BaseException,
    raised: type[BaseException],
) -> None:
    target = tmp_path / "out.yml"
    target.write_text(OLD, encoding="utf-8")
    target.chmod(0o640)
    _fail_in(monkeypatch, where, error)
    with pytest.raises(raised) as info:
        write_atomic(target, "new: content\n" * 1000)
    if raised is CigenError:
        assert "cannot write" in str(info.value) and str(target) in str(info.value)
    assert target.read_text(encoding="utf-8") == OLD
    assert mode(target) == 0o640
    assert names(tmp_path) == ["out.yml"], "a temporary file was left behind"


def test_unencodable_text_keeps_the_old_file(tmp_path: Path) -> None:
    """The write itself fails halfway through the text (a lone surrogate cannot be UTF-8)."""
    target = tmp_path / "out.yml"
    target.write_text(OLD, encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "a: 1\n" * 100_000 + "b: \ud800\n")
    assert target.read_text(encoding="utf-8") == OLD
    assert names(tmp_path) == ["out.yml"]


def test_missing_folder_is_a_cigen_error(tmp_path: Path) -> None:
    with pytest.raises(CigenError, match="cannot write"):
        write_atomic(tmp_path / "no" / "such" / "out.yml", "x: 1\n")
    assert names(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_a_cigen_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / "out.yml"
    target.write_text(OLD, encoding="utf-8")
    folder.chmod(0o500)
    try:
        with pytest.raises(CigenError, match="cannot write"):
            write_atomic(target, "new\n")
    finally:
        folder.chmod(0o700)
    assert target.read_text(encoding="utf-8") == OLD
    assert names(folder) == ["out.yml"]


def test_target_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "out.yml").mkdir()
    with pytest.raises(CigenError, match="cannot write"):
        write_atomic(tmp_path / "out.yml", "x\n")
    assert names(tmp_path) == ["out.yml"]
    assert (tmp_path / "out.yml").is_dir()


def test_a_symlink_is_replaced_not_written_through(tmp_path: Path) -> None:
    """Writing never changes the file a symlink points to (it may be outside the project)."""
    outside = tmp_path / "outside.yml"
    outside.write_text(OLD, encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    link = project / "out.yml"
    link.symlink_to(outside)
    write_atomic(link, "new: content\n")
    assert outside.read_text(encoding="utf-8") == OLD
    assert not link.is_symlink()
    assert link.read_text(encoding="utf-8") == "new: content\n"


# --- the commands -------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cigen.yml").write_text(SIMPLE, encoding="utf-8")
    return tmp_path


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mode, p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
    }


@pytest.mark.parametrize("current", [None, "# Generated by cigen from cigen.yml\nstale: {}\n"])
def test_generate_check_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], current: str | None
) -> None:
    if current is not None:
        (project / ".gitlab-ci.yml").write_text(current, encoding="utf-8")
        (project / ".gitlab-ci.yml").chmod(0o600)
    before = _snapshot(project)
    assert main(["generate", "--check"]) == 1
    assert main(["generate", "--check", "-o", "other.yml"]) == 1
    assert _snapshot(project) == before
    out = capsys.readouterr().out
    assert "+++ .gitlab-ci.yml (generated)" in out and "+++ other.yml (generated)" in out


def test_generate_check_of_a_fresh_file_writes_nothing(project: Path) -> None:
    assert main(["generate", "-o", ".gitlab-ci.yml"]) == 0
    before = _snapshot(project)
    assert main(["generate", "--check"]) == 0
    assert _snapshot(project) == before


def test_generate_with_an_error_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "cigen.yml").write_text("registry: r\njobs: [not, a, mapping]\n", encoding="utf-8")
    (project / ".gitlab-ci.yml").write_text("# Generated by cigen\nold: {}\n", encoding="utf-8")
    before = _snapshot(project)
    assert main(["generate", "-o", ".gitlab-ci.yml"]) == 2
    assert "cigen.yml" in capsys.readouterr().err
    assert _snapshot(project) == before


def test_generate_interrupted_keeps_the_old_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = "# Generated by cigen from cigen.yml\nold: {}\n"
    (project / ".gitlab-ci.yml").write_text(old, encoding="utf-8")
    _fail_in(monkeypatch, "cigen.atomic.os.fsync", KeyboardInterrupt())
    assert main(["generate", "-o", ".gitlab-ci.yml"]) == 130
    assert (project / ".gitlab-ci.yml").read_text(encoding="utf-8") == old
    assert names(project) == [".gitlab-ci.yml", "cigen.yml"]


def test_lint_report_is_written_atomically(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / ".gitlab-ci.yml").write_text("job:\n  script: [x]\n", encoding="utf-8")
    (project / "report.json").write_text("previous report\n", encoding="utf-8")
    _fail_in(monkeypatch, "cigen.atomic.os.replace", OSError(28, "No space left on device"))
    assert main(["lint", "--root", ".", "--format", "json", "-o", "report.json"]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert (project / "report.json").read_text(encoding="utf-8") == "previous report\n"
    assert names(project) == [".gitlab-ci.yml", "cigen.yml", "report.json"]


# --- hostile targets and signals (issue 11, class 2) ---------------------------------------------

_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")


@_FIFO
def test_a_fifo_at_the_target_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "out.yml")
    with pytest.raises(CigenError, match=r"a named pipe \(FIFO\), not a regular file"):
        write_atomic(tmp_path / "out.yml", "x: 1\n")
    assert stat.S_ISFIFO((tmp_path / "out.yml").lstat().st_mode)
    assert names(tmp_path) == ["out.yml"]


def test_a_socket_at_the_target_is_refused(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "s.yml"))
        with pytest.raises(CigenError, match="a socket, not a regular file"):
            write_atomic(tmp_path / "s.yml", "x: 1\n")
    assert names(tmp_path) == ["s.yml"]


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_is_never_replaced(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``-o /dev/null`` would otherwise replace the device with a regular file (as root).
    Outside the project it is refused as such; with a root that holds it, as a device."""
    before = Path("/dev/null").stat()
    assert main(["generate", "-o", "/dev/null"]) == 2
    assert "leads outside the project root" in capsys.readouterr().err
    (project / ".gitlab-ci.yml").write_text("job:\n  script: [x]\n", encoding="utf-8")
    assert main(["lint", "--root", "/", "-o", "/dev/null", str(project / ".gitlab-ci.yml")]) == 2
    err = capsys.readouterr().err
    assert "/dev/null" in err and "a character device, not a regular file" in err
    after = Path("/dev/null").stat()
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


@_FIFO
def test_lint_report_to_a_fifo_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".gitlab-ci.yml").write_text("job:\n  script: [x]\n", encoding="utf-8")
    os.mkfifo(project / "report.txt")
    assert main(["lint", "--root", ".", "-o", "report.txt"]) == 2
    assert "report.txt" in capsys.readouterr().err
    assert stat.S_ISFIFO((project / "report.txt").lstat().st_mode)


@pytest.mark.parametrize("special", [stat.S_ISUID, stat.S_ISGID, stat.S_ISVTX])
def test_setuid_setgid_and_sticky_bits_are_dropped(tmp_path: Path, special: int) -> None:
    target = tmp_path / "tool.sh"
    target.write_text("#!/bin/sh\n", encoding="utf-8")
    target.chmod(0o750 | special)
    write_atomic(target, "#!/bin/sh\necho new\n")
    assert mode(target) == 0o750


def test_temporary_name_is_random_and_created_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every write opens a fresh random name with O_CREAT|O_EXCL|O_NOFOLLOW (real opens,
    recorded on the way through)."""
    opened: list[tuple[str, int]] = []
    real_open = os.open

    def recording(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        opened.append((os.fspath(path), flags))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr("cigen.atomic.os.open", recording)
    target = tmp_path / "out.yml"
    write_atomic(target, "a\n")
    write_atomic(target, "b\n")
    temps = [(name, flags) for name, flags in opened if name.endswith(".tmp")]
    assert len(temps) == 2 and temps[0][0] != temps[1][0]
    for name, flags in temps:
        assert Path(name).parent == tmp_path
        assert len(Path(name).name.split(".")[-2]) == 32  # 128 random bits
        wanted = os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        assert flags & wanted == wanted
    assert names(tmp_path) == ["out.yml"]


def test_planted_symlinks_are_never_followed(tmp_path: Path) -> None:
    """Links planted at every name an older cigen used leave their targets untouched."""
    victim = tmp_path / "victim"
    victim.write_text("precious\n", encoding="utf-8")
    project = tmp_path / "p"
    project.mkdir()
    for name in (".out.yml.tmp", ".out.yml.0.tmp", "out.yml.tmp", ".out.yml"):
        (project / name).symlink_to(victim)
    write_atomic(project / "out.yml", "new\n")
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert (project / "out.yml").read_text(encoding="utf-8") == "new\n"


#: A child that starts writing, reports the moment its temporary file is on disk, then waits
#: (in fsync) for the parent's signal.
_SLOW_WRITER = """
import os, sys, time
from pathlib import Path
import cigen.atomic
from cigen.cli.main import main

ready = Path(sys.argv[1])
real_fsync = os.fsync

def slow_fsync(fd):
    real_fsync(fd)
    ready.write_text("writing")
    time.sleep(60)

cigen.atomic.os.fsync = slow_fsync
sys.exit(main(["generate", "-c", sys.argv[2], "-o", sys.argv[3]]))
"""


@pytest.mark.parametrize(("signum", "code"), [(15, 143), (2, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_the_write_removes_the_temporary_file(
    tmp_path: Path, signum: int, code: int
) -> None:
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "cigen.yml").write_text(SIMPLE, encoding="utf-8")
    out = tmp_path / ".gitlab-ci.yml"
    old = "# Generated by cigen from cigen.yml\nold: {}\n"
    out.write_text(old, encoding="utf-8")
    ready = tmp_path / "ready"
    with subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(ready), "cigen.yml", ".gitlab-ci.yml"],
        cwd=tmp_path,
        stderr=subprocess.PIPE,
    ) as child:
        deadline = time.monotonic() + 60
        while not ready.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert ready.exists(), child.stderr.read() if child.stderr else ""
        assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir())
        child.send_signal(signal.Signals(signum))
        _out, err = child.communicate(timeout=60)
    assert child.returncode == code, err
    assert b"Traceback" not in err
    assert out.read_text(encoding="utf-8") == old
    assert names(tmp_path) == [".gitlab-ci.yml", "cigen.yml", "ready"]


def _unshare_works() -> bool:
    import shutil
    import subprocess

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="needs unshare -rm and tmpfs mounts")
def test_a_full_disk_is_exit_2_and_keeps_the_old_file(project: Path) -> None:
    """A real full file system: a 64 KiB tmpfs in a private mount namespace, filled first."""
    import subprocess
    import sys

    disk = project / "disk"
    disk.mkdir()
    script = f"""
set -u
mount -t tmpfs -o size=64k tmpfs {disk}
printf '# Generated by cigen\\nold: {{}}\\n' > {disk}/out.yml
head -c 1000000 /dev/zero > {disk}/filler 2>/dev/null
{sys.executable} -m cigen generate -c cigen.yml -o {disk}/out.yml
echo "exit=$?"
ls -A {disk}
cat {disk}/out.yml
"""
    run = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, check=False
    )
    assert "exit=2" in run.stdout, run.stdout + run.stderr
    assert "No space left on device" in run.stderr
    assert f"cannot write {disk}/out.yml" in run.stderr
    assert "Traceback" not in run.stderr
    listing = run.stdout.split("exit=2\n", 1)[1]
    assert listing.split()[:2] == ["filler", "out.yml"]
    assert listing.endswith("# Generated by cigen\nold: {}\n")


# --- several files flushed together (cigen scan's per-project reports) ------------------------


def test_write_many_replaces_each_file_and_keeps_permissions(
    tmp_path: Path, umask: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cigen.atomic import write_many

    synced: list[str] = []
    real_sync = os.sync
    monkeypatch.setattr(os, "sync", lambda: (synced.append("sync"), real_sync())[1])
    old = tmp_path / "a.json"
    old.write_text(OLD, encoding="utf-8")
    old.chmod(0o600)
    sub = tmp_path / "sub"
    sub.mkdir()
    write_many([(old, "new a\n"), (tmp_path / "b.json", "b\n"), (sub / "c.json", "é\n")])
    assert old.read_text(encoding="utf-8") == "new a\n" and mode(old) == 0o600
    assert mode(tmp_path / "b.json") == 0o640  # a new file follows the umask
    assert (sub / "c.json").read_text(encoding="utf-8") == "é\n"
    assert names(tmp_path) == ["a.json", "b.json", "sub"] and names(sub) == ["c.json"]
    assert synced == ["sync"]  # one flush for all of them
    write_many([])  # nothing to write: nothing happens
    assert names(tmp_path) == ["a.json", "b.json", "sub"]


def test_write_many_refuses_a_fifo_before_writing_anything(tmp_path: Path) -> None:
    from cigen.atomic import write_many

    first = tmp_path / "first.json"
    first.write_text(OLD, encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.json")
    with pytest.raises(CigenError, match="named pipe"):
        write_many([(first, "new\n"), (tmp_path / "pipe.json", "x\n")])
    assert first.read_text(encoding="utf-8") == OLD
    assert names(tmp_path) == ["first.json", "pipe.json"]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_write_many_failing_midway_keeps_every_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    import cigen.atomic
    from cigen.atomic import write_many

    targets = [tmp_path / f"{n}.json" for n in range(3)]
    for target in targets:
        target.write_text(OLD, encoding="utf-8")
    real = cigen.atomic._written_beside
    calls: list[Path] = []

    def fail_on_the_third(path: Path, text: str, mode: int, *, sync: bool = True) -> Path:
        calls.append(path)
        if len(calls) == 3:
            if isinstance(error, OSError):
                raise OSError(error.errno, error.strerror, str(path))
            raise error
        return real(path, text, mode, sync=sync)

    monkeypatch.setattr(cigen.atomic, "_written_beside", fail_on_the_third)
    with pytest.raises(CigenError if isinstance(error, OSError) else KeyboardInterrupt) as info:
        write_many([(target, "new\n") for target in targets])
    if isinstance(error, OSError):
        assert "cannot write" in str(info.value) and "2.json" in str(info.value)
    assert [t.read_text(encoding="utf-8") for t in targets] == [OLD] * 3
    assert names(tmp_path) == ["0.json", "1.json", "2.json"], "a temporary file was left"
