"""Hostile input: every case ends quickly, within a memory bound, with a finding or an error.

Each case runs ``python -m cigen ...`` in a fresh process whose address space is limited to
:data:`MEMORY_LIMIT` (``RLIMIT_AS``, 1 GiB, set by the child itself before it imports cigen)
with a wall-clock :data:`TIMEOUT` (20 s). The outcome must be exit 1 with a finding that names
the file, or exit 2 with an error that names it (exit 0 where the input is valid): never exit
3 (internal error), never a signal, never a traceback, never a hang. Nothing outside the
project root may be read: files outside hold :data:`MARKER`, which must not appear in any
output.

The cases of :data:`CASES` run concurrently, all started by the first test that needs one, so
the module costs seconds. Cases cigen gets wrong today are ``xfail(strict=True)`` with the
reason and a short timeout (:data:`SHORT`). Time and peak memory of each run are printed
(``pytest -s tests/test_hostile.py``).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from gitlab_server import FakeGitLab, serve
from helpers import write_files

#: Address-space limit of every cigen process (``RLIMIT_AS``).
MEMORY_LIMIT = 1 << 30
#: Wall-clock limit of one run, in seconds.
TIMEOUT = 20.0
#: Timeout of the xfail cases that hang today (a fixed cigen answers them in well under 1 s).
SHORT = 3.0
CI = ".gitlab-ci.yml"
JOB = "job:\n  script: [echo]\n"
#: A name only present in files outside the root: it must never appear in any output.
MARKER = "outside_marker_job"
OUTSIDE_YAML = f"{MARKER}:\n  script: [x]\n  needs: [no_such_job_{MARKER}]\n"
#: ``python -m cigen`` with the memory limit set first; at exit it writes its peak resident
#: memory (``VmHWM``, KiB) to the file named by ``HOSTILE_HWM_FILE``.
CHILD = f"""
import atexit, os, resource, runpy, sys
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))
def _peak():
    try:
        with open("/proc/self/status") as status:
            peak = [line.split()[1] for line in status if line.startswith("VmHWM:")]
        with open(os.environ["HOSTILE_HWM_FILE"], "w") as out:
            out.write(peak[0])
    except (OSError, KeyError, IndexError):
        pass
