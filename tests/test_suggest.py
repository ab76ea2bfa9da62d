""" "Did you mean": the closest known name in findings about misspelt names.

The findings themselves follow GitLab (``lib/gitlab/ci/config/entry/job.rb`` unknown keys,
``lib/gitlab/ci/yaml_processor.rb`` needs/dependencies/stage checks, ``lib/gitlab/ci/config/
extendable/entry.rb`` unknown extends key); the hint is cigen's addition to the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import lint_tree

from cigen.runners.inventory import make_runner
from cigen.suggest import closest, did_you_mean

CI = ".gitlab-ci.yml"


def test_closest_picks_what_difflib_picks_from_the_whole_list() -> None:
    """The quick bounds that narrow the list before difflib measures keep every name
    ``difflib.get_close_matches`` would pick."""
    import difflib
    import random

    rng = random.Random(11)
    for alphabet in ("ab", "abcde.-_:", "abcdefghijklmnopqrstuvwxyz-é"):
        for _ in range(2000):
            pool = ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(20)]
            word = "".join(rng.choices(alphabet, k=rng.randint(1, 12)))
            cutoff = rng.choice([0.0, 0.5, 0.75, 0.9, 1.0])
            names = sorted({n for n in pool if n != word})
            if word.lower() in {n.lower() for n in names}:
                continue  # a case-only difference is found before difflib
            found = difflib.get_close_matches(word, names, n=1, cutoff=cutoff)
            assert closest(word, pool, cutoff=cutoff) == (found[0] if found else None)


def test_closest() -> None:
    assert closest("scirpt", ["script", "stage"]) == "script"
    assert closest("Build", ["build", "test"]) == "build"  # case only
    assert closest("build", ["build"]) is None  # never the word itself
    assert closest("zzz", ["build", "test"]) is None
    assert closest("x", []) is None
    assert did_you_mean("tset", ["test"]) == " (did you mean 'test'?)"
    assert did_you_mean("zzz", ["test"]) == ""


@pytest.mark.parametrize(
    ("text", "where", "expected"),
    [
        pytest.param(
            "build:\n  scirpt: [make]\n  script: [make]\n",
            (2, 3, "CIG002"),
            "jobs:build config contains unknown keys: scirpt (did you mean 'script'?)",
            id="keyword",
        ),
        pytest.param(
            "build:\n  scirpt: [make]\n  imgae: alpine\n  script: [make]\n",
            (2, 3, "CIG002"),
            "jobs:build config contains unknown keys: scirpt, imgae "
            "(did you mean 'script' for 'scirpt', 'image' for 'imgae'?)",
            id="keywords",
        ),
        pytest.param(
            "build:\n  frobnicate: 1\n  script: [make]\n",
            (2, 3, "CIG002"),
            "jobs:build config contains unknown keys: frobnicate",
            id="keyword-nothing-close",
        ),
        pytest.param(
            "stages: [build, test]\nbuild:\n  stage: biuld\n  script: [make]\n",
            (3, 10, "CIG201"),
            "build job: chosen stage biuld does not exist; available stages are .pre, build, "
            "test, .post; did you mean 'build'? If not, add it to stages or fix the name",
            id="stage",
        ),
        pytest.param(
            "build:\n  script: [make]\ntest:\n  needs: [Build]\n  script: [make]\n",
            (4, 11, "CIG202"),
            "test job: undefined need: Build; did you mean 'build'? If not, define that job or "
            "fix the name, or mark the need optional: true",
            id="needs",
        ),
        pytest.param(
            "build:\n  script: [make]\ntest:\n  dependencies: [biuld]\n  script: [make]\n",
            (4, 18, "CIG204"),
            "test job: undefined dependency: biuld; did you mean 'build'? If not, define that job "
            "or fix the name",
            id="dependencies",
        ),
        pytest.param(
            "test:\n  extends: .tempalte\n  script: [make]\n.template:\n  image: alpine\n",
            (2, 12, "CIG111"),
            "test: unknown key in `extends` (.tempalte) (did you mean '.template'?); define it "
            "or fix the name",
            id="extends",
        ),
    ],
)
def test_hint_in_message(
    tmp_path: Path, text: str, where: tuple[int, int, str], expected: str
) -> None:
    result = lint_tree(tmp_path, {CI: text})
    found = {(d.line, d.col, d.code): d.message for d in result.diagnostics}
    assert found.get(where) == expected, found


def test_closest_runner_tag(tmp_path: Path) -> None:
    runners = (make_runner("r", ["docker", "linux"]),)
    text = "build:\n  tags: [dokcer, linux]\n  script: [make]\n"
    result = lint_tree(tmp_path, {CI: text}, runners=runners)
    (diag,) = result.diagnostics
    assert (diag.line, diag.col, diag.code) == (2, 9, "CIG301")
    assert diag.message == (
        "job 'build' will be stuck: no runner carries all of the job's tags [dokcer, linux] "
        "(did you mean 'docker' for 'dokcer'?); closest: r lacks [dokcer]. Add the missing tags "
        "to a runner or change the job's tags."
    )


def test_cross_job_finding_an_unfollowed_include_may_explain(tmp_path: Path) -> None:
    """GitLab's check (cigen.config.processor) through needs-unknown-job: a job a remote
    include may define is info, with the note, under the engine's one policy."""
    text = (
        "include: 'https://example.com/ci.yml'\n"
        "build:\n  script: [make]\n  parallel: {matrix: [{OS: [linux]}]}\n"
        "test:\n  needs: ['build: [mac]']\n  script: [make]\n"
    )
    result = lint_tree(tmp_path, {".gitlab-ci.yml": text})
    (diag,) = [d for d in result.diagnostics if d.code == "CIG202"]
    assert (diag.line, diag.col, diag.severity.label) == (6, 11, "info")
    assert diag.message.startswith("test job: undefined need: build: [mac];")
    assert "include that was not followed: https://example.com/ci.yml" in diag.message