atexit.register(_peak)
sys.argv[0] = "cigen"
runpy.run_module("cigen", run_name="__main__", alter_sys=True)
"""

Files = dict[str, "str | bytes"]


def bug(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=reason)


@dataclass(frozen=True)
class Outcome:
    code: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float
    max_rss_mib: float | None  # None: the process did not exit normally

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cigen(
    args: Sequence[str],
    cwd: Path,
    *,
    timeout: float = TIMEOUT,
    env: dict[str, str] | None = None,
) -> Outcome:
    """``python -m cigen ARGS`` in ``cwd`` under the memory limit; measures time and memory."""
    environ = {k: v for k, v in os.environ.items() if k not in ("CIGEN_DEBUG", "GITLAB_TOKEN")}
    environ.update(env or {})
    with tempfile.TemporaryDirectory(prefix="hostile-") as scratch:
        peak_file = Path(scratch) / "peak"
        environ["HOSTILE_HWM_FILE"] = str(peak_file)
        start = time.monotonic()
        with subprocess.Popen(
            [sys.executable, "-c", CHILD, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
        ) as proc:
            try:
                out, err = proc.communicate(timeout=timeout)
                code: int | None = proc.returncode
            except subprocess.TimeoutExpired:
                proc.kill()
                out, err = proc.communicate()
                code = None
        seconds = time.monotonic() - start
        peak = peak_file.read_text(encoding="ascii") if peak_file.exists() else ""
    return Outcome(
        code,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        seconds,
        int(peak) / 1024 if peak.isdigit() else None,
    )


def check_bounded(outcome: Outcome, codes: set[int], names: Sequence[str] = (CI,)) -> None:
    """The run finished with one of ``codes``, cleanly, and said which file is at fault."""
    assert outcome.code is not None, f"no answer within the time limit:\n{outcome.output}"
    assert outcome.code >= 0, f"killed by signal {-outcome.code}:\n{outcome.output}"
    assert outcome.code != 3, f"internal error:\n{outcome.output}"
    assert outcome.code in codes, f"exit {outcome.code}:\n{outcome.output}"
    assert "Traceback" not in outcome.output, outcome.output
    assert MARKER not in outcome.output, "a file outside the project root was read"
    if outcome.code == 1:
        assert any(f"{name}:" in outcome.stdout for name in names), outcome.output
    elif outcome.code == 2:
        assert "cigen: error:" in outcome.stderr, outcome.output
        assert any(name in outcome.stderr for name in names), outcome.output


# --- input builders -----------------------------------------------------------------------------


def billion_laughs(levels: int = 10) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n" + JOB


def merge_key_bomb(levels: int = 8) -> str:
    lines = [".m0: &m0 {" + ", ".join(f"k{i}: v" for i in range(9)) + "}"]
    for level in range(1, levels):
        items = ", ".join(f"c{i}: *m{level - 1}" for i in range(9))
        lines.append(f".m{level}: &m{level} {{{items}}}")
    return "\n".join(lines) + f"\njob:\n  script: [x]\n  <<: *m{levels - 1}\n"


def extends_chain(length: int) -> str:
    body = "".join(f".t{i}:\n  extends: .t{i + 1}\n" for i in range(length))
    return body + f".t{length}:\n  script: [x]\njob:\n  extends: .t0\n"


def reference_chain(length: int) -> str:
    body = "".join(f".r{i}:\n  script: !reference [.r{i + 1}, script]\n" for i in range(length))
    return body + f".r{length}:\n  script: [x]\njob:\n  script: !reference [.r0, script]\n"


def reference_bomb(levels: int = 40) -> str:
    """Each level lists the previous one twice: 2**levels script lines once expanded."""
    body = "".join(
        f".r{i}:\n  script:\n    - !reference [.r{i - 1}, script]\n"
        f"    - !reference [.r{i - 1}, script]\n"
        for i in range(1, levels)
    )
    return f".r0:\n  script: [x]\n{body}job:\n  script: !reference [.r{levels - 1}, script]\n"


def random_bytes(size: int) -> bytes:
    return random.Random(7).randbytes(size)


def many_includes(count: int) -> Files:
    files: Files = {CI: "include:\n" + "".join(f"  - inc/f{i}.yml\n" for i in range(count)) + JOB}
    files.update({f"inc/f{i}.yml": f".f{i}:\n  script: [x]\n" for i in range(count)})
    return files


def outside_files(root: Path) -> Path:
    """``root/../outside/secret.yml`` and ``root/../outside.yml`` (both :data:`MARKER` jobs)."""
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.yml").write_text(OUTSIDE_YAML, encoding="utf-8")
    (root.parent / "outside.yml").write_text(OUTSIDE_YAML, encoding="utf-8")
    return outside


# --- the cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """Files to write (or a setup function), the command, and what must come out."""

    id: str
    files: Files = field(default_factory=dict)
    codes: frozenset[int] = frozenset({1})
    command: tuple[str, ...] = ("lint", "--root", ".", CI)
    names: tuple[str, ...] = (CI,)
    setup: Callable[[Path], None] | None = None
    stdout_has: tuple[str, ...] = ()
    timeout: float = TIMEOUT
    env: dict[str, str] | None = None
    marks: tuple[Any, ...] = ()
    unchanged: bool = False  # generate: nothing written, no stray files


def lint_case(case_id: str, files: Files, codes: set[int] | None = None, **options: Any) -> Case:
    names = options.pop("names", tuple(files) or (CI,))
    return Case(case_id, files, frozenset(codes or {1}), names=names, **options)


def _symlink_file(root: Path) -> None:
    (root / "link.yml").symlink_to(outside_files(root) / "secret.yml")


def _symlink_folder(root: Path) -> None:
    (root / "linked").symlink_to(outside_files(root), target_is_directory=True)


def _symlink_folder_git(root: Path) -> None:
    _symlink_folder(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True, timeout=30)


def _symlink_in_glob(root: Path) -> None:
    (root / "ci").mkdir()
    (root / "ci" / "evil.yml").symlink_to(outside_files(root) / "secret.yml")


def _entry_symlinked_out(root: Path) -> None:
    (root / CI).symlink_to(outside_files(root) / "secret.yml")


def _absolute_outside(root: Path) -> None:
    secret = outside_files(root) / "secret.yml"
    text = f"include:\n  - /etc/passwd\n  - local: {secret}\n  - /etc/hostname.yml\n" + JOB
    (root / CI).write_text(text, encoding="utf-8")


def _config_outside(root: Path) -> None:
    secret = outside_files(root) / "secret.yml"
    write_files(root, {CI: JOB, ".cigen.yaml": f"runners: {secret}\n"})


def _fifo_include(root: Path) -> None:
    os.mkfifo(root / "included.yml")
    write_files(root, {CI: "include: included.yml\n" + JOB})


def _fifo_entry(root: Path) -> None:
    os.mkfifo(root / CI)


def _fifo_cigen_yml(root: Path) -> None:
    os.mkfifo(root / "cigen.yml")


def _dev_zero_cigen_yml(root: Path) -> None:
    (root / "cigen.yml").symlink_to("/dev/zero")


def _inventory(case_id: str, inventory: str | bytes, *marks: Any) -> Case:
    return lint_case(
        f"runners-{case_id}",
        {CI: JOB, ".cigen.yaml": "runners: runners.yml\n", "runners.yml": inventory},
        {2},
        names=("runners.yml",),
        timeout=SHORT if marks else TIMEOUT,
        marks=marks,
    )


def _generate(case_id: str, content: str | bytes, check: bool) -> Case:
    command = ("generate", "-c", "cigen.yml", *(("--check",) if check else ()))
    return Case(
        f"generate-{'check' if check else 'stdout'}-{case_id}",
        {"cigen.yml": content, CI: "# not generated\n"},
        frozenset({2}),
        command,
        names=("cigen.yml",),
        unchanged=True,
    )


PRESET_HEAD = """name: hello
summary: Say hello
description: Prints a greeting.
stage: greet
order: 50
params:
  who: {type: string, default: x, description: Whom to greet.}
job:
  script:
"""


def _preset(case_id: str, script_line: str, *marks: Any, timeout: float = TIMEOUT) -> Case:
    """``cigen generate`` of a project preset (``presets/hello.yaml``) whose script is given."""
    return Case(
        f"preset-{case_id}",
        {
            "cigen.yml": "registry: r\njobs:\n  hi: {preset: hello}\n",
            "presets/hello.yaml": PRESET_HEAD + f"    - {script_line}\n",
        },
        frozenset({2}),
        ("generate", "--check"),
        names=("presets/hello.yaml",),
        timeout=timeout,
        marks=marks,
    )


_FIFO = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
_OUTSIDE = ("CIG102",)

CASES: list[Case] = [
    # --- the loader: aliases, nesting, size, encodings -------------------------------------------
    lint_case("billion-laughs", {CI: billion_laughs()}, stdout_has=("alias",)),
    lint_case("merge-key-bomb", {CI: merge_key_bomb()}, stdout_has=("alias",)),
    lint_case("flow-seq-50k", {CI: "x: " + "[" * 50_000 + "]" * 50_000 + "\n" + JOB}),
    lint_case("flow-seq-50k-unclosed", {CI: "x: " + "[" * 50_000 + "\n"}),
    lint_case("flow-map-50k", {CI: JOB + "x: " + "{a: " * 50_000 + "1" + "}" * 50_000 + "\n"}),
    lint_case("block-seq-50k", {CI: JOB + "x:\n  " + "- " * 50_000 + "x\n"}),
    lint_case("block-map-1500", {CI: JOB + "".join(" " * i + f"k{i}:\n" for i in range(1500))}),
    lint_case("line-100k", {CI: "job:\n  script:\n    - " + "a" * 100_000 + "\n"}, {0}),
    lint_case("line-100k-no-newline", {CI: "x" * 100_000}),
    lint_case("key-100k", {CI: f"{'j' * 100_000}:\n  script: [x]\n"}, {0, 1}),
    lint_case(
        "file-30mb",
        {CI: JOB + "# " + "x" * (30 * 1024 * 1024) + "\n"},
        stdout_has=("limit",),
    ),
    lint_case("random-binary", {CI: random_bytes(1 << 20)}),
    lint_case("nul-bytes", {CI: JOB.encode() + b"\x00\x00x: 1\n"}),
    lint_case("invalid-utf8", {CI: JOB.encode() + b"x: \xff\xfe\xc3\n"}),
    lint_case("bom-utf8", {CI: b"\xef\xbb\xbf" + JOB.encode()}, {0}),
    lint_case("bom-utf16", {CI: JOB.encode("utf-16")}, {0}),
    lint_case("bom-utf16-be", {CI: b"\xfe\xff" + JOB.encode("utf-16-be")}, {0}),
    lint_case("bom-utf16-truncated", {CI: b"\xff\xfe\x00"}),
    lint_case("control-whitespace", {CI: "\t" * 1000 + "\n" + "\r" * 1000}),
    # --- extends, !reference, include ---------------------------------------------------------
    lint_case(
        "extends-chain-1000",
        {CI: extends_chain(1000)},
    ),
    lint_case("extends-chain-12", {CI: extends_chain(12)}),
    lint_case(
        "extends-cycle",
        {CI: ".a:\n  extends: .b\n.b:\n  extends: .a\njob:\n  extends: .a\n  script: [x]\n"},
    ),
    lint_case("extends-self", {CI: "job:\n  extends: job\n  script: [x]\n"}),
    lint_case(
        "reference-chain-1000",
        {CI: reference_chain(1000)},
        {0, 1},
    ),
    lint_case("reference-chain-50", {CI: reference_chain(50)}, {0, 1}),
    lint_case(
        "reference-cycle",
        {
            CI: ".a:\n  script: !reference [.b, script]\n.b:\n  script: !reference [.a, script]\n"
            "job:\n  script: !reference [.a, script]\n"
        },
    ),
    lint_case(
        "reference-bomb",
        {CI: reference_bomb(40)},
        {1, 2},  # reference-unknown, or the assembled size if the copies reach it first
    ),
    lint_case("include-self", {CI: "include: .gitlab-ci.yml\n" + JOB}),
    lint_case(
        "include-cycle",
        {CI: "include: a.yml\n" + JOB, "a.yml": "include: b.yml\n", "b.yml": "include: a.yml\n"},
    ),
    lint_case("includes-2000", many_includes(2000), names=(CI,), stdout_has=("CIG105",)),
    lint_case(
        "glob-includes-everything",
        {
            CI: "include: 'inc/*.yml'\n" + JOB,
            **{f"inc/f{i}.yml": "include: 'inc/*.yml'\n" for i in range(300)},
        },
    ),
    # --- nothing outside the root -------------------------------------------------------------
    lint_case("include-dotdot", {CI: "include: ../outside.yml\n" + JOB}, stdout_has=_OUTSIDE),
    lint_case(
        "include-dotdot-inside",
        {CI: "include:\n  - local: ci/../../outside.yml\n" + JOB},
        stdout_has=_OUTSIDE,
    ),
    lint_case(
        "include-absolute-from-root",
        {
            CI: "include: /etc/passwd.yml\n" + JOB,
            "etc/passwd.yml": "rooted_job:\n  script: [x]\n  needs: [not_a_job]\n",
        },
        names=("etc/passwd.yml",),
        stdout_has=("etc/passwd.yml:3:",),  # GitLab reads /x.yml from the root, and so do we
    ),
    Case("include-absolute-outside", setup=_absolute_outside),
    Case(
        "include-symlink-file",
        {CI: "include: link.yml\n" + JOB},
        setup=_symlink_file,
        stdout_has=_OUTSIDE,
    ),
    Case(
        "include-symlink-folder",
        {CI: "include: linked/secret.yml\n" + JOB},
        setup=_symlink_folder,
        stdout_has=_OUTSIDE,
    ),
    *(
        Case(
            f"glob-symlink-folder-{kind}-{index}",
            {CI: f"include:\n  - local: '{pattern}'\n" + JOB},
            frozenset({0, 1}),
            setup=setup,
        )
        for kind, setup in (("walk", _symlink_folder), ("git", _symlink_folder_git))
        for index, pattern in enumerate(("linked/*.yml", "**/*.yml", "linked/**.yml"))
    ),
    Case(
        "glob-symlinked-file",
        {CI: "include:\n  - local: 'ci/*.yml'\n" + JOB},
        setup=_symlink_in_glob,
        stdout_has=_OUTSIDE,
    ),
    Case("entry-symlinked-out", codes=frozenset({2}), setup=_entry_symlinked_out),
    Case("fifo-include", setup=_fifo_include, marks=(_FIFO,)),
    Case("fifo-entry", codes=frozenset({2}), setup=_fifo_entry, marks=(_FIFO,)),
    Case(
        "config-points-outside",
        codes=frozenset({2}),
        names=(".cigen.yaml",),
        setup=_config_outside,
    ),
    # --- a hostile runner inventory (runners: in the project's .cigen.yaml) ------------------
    _inventory(
        "alias-bomb",
        billion_laughs().replace(JOB, "runners:\n  - {name: x, tags: *a9}\n"),
    ),
    _inventory(
        "flow-50k",
        "runners: " + "[" * 50_000 + "]" * 50_000 + "\n",
    ),
    _inventory(
        "flow-map-5000",
        "runners: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
    ),
    _inventory("binary", random_bytes(4096)),
    # --- plan ----------------------------------------------------------------------------------
    Case(
        "plan-alias-bomb",
        {CI: billion_laughs()},
        frozenset({1, 2}),
        ("plan", "--root", ".", CI),
    ),
    Case(
        "plan-flow-50k",
        {CI: "x: " + "[" * 50_000 + "\n"},
        frozenset({0, 1, 2}),
        ("plan", "--root", ".", CI),
    ),
    # --- generate on a hostile cigen.yml (stdout and --check) --------------------------------
    *(
        _generate(case_id, content, check)
        for case_id, content in (
            ("alias-bomb", billion_laughs().replace(JOB, "jobs: {}\n")),
            ("flow-50k", "jobs:\n  " + "[" * 50_000 + "\n"),
            ("binary", random_bytes(1 << 16)),
            ("invalid-utf8", b"jobs: \xff\n"),
            ("file-30mb", "jobs: {}\n# " + "x" * (30 * 1024 * 1024) + "\n"),
            ("line-100k", "x" * 100_000),
            ("reference", "jobs:\n  a: !reference [b, c]\n"),
        )
        for check in (False, True)
    ),
    # --- project presets: Jinja templates from the repository, rendered in a sandbox --------
    _preset("sandbox-escape", "echo {{ ''.__class__.__mro__[1].__subclasses__() }}"),
    _preset("sandbox-globals", "echo {{ cycler.__init__.__globals__.os.popen('id').read() }}"),
    _preset("undefined-name", "echo {{ nope }}"),
    _preset("syntax", "echo {% for %}"),
    _preset(
        "huge-string",
        "echo {{ 'x' * 3000000000 }}",
    ),
    _preset(
        "huge-constant",
        'echo "{{ "x" * 3000000000 }}"',
    ),
    _preset(
        "nested-loops",
        "echo {% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    ),
    Case(
        "generate-fifo",
        codes=frozenset({2}),
        command=("generate", "--check"),
        names=("cigen.yml",),
        setup=_fifo_cigen_yml,
        marks=(_FIFO,),
    ),
    Case(
        "generate-dev-zero",
        codes=frozenset({2}),
        command=("generate", "--check"),
        names=("cigen.yml",),
        setup=_dev_zero_cigen_yml,
        marks=(pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero"),),
    ),
]


# --- class 1: every file cigen reads is a regular file inside the root (issue 11) -----------
#: A credentials file beside the project, as ``~/.git-credentials`` would be: YAML reads it as
#: one string, which a schema error would quote whole.
CREDENTIALS = f"https://user:{MARKER}@example.com\n"
GEN_YML = "registry: r\njobs:\n  hi: {preset: hello}\n"
GEN_FILES: Files = {
    "cigen.yml": GEN_YML,
    "presets/hello.yaml": PRESET_HEAD + "    - echo hi\n",
}


def _credentials(root: Path) -> Path:
    secret = root.parent / "credentials"
    secret.write_text(CREDENTIALS, encoding="utf-8")
    return secret


def _link(name: str, target: Callable[[Path], Path] = _credentials) -> Callable[[Path], None]:
    """Setup: ``name`` in the project is a symlink to ``target(root)``."""

    def setup(root: Path) -> None:
        link = root / name
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target(root))

    return setup


def _fifo(name: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / name).unlink(missing_ok=True)
        os.mkfifo(root / name)

    return setup


def _outside_folder(root: Path) -> Path:
    folder = root.parent / "outside-presets"
    folder.mkdir(exist_ok=True)
    (folder / "hello.yaml").write_text(CREDENTIALS, encoding="utf-8")
    return folder


def _dev(name: str) -> Callable[[Path], Path]:
    return lambda _root: Path("/dev") / name


def _reader_case(
    case_id: str,
    files: Files,
    setup: Callable[[Path], None],
    command: tuple[str, ...],
    name: str,
    *marks: Any,
) -> Case:
    return Case(
        f"read-{case_id}",
        files,
        frozenset({2}),
        command,
        names=(name,),
        setup=setup,
        marks=marks,
    )


_DEV = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
_LINT = ("lint", "--root", ".", CI)
_CHECK = ("generate", "--check")

CASES += [
    _reader_case("config-symlink", {CI: JOB}, _link(".cigen.yaml"), _LINT, ".cigen.yaml"),
    _reader_case(
        "config-explicit-symlink",
        {CI: JOB},
        _link("cfg.yaml"),
        ("lint", "--root", ".", "--config", "cfg.yaml", CI),
        "cfg.yaml",
    ),
    _reader_case(
        "config-explicit-fifo",
        {CI: JOB},
        _fifo("cfg.yaml"),
        ("lint", "--root", ".", "--config", "cfg.yaml", CI),
        "cfg.yaml",
        _FIFO,
    ),
    _reader_case(
        "config-explicit-dev-zero",
        {CI: JOB},
        _link("cfg.yaml", _dev("zero")),
        ("lint", "--root", ".", "--config", "cfg.yaml", CI),
        "cfg.yaml",
        _DEV,
    ),
    _reader_case(
        "config-runners-symlink",
        {CI: JOB, ".cigen.yaml": "runners: inv.yml\n"},
        _link("inv.yml"),
        _LINT,
        ".cigen.yaml",
    ),
    _reader_case(
        "runners-explicit-symlink",
        {CI: JOB},
        _link("inv.yml"),
        ("lint", "--root", ".", "--runners", "inv.yml", CI),
        "inv.yml",
    ),
    _reader_case(
        "runners-explicit-dev-zero",
        {CI: JOB},
        lambda _root: None,
        ("lint", "--root", ".", "--runners", "/dev/zero", CI),
        "/dev/zero",
        _DEV,
    ),
    _reader_case(
        "runners-explicit-fifo",
        {CI: JOB},
        _fifo("inv.yml"),
        ("plan", "--root", ".", "--runners", "inv.yml", CI),
        "inv.yml",
        _FIFO,
    ),
    _reader_case("cigen-yml-symlink", GEN_FILES, _link("cigen.yml"), _CHECK, "cigen.yml"),
    _reader_case(
        "cigen-yml-explicit-symlink",
        GEN_FILES,
        _link("other.yml"),
        ("generate", "-c", "other.yml"),
        "other.yml",
    ),
    _reader_case(
        "preset-symlink", GEN_FILES, _link("presets/hello.yaml"), _CHECK, "presets/hello.yaml"
    ),
    _reader_case(
        "preset-fifo",
        GEN_FILES,
        _fifo("presets/hello.yaml"),
        _CHECK,
        "presets/hello.yaml",
        _FIFO,
    ),
    _reader_case(
        "presets-folder-symlink",
        {"cigen.yml": GEN_YML},
        _link("presets", _outside_folder),
        _CHECK,
        "presets/hello.yaml",
    ),
    _reader_case(
        "generate-runners-symlink",
        {**GEN_FILES, "cigen.yml": "runners: inv.yml\n" + GEN_YML},
        _link("inv.yml"),
        _CHECK,
        "inv.yml",
    ),
    _reader_case("check-target-symlink", GEN_FILES, _link(CI), _CHECK, CI),
    _reader_case("check-target-fifo", GEN_FILES, _fifo(CI), _CHECK, CI, _FIFO),
    _reader_case("check-target-dev-zero", GEN_FILES, _link(CI, _dev("zero")), _CHECK, CI, _DEV),
    _reader_case(
        "output-symlink",
        GEN_FILES,
        _link("out.yml"),
        ("generate", "-o", "out.yml"),
        "out.yml",
    ),
]


def _outside(root: Path) -> None:
    outside_files(root)


#: Paths named on the command line that lead outside the project as written (not through a
#: symlink): refused too, and nothing of the file outside is shown (its marker would be).
CASES += [
    _reader_case(case_id, files, _outside, command, name)
    for case_id, files, command in (
        ("config-outside", {CI: JOB}, ("lint", "--root", ".", "--config", "../outside.yml", CI)),
        ("runners-outside", {CI: JOB}, ("lint", "--root", ".", "--runners", "../outside.yml", CI)),
        ("check-target-outside", GEN_FILES, ("generate", "--check", "-o", "../outside.yml")),
        ("generate-runners-outside", GEN_FILES, (*_CHECK, "--runners", "../outside.yml")),
        ("generate-output-outside", GEN_FILES, ("generate", "-o", "../outside.yml")),
        ("lint-output-outside", {CI: JOB}, ("lint", "--root", ".", "-o", "../report.json", CI)),
        ("expand-output-outside", {CI: JOB}, ("expand", "--root", ".", "-o", "../e.yml", CI)),
        ("projects-outside", {}, ("scan", "--projects", "../outside.yml")),
    )
    for name in [command[command.index("-o") + 1] if "-o" in command else "../outside.yml"]
]


# --- classes 5 and 6: linear time and bounded size (issue 11) -------------------------------
_PLAN = ("plan", "--root", ".", CI)


def _budget(case_id: str, script_line: str) -> Case:
    """A project preset whose template would build, loop or recurse without end."""
    return _preset(f"budget-{case_id}", script_line)


CASES += [
    lint_case(
        "inputs-unclosed-blocks",
        {
            CI: "include:\n  - local: t.yml\n    inputs: {a: x}\n" + JOB,
            "t.yml": "spec:\n  inputs:\n    a: {}\n---\nt:\n  script:\n    - '"
            + "$[[ ab " * 150_000
            + "'\n",
        },
        {0, 1},
        names=(CI, "t.yml"),
    ),
    lint_case(
        "inputs-output-bomb",
        {
            CI: "include:\n  - local: t.yml\n    inputs: {a: '" + "x" * 500_000 + "'}\n" + JOB,
            "t.yml": "spec:\n  inputs:\n    a: {}\n---\nt:\n  script:\n    - '"
            + "$[[ inputs.a ]]" * 5_000
            + "'\n",
        },
        {1},
        names=(CI, "t.yml"),
        stdout_has=("interpolation adds more than",),
    ),
    lint_case(
        "needs-colon-brackets",
        {CI: JOB + "b:\n  script: [x]\n  needs: ['" + ": [" * 300_000 + "']\n"},
    ),
    Case(
        "plan-group-name-bomb",
        {CI: "? 'a" + ": [x]" * 20_000 + "'\n:\n  script: [x]\n"},  # a key over 1,024
        frozenset({0, 1}),
        _PLAN,
    ),
    Case(
        "plan-parallel-huge",
        {CI: "job:\n  script: [x]\n  parallel: 100000000\n"},
        frozenset({0, 1}),
        _PLAN,
    ),
    Case(
        "plan-matrix-huge",
        {
            CI: "job:\n  script: [x]\n  parallel:\n    matrix:\n      - A: ["
            + ", ".join(str(i) for i in range(3000))
            + "]\n        B: ["
            + ", ".join(str(i) for i in range(3000))
            + "]\n"
        },
        frozenset({0, 1}),
        _PLAN,
    ),
    Case(
        "plan-brace-bomb",
        {CI: "job:\n  script: [x]\n  rules:\n    - changes: ['" + "{a,b}" * 60 + "']\n"},
        frozenset({0, 1}),
        (*_PLAN, "--changed", "a.txt"),
    ),
    Case(
        "plan-variable-doubling",
        {
            CI: "variables:\n  V0: '"
            + "x" * 1000
            + "'\n"
            + "".join(f"  V{i}: '${{V{i - 1}}}${{V{i - 1}}}'\n" for i in range(1, 200))
            + "job:\n  script: [x]\n  rules:\n    - if: $V199 == 'y'\n    - changes: [$V199]\n"
        },
        frozenset({0, 1}),
        (*_PLAN, "--changed", "a.txt"),
    ),
    Case(
        "plan-variable-chain",
        {
            CI: "variables:\n"
            + "".join(f"  V{i}: $V{i + 1}\n" for i in range(30_000))
            + "job:\n  script: [x]\n  rules:\n    - changes: [$V0]\n"
        },
        frozenset({0, 1}),
        (*_PLAN, "--changed", "a.txt"),
    ),
    Case(
        "include-glob-stars",
        {
            CI: "include: '" + "**a" * 300 + "**b.yml'\n" + JOB,
            **{f"d{i}/" + "a" * 200 + ".yml": "x: 1\n" for i in range(50)},
        },
        frozenset({0, 1}),
    ),
    Case(
        "preset-pattern-lookahead",
        {
            "cigen.yml": "registry: r\njobs:\n  hi: {preset: hello}\n",
            "presets/hello.yaml": PRESET_HEAD.replace(
                "default: x,", "default: x, pattern: '^(?!y)x$',"
            )
            + "    - echo hi\n",
        },
        frozenset({2}),
        ("generate", "--check"),
        names=("presets/hello.yaml",),
        stdout_has=(),
    ),
    Case(
        "preset-pattern-backtracking",
        {
            "cigen.yml": "registry: r\njobs:\n  hi: {preset: hello, with: {who: '"
            + "a" * 100_000
            + "!'}}\n",
            "presets/hello.yaml": PRESET_HEAD.replace(
                "default: x,", "default: a, pattern: '^(a+)+$',"
            )
            + "    - echo hi\n",
        },
        frozenset({2}),
        ("generate", "--check"),
        names=("cigen.yml",),
    ),
    _budget("center", "echo {{ 'x'|center(1000000000) }}"),
    _budget("ljust", "echo {{ 'x'.ljust(1000000000) }}"),
    _budget("format-filter", "echo {{ '%999999999s'|format('x') }}"),
    _budget("percent", "echo {{ '%999999999s' % 'x' }}"),
    _budget("str-format", "echo {{ '{:>999999999}'.format('x') }}"),
    _budget(
        "replace-chain",
        "echo {{ ('x' * 1000)|replace('x', 'x' * 1000)|replace('x', 'x' * 1000) }}",
    ),
    _budget(
        "tilde-doubling",
        "echo {% set ns = namespace(s='xxxxxxxx') %}"
        "{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    ),
    _budget("macro-recursion", "echo {% macro m(n) %}{{ m(n) }}{% endmacro %}{{ m(1) }}"),
    _budget(
        "string-loops",
        "echo {% set s = 'x' * 1000 %}{% for a in s %}{% for b in s %}{% for c in s %}"
        "{% endfor %}{% endfor %}{% endfor %}",
    ),
    _budget("output", "echo {% for i in range(900000) %}xxxxxxxxxxxxxxxxxxxx{% endfor %}"),
    _budget("join", "echo {{ (['x' * 900000] * 100)|join(',') }}"),
    _budget("lipsum", "echo {{ lipsum(100000) }}"),
    _budget("list-append", "echo {% set l = [1] %}{{ l.append(2) }}"),
]


def reference_nesting(levels: int = 50, per_level: int = 80) -> str:
    """Each template nests the previous one ``per_level`` levels deeper through a
    ``!reference``: no file nests deeper than GitLab's 100 levels, the assembly does."""
    lines = [".r0:", "  k: [x]"]
    for i in range(1, levels):
        nested = "{m: " * per_level + f"!reference [.r{i - 1}, k]" + "}" * per_level
        lines += [f".r{i}:", f"  k: {nested}"]
    return "\n".join([*lines, "job:", "  script: [x]", f"  x: !reference [.r{levels - 1}, k]", ""])


CASES += [
    Case(
        f"reference-nesting-{command}",
        {CI: reference_nesting()},
        frozenset({2}),
        (command, "--root", ".", CI),
    )
    for command in ("lint", "expand", "plan")
]


CASES += [
    Case(
        f"parallel-jobs-{command}",
        {CI: "".join(f"j{i}:\n  script: [x]\n  parallel: 200\n" for i in range(2000))},
        frozenset({2}),
        (command, "--root", ".", CI),
    )
    for command in ("lint", "plan")  # 400,000 jobs: lint took 45 s, plan over 2 minutes
]


# --- the assembled size: extends, !reference, default and variables copied into jobs -----------
#: 2,000 jobs: each would get its own copy of a 20,000-entry mapping or list (issue 11, class 6).
WIDE, MANY = 20_000, 2_000


def _wide_jobs(template: str, job: str) -> str:
    """``template`` (formatted with the wide body) then ``MANY`` jobs written as ``job``."""
    wide_map = "".join(f"    V{i}: x\n" for i in range(WIDE))
    wide_list = "".join(f"    - x{i}\n" for i in range(WIDE))
    head = template.format(map=wide_map, list=wide_list)
    return head + "".join(job.format(i=i) for i in range(MANY))


CASES += [
    lint_case(
        f"assembled-{case_id}",
        {CI: _wide_jobs(template, job)},
        {2},
    )
    for case_id, template, job in (
        (
            "extends-wide-mapping",
            ".big:\n  variables:\n{map}",
            "j{i}:\n  extends: .big\n  variables: {{A: x}}\n  script: x\n",
        ),
        (
            "extends-many-parents",
            ".big:\n  variables:\n{map}.small:\n  variables: {{B: y}}\n",
            "j{i}:\n  extends: [.big, .small]\n  script: x\n",
        ),
        ("default-wide-list", "default:\n  before_script:\n{list}", "j{i}:\n  script: x\n"),
        ("global-variables-wide", "variables:\n{map}", "j{i}:\n  script: x\n"),
        (
            "reference-wide-list",
            ".big:\n  script:\n{list}",
            "j{i}:\n  script: !reference [.big, script]\n",
        ),
    )
]


def _entry_bytes(root: Path) -> dict[str, bytes]:
    """The entry file's bytes when it is a regular file (never opens a FIFO)."""
    entry = root / CI
    return {CI: entry.read_bytes()} if entry.is_file() and not entry.is_symlink() else {}


@dataclass
class Started:
    root: Path
    before: dict[str, bytes]
    future: Future[Outcome]


@pytest.fixture(scope="module")
def started(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Started]]:
    """Every case's tree written and its run started, four at a time."""
    runs: dict[str, Started] = {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        for case in CASES:
            skipped = any(m.name == "skipif" and m.args[0] for m in case.marks)
            if skipped:
                continue
            root = tmp_path_factory.mktemp("hostile") / "project"
            root.mkdir()
            write_files(root, case.files)
            if case.setup is not None:
                case.setup(root)
            before = _entry_bytes(root)
            future = pool.submit(run_cigen, case.command, root, timeout=case.timeout, env=case.env)
            runs[case.id] = Started(root, before, future)
        yield runs


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=case.marks) for case in CASES]
)
def test_hostile_input(case: Case, started: dict[str, Started]) -> None:
    run = started[case.id]
    outcome = run.future.result()
    memory = "?" if outcome.max_rss_mib is None else f"{outcome.max_rss_mib:.0f}"
    measured = f"{outcome.seconds:.2f} s, {memory} MiB"
    print(f"\n  {case.id}: exit {outcome.code}, {measured}")
    check_bounded(outcome, set(case.codes), case.names)
    for text in case.stdout_has:
        assert text in outcome.stdout, outcome.output
    if case.unchanged:
        assert _entry_bytes(run.root) == run.before
        assert sorted(p.name for p in run.root.iterdir()) == sorted(case.files)


def test_every_case_has_a_unique_id() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


# --- the GitLab token never shows -----------------------------------------------------------------

TOKENS = ["glpat-Sup3rS3cretT0kenValue", "plain-secret-value-0123456789"]


@pytest.fixture
def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connecting to it is refused


def _gitlab_lint(root: Path, url: str, token: str, *extra: str, debug: bool = False) -> Outcome:
    write_files(root, {CI: "job:\n  tags: [docker]\n  script: [x]\n"})
    env = {"GITLAB_URL": url, "GITLAB_TOKEN": token, "CI_PROJECT_ID": "7"}
    if debug:
        env["CIGEN_DEBUG"] = "1"
    return run_cigen(["lint", "--root", ".", "--runners", "gitlab", *extra, CI], root, env=env)


def _assert_hidden(outcome: Outcome, token: str) -> None:
    assert outcome.code == 2, outcome.output
    assert "Traceback" not in outcome.output
    assert token not in outcome.output
    assert token[6:] not in outcome.output  # nor a recognisable part of it


@pytest.mark.parametrize("token", TOKENS)
def test_token_hidden_when_gitlab_is_unreachable(
    tmp_path: Path, free_port: int, token: str
) -> None:
    outcome = _gitlab_lint(tmp_path, f"http://127.0.0.1:{free_port}", token)
    _assert_hidden(outcome, token)
    assert "cannot connect" in outcome.stderr


@pytest.mark.parametrize(
    ("token", "fmt"), [(TOKENS[0], "text"), (TOKENS[1], "text"), (TOKENS[0], "sarif")]
)
def test_token_hidden_when_gitlab_rejects_it(tmp_path: Path, token: str, fmt: str) -> None:
    with serve(FakeGitLab(token="the-right-token-is-different")) as url:
        outcome = _gitlab_lint(tmp_path, url, token, "--format", fmt)
    _assert_hidden(outcome, token)
    assert "401" in outcome.stderr


def test_url_credentials_hidden(tmp_path: Path, free_port: int) -> None:
    url = f"http://deploy-user:UrlPassw0rdValue@127.0.0.1:{free_port}"
    outcome = _gitlab_lint(tmp_path, url, TOKENS[0])
    _assert_hidden(outcome, TOKENS[0])
    assert "UrlPassw0rdValue" not in outcome.output


def test_token_hidden_with_cigen_debug(tmp_path: Path) -> None:
    """``CIGEN_DEBUG=1`` (tracebacks for crashes) still shows only the scrubbed error."""
    with serve(FakeGitLab(token="the-right-token-is-different")) as url:
        outcome = _gitlab_lint(tmp_path, url, TOKENS[1], debug=True)
    _assert_hidden(outcome, TOKENS[1])


# --- positions of the loader's refusals -----------------------------------------------------------


def test_control_character_is_located() -> None:
    from cigen.yaml.load import load_text

    loaded = load_text(CI, JOB.encode() + b"x: \x00\n")
    (problem,) = loaded.problems
    assert (problem.mark.line, problem.mark.col) == (3, 4)
    assert "\n" not in problem.message
