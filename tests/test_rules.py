"""Every rule in the registry, with exact positions, plus the loader's GitLab behaviours.

Each case is ``(files, expected)``: ``files`` maps repository paths to their text (the entry is
``.gitlab-ci.yml``), ``expected`` lists every finding as ``(path, line, col, code)``; nothing
else may be reported. Section numbers refer to ``docs/gitlab-ci-semantics.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import lint_tree

from cigen.diagnostics import Severity
from cigen.rules import RULES
from cigen.runners.inventory import make_runner, runner_from_data
from cigen.yaml.load import to_plain

CI = ".gitlab-ci.yml"
BUILD = "build:\n  script: [make]\n"

Expected = list[tuple[str, int, int, str]]


def case(
    name: str, files: dict[str, Any], expected: Expected, *, runners: str = "", **marks: Any
) -> Any:
    """One case; ``runners`` names an inventory from RUNNERS for the CIG3xx rules."""
    return pytest.param(files, expected, runners, id=name, **marks)


def bug(reason: str) -> Any:
    return pytest.mark.xfail(strict=True, reason=reason)


# the generator and trigger jobs of the trigger-artifact (CIG211) cases
GEN = "generate:\n  stage: build\n  script: [make child.yml]\n"
TRIGGER = (
    "child:\n  stage: test\n  needs: [generate]\n  trigger:\n    include:\n"
    "      - artifact: child.yml\n        job: generate\n"
)


CASES = [
    # --- yaml-syntax CIG001: Psych loading, one document or a spec: header (2.1, 2.2) ----------
    case("yaml-unclosed-flow", {CI: "build:\n  script: [make\n"}, [(CI, 3, 1, "CIG001")]),
    case("yaml-tab-indent", {CI: "build:\n\tscript: [make]\n"}, [(CI, 2, 1, "CIG001")]),
    case(
        "yaml-unquoted-date",
        {CI: "build:\n  script: [make]\n  variables:\n    RELEASED: 2024-01-02\n"},
        [(CI, 4, 15, "CIG001")],
    ),
    case(
        "yaml-not-utf8",
        {CI: b'build:\n  script: ["caf\xe9"]\n'},
        [(CI, 2, 16, "CIG001")],
    ),
    case(
        "yaml-two-documents-without-spec",
        {CI: "a:\n  script: [x]\n---\nb:\n  script: [y]\n"},
        [(CI, 3, 1, "CIG001")],
    ),
    case(
        "yaml-header-with-spec-is-fine",
        {CI: "spec:\n  inputs: {}\n---\n" + BUILD},
        [],
    ),
    # --- schema CIG002: unknown key at the key, wrong value at the value (3.1 #2, #6) ----------
    case(
        "schema-unknown-key",
        {CI: "build:\n  scirpt: [make]\n  script: [make]\n"},
        [(CI, 2, 3, "CIG002")],
    ),
    case(
        "schema-wrong-type",
        {CI: "build:\n  script: [make]\n  retry: lots\n"},
        [(CI, 3, 10, "CIG002")],
    ),
    case(
        "schema-bad-when",
        {CI: "build:\n  script: [make]\n  when: sometimes\n"},
        [(CI, 3, 9, "CIG209")],
    ),
    case(
        "schema-error-in-included-file-is-located-there",
        {CI: "include: ci/a.yml\n" + BUILD, "ci/a.yml": "lint:\n  script: [x]\n  tgas: [a]\n"},
        [("ci/a.yml", 3, 3, "CIG002")],
    ),
    # --- duplicate-key CIG003: the last value wins silently (2.2) ------------------------------
    case(
        "duplicate-job",
        {CI: "build:\n  script: [make]\nbuild:\n  script: [make install]\n"},
        [(CI, 3, 1, "CIG003")],
    ),
    case(
        "duplicate-nested-key",
        {CI: "build:\n  script: [x]\n  variables:\n    A: '1'\n    A: '2'\n"},
        [(CI, 5, 5, "CIG003")],
    ),
    # --- unknown-tag CIG004: an unquoted '!' starts a tag (2.2) -------------------------------
    # the tag swallows `!($CI_COMMIT_BRANCH`, so the if: GitLab sees is `== "main")` (5)
    case(
        "unknown-tag-unquoted-not",
        {CI: BUILD + '  rules:\n    - if: !($CI_COMMIT_BRANCH == "main")\n'},
        [(CI, 4, 11, "CIG004"), (CI, 4, 11, "CIG401")],
    ),
    # --- unused-suppression CIG005: # cigen: ignore[...] comments (cigen's own, not GitLab's) --
    # without the comments, `stage: compile` is an unknown stage at 2:10 (CIG201)
    case(
        "suppress-end-of-line",
        {CI: "build:\n  stage: compile  # cigen: ignore[unknown-stage]\n  script: [make]\n"},
        [],
    ),
    case(
        "suppress-line-above",
        {CI: "build:\n  # cigen: ignore[CIG201]\n\n  stage: compile\n  script: [make]\n"},
        [],
    ),
    case(
        "suppress-line-above-not-two-lines",
        {CI: "# cigen: ignore[CIG201]\nbuild:\n  stage: compile\n  script: [make]\n"},
        [(CI, 1, 1, "CIG005"), (CI, 3, 10, "CIG201")],
    ),
    case(
        "suppress-several-one-unused",
        {
            CI: "build:\n  stage: compile  # cigen: ignore[CIG201, needs-unknown-job]\n"
            "  script: [make]\n"
        },
        [(CI, 2, 19, "CIG005")],
    ),
    case(
        "suppress-other-rule-only",
        {CI: "build:\n  stage: compile  # cigen: ignore[CIG202]\n  script: [make]\n"},
        [(CI, 2, 10, "CIG201"), (CI, 2, 19, "CIG005")],
    ),
    case(
        "suppress-unknown-rule-name",
        {CI: "build:\n  stage: compile  # cigen: ignore[CIG201 no-such-rule]\n  script: [m]\n"},
        [(CI, 2, 19, "CIG005")],
    ),
    case(
        "suppress-names-nothing",
        {CI: "build:\n  stage: compile  #cigen: ignore\n  script: [make]\n"},
        [(CI, 2, 10, "CIG201"), (CI, 2, 19, "CIG005")],
    ),
    case(
        "suppress-fixed-problem",
        {CI: "build:\n  stage: build  # cigen: ignore[unknown-stage]\n  script: [make]\n"},
        [(CI, 2, 17, "CIG005")],
    ),
    case(
        "suppress-file-in-include-only",
        {
            CI: "include: ci/lint.yml\nbuild:\n  stage: compile\n  script: [make]\n",
            "ci/lint.yml": "# lint jobs\n# cigen: ignore-file[CIG201]\n"
            "lint:\n  stage: check\n  script: [ruff]\n",
        },
        [(CI, 3, 10, "CIG201")],
    ),
    case(
        "suppress-file-unused",
        {CI: "---\n# cigen: ignore-file[CIG201, CIG208]\n" + BUILD},
        [(CI, 2, 1, "CIG005"), (CI, 2, 1, "CIG005")],
    ),
    case(
        "suppress-file-misplaced",
        {CI: "build:\n  stage: compile\n  script: [make]\n# cigen: ignore-file[CIG201]\n"},
        [(CI, 2, 10, "CIG201"), (CI, 4, 1, "CIG005")],
    ),
    case(
        "suppress-not-inside-quoted-or-block-text",
        {
            CI: 'build:\n  stage: "compile # cigen: ignore[CIG201]"\n  script: |\n'
            "    make # cigen: ignore[CIG201]\n"
        },
        [(CI, 2, 10, "CIG201")],
    ),
    # --- include-not-found CIG101 (2.3) -------------------------------------------------------
    case(
        "include-missing-file",
        {CI: "include: ci/missing.yml\n" + BUILD},
        [(CI, 1, 10, "CIG101")],
    ),
    case(
        "include-missing-local-mapping",
        {CI: "include:\n  - local: ci/missing.yml\n" + BUILD},
        [(CI, 2, 12, "CIG101")],
    ),
    case(
        "include-empty-file",
        {CI: "include: ci/empty.yml\n" + BUILD, "ci/empty.yml": ""},
        [(CI, 1, 10, "CIG101")],
    ),
    case(
        "include-glob-matches-nothing",
        {CI: "include:\n  - local: ci/*.yml\n" + BUILD},
        [(CI, 2, 12, "CIG101")],
    ),
    case(
        "include-glob-leading-slash",
        {CI: "include:\n  - local: /ci/*.yml\n" + BUILD, "ci/a.yml": "a:\n  script: [x]\n"},
        [(CI, 2, 12, "CIG101")],
    ),
    case(
        "include-leading-slash-exact-path-is-fine",
        {CI: "include:\n  - local: /ci/a.yml\n" + BUILD, "ci/a.yml": "a:\n  script: [x]\n"},
        [],
    ),
    # --- include-outside-root CIG102 (2.3: local includes come from the repository) ------------
    case(
        "include-dotdot",
        {CI: "include: ../x.yml\n" + BUILD},
        [(CI, 1, 10, "CIG102")],
    ),
    # --- include-cycle CIG103 (2.3: only the 150-include limit stops a cycle) -----------------
    case(
        "include-self",
        {CI: "include: .gitlab-ci.yml\n" + BUILD},
        [(CI, 1, 10, "CIG103")],
    ),
    case(
        "include-a-b-a",
        {
            CI: "include: a.yml\n" + BUILD,
            "a.yml": "include: b.yml\n",
            "b.yml": "include: a.yml\n.x:\n  script: [y]\n",
        },
        [("b.yml", 1, 10, "CIG103")],
    ),
    # --- include-not-followed CIG104 (2.3: project, remote, template, component) --------------
    case(
        "include-not-followed-all-kinds",
        {
            CI: "include:\n"
            "  - project: g/p\n"
            "    file: x.yml\n"
            "  - remote: https://example.com/x.yml\n"
            "  - template: Jobs/SAST.gitlab-ci.yml\n"
            "  - component: gitlab.com/g/c/x@1.0\n" + BUILD
        },
        [
            (CI, 2, 14, "CIG104"),
            (CI, 4, 13, "CIG104"),
            (CI, 5, 15, "CIG104"),
            (CI, 6, 16, "CIG104"),
        ],
    ),
    case(
        "include-not-followed-string-remote",
        {CI: "include: https://example.com/ci.yml\n" + BUILD},
        [(CI, 1, 10, "CIG104")],
    ),
    case(
        "include-not-followed-then-unknown-parent-is-info",
        {
            CI: "include:\n  - template: Jobs/SAST.gitlab-ci.yml\n"
            + BUILD
            + "test:\n  extends: .sast-base\n  script: [t]\n"
        },
        [(CI, 2, 15, "CIG104"), (CI, 6, 12, "CIG111")],
    ),
    case(
        "include-not-followed-then-unknown-need-is-info",
        {
            CI: "include:\n  - template: Jobs/SAST.gitlab-ci.yml\n"
            + BUILD
            + "test:\n  needs: [sast]\n  script: [t]\n"
        },
        [(CI, 2, 15, "CIG104"), (CI, 6, 11, "CIG202")],
    ),
    # --- include-limit CIG105 (2.3: at most 150 includes, repeats count) ----------------------
    case(
        "include-150-is-fine",
        {
            CI: "include:\n" + "  - a.yml\n" * 150 + BUILD,
            "a.yml": ".a:\n  script: [x]\n",
        },
        [],
    ),
    case(
        "include-151",
        {
            CI: "include:\n" + "  - a.yml\n" * 151 + BUILD,
            "a.yml": ".a:\n  script: [x]\n",
        },
        [(CI, 152, 5, "CIG105")],
    ),
    # --- include-invalid CIG106 (2.3: local files must end .yml/.yaml) ------------------------
    case(
        "include-txt",
        {CI: "include:\n  - local: ci/build.txt\n" + BUILD, "ci/build.txt": "a:\n  script: [x]\n"},
        # GitLab's File::Base#validate_location! alone (the editor schema no longer checks it)
        [(CI, 2, 12, "CIG106")],
    ),
    case(
        "include-rules-unknown-key",
        {
            CI: "include:\n  - local: a.yml\n    rules:\n      - if: $A\n        when: never\n"
            "        then: skip\n" + BUILD,
            "a.yml": ".a:\n  script: [x]\n",
        },
        # include:rules:rule config contains unknown keys: then (External::Rules)
        [(CI, 6, 9, "CIG106")],
    ),
    case(
        "include-rules-when",
        {
            CI: "include:\n  - local: a.yml\n    rules:\n      - if: $A\n        when: manual\n"
            + BUILD,
            "a.yml": ".a:\n  script: [x]\n",
        },
        # include:rules:rule when unknown value: manual (External::Rules)
        [(CI, 5, 15, "CIG106")],
    ),
    # --- include-inputs CIG107 (2.4) ----------------------------------------------------------
    case(
        "inputs-unknown",
        {
            CI: "include:\n  - local: ci/job.yml\n    inputs: {stage: test, colour: red}\n",
            "ci/job.yml": "SPEC",
        },
        [(CI, 2, 12, "CIG107")],
    ),
    case(
        "inputs-not-in-options",
        {
            CI: "include:\n  - local: ci/job.yml\n    inputs:\n      stage: test\n"
            "      env: staging\n",
            "ci/job.yml": "SPEC",
        },
        [(CI, 5, 12, "CIG107")],
    ),
    case(
        "inputs-all-valid",
        {
            CI: "include:\n  - local: ci/job.yml\n    inputs:\n"
            "      stage: test\n      env: prod\n      count: 3\n",
            "ci/job.yml": "SPEC",
        },
        [],
    ),
    case(
        "inputs-without-spec-header",
        {
            CI: "include:\n  - local: ci/job.yml\n    inputs:\n      stage: test\n",
            "ci/job.yml": "job:\n  script: [x]\n",
        },
        [(CI, 2, 12, "CIG107")],
    ),
    case(
        "inputs-undeclared-interpolation",
        {
            CI: "include:\n  - local: ci/job.yml\n    inputs:\n      stage: test\n",
            "ci/job.yml": "SPEC_NOPE",
        },
        [("ci/job.yml", 14, 7, "CIG107")],
    ),
    case(
        "inputs-missing-required",
        {CI: "include:\n  - local: ci/job.yml\n    inputs: {count: 2}\n", "ci/job.yml": "SPEC"},
        [(CI, 2, 12, "CIG107")],
    ),
    case(
        "inputs-wrong-type",
        {
            CI: "include:\n  - local: ci/job.yml\n    inputs:\n      stage: test\n"
            "      count: many\n",
            "ci/job.yml": "SPEC",
        },
        [(CI, 5, 14, "CIG107")],
    ),
    # --- extends-unknown CIG111, extends-cycle CIG112, extends-too-deep CIG113 (2.6) ----------
    case(
        "extends-unknown",
        {CI: "build:\n  extends: .tempalte\n  script: [make]\n.template:\n  image: alpine\n"},
        [(CI, 2, 12, "CIG111")],
    ),
    case(
        "extends-unknown-in-list",
        {CI: "build:\n  extends: [.template, .nope]\n  script: [make]\n.template:\n  image: a\n"},
        [(CI, 2, 24, "CIG111")],
    ),
    case(
        "extends-base-not-a-mapping",
        {CI: "build:\n  extends: .t\n  script: [make]\n.t: [a]\n"},
        [(CI, 2, 12, "CIG111")],
    ),
    case(
        "extends-cycle",
        {CI: ".a:\n  extends: .b\n.b:\n  extends: .a\nbuild:\n  extends: .a\n  script: [make]\n"},
        [(CI, 4, 12, "CIG112")],
    ),
    case(
        "extends-self",
        {CI: "build:\n  extends: build\n  script: [make]\n"},
        [(CI, 2, 12, "CIG112")],
    ),
    # 2.6: MAX_NESTING_LEVELS = 10 ancestors, checked only for entries that extend further,
    # so a chain of 11 extends hops is accepted and 12 fails.
    case("extends-11-levels-ok", {CI: "CHAIN11"}, []),
    case("extends-12-levels", {CI: "CHAIN12"}, [(CI, 2, 12, "CIG113")]),
    # --- reference-unknown CIG121 (2.7) -------------------------------------------------------
    case(
        "reference-missing-key",
        {
            CI: ".setup:\n  script: [x]\nbuild:\n  script: [make]\n"
            "  before_script: !reference [.setup, nope]\n"
        },
        [(CI, 5, 18, "CIG121")],
    ),
    case(
        "reference-false-value",
        {
            CI: ".s:\n  allow_failure: false\nbuild:\n  script: [x]\n"
            "  allow_failure: !reference [.s, allow_failure]\n"
        },
        [(CI, 5, 18, "CIG121")],
    ),
    case(
        "reference-null-value",
        {CI: ".s:\n  image:\nbuild:\n  script: [x]\n  image: !reference [.s, image]\n"},
        [(CI, 5, 10, "CIG121")],
    ),
    case(
        "reference-in-script-item-missing",
        {CI: ".s:\n  script: [x]\nbuild:\n  script:\n    - !reference [.s, before_script]\n"},
        [(CI, 5, 7, "CIG121")],
    ),
    case(
        "reference-circular",
        {
            CI: ".a:\n  script: !reference [.b, script]\n.b:\n  script: !reference [.a, script]\n"
            "build:\n  script: !reference [.a, script]\n"
        },
        [(CI, 2, 11, "CIG121")],
    ),
    # lib/gitlab/ci/config/yaml/tags/base.rb (Base#resolve: "... is not valid"): !reference on
    # a scalar or a mapping is refused, at the tag.
    case(
        "reference-on-scalar",
        {CI: ".a:\n  script: [x]\nbuild:\n  script: !reference .a\n"},
        [(CI, 4, 11, "CIG121")],
    ),
    case(
        "reference-on-mapping",
        {CI: "build:\n  script: [x]\n  variables: !reference {a: b}\n"},
        [(CI, 3, 14, "CIG121")],
    ),
    # --- default-conflict CIG131 (2.8) --------------------------------------------------------
    case(
        "default-conflict",
        {CI: "image: alpine\ndefault:\n  image: debian\n" + BUILD},
        [(CI, 3, 3, "CIG131")],
    ),
    # --- unknown-stage CIG201 (3.1 #13, 3.2) ---------------------------------------------------
    case(
        "stage-explicit-unknown",
        {CI: "stages: [build, deploy]\nbuild:\n  stage: biuld\n  script: [make]\n"},
        [(CI, 3, 10, "CIG201")],
    ),
    case(
        "stage-implicit-test-missing",
        {CI: "stages: [build, deploy]\nbuild:\n  script: [make]\n"},
        [(CI, 2, 1, "CIG201")],
    ),
    case(
        "stage-pre-and-post-always-exist",
        {
            CI: "stages: [build]\np:\n  stage: .pre\n  script: [x]\nq:\n"
            "  stage: .post\n  script: [x]\n"
            "b:\n  stage: build\n  script: [x]\n"
        },
        [],
    ),
    # --- needs-unknown-job CIG202, needs-later-stage CIG203 (3.1 #11) -------------------------
    case(
        "needs-unknown",
        {CI: BUILD + "test:\n  needs: [biuld]\n  script: [t]\n"},
        [(CI, 4, 11, "CIG202")],
    ),
    case(
        "needs-unknown-job-mapping",
        {CI: BUILD + "test:\n  needs:\n    - job: biuld\n  script: [t]\n"},
        [(CI, 5, 12, "CIG202")],
    ),
    case(
        "needs-optional-and-parallel-names",
        {
            CI: "build:\n  script: [make]\n  parallel: 2\n"
            "matrix:\n  script: [x]\n  parallel:\n    matrix:\n      - OS: [linux, mac]\n"
            "test:\n  needs:\n    - job: nope\n      optional: true\n    - build 1/2\n"
            '    - job: "build 2/2"\n    - "matrix: [linux]"\n  script: [t]\n'
        },
        [],
    ),
    # GitLab's cross-job check (yaml_processor.rb, normalizer): instances must exist
    case(
        "needs-parallel-instance-that-does-not-exist",
        {
            CI: "build:\n  stage: build\n  script: [make]\n  parallel:\n    matrix:\n"
            "      - OS: [linux, mac]\n"
            "test:\n  needs:\n    - job: build\n      parallel:\n        matrix:\n"
            "          - OS: [windows]\n    - build 1/2\n  script: [t]\n"
        },
        [(CI, 9, 12, "CIG202"), (CI, 13, 7, "CIG202")],  # matrix instances are named "build: [..]"
    ),
    case(
        "dependencies-parallel-instance-that-does-not-exist",
        {
            CI: "build:\n  stage: build\n  script: [make]\n  parallel: 2\n"
            "test:\n  dependencies: [build 3/3]\n  script: [t]\n"
        },
        [(CI, 6, 18, "CIG204")],
    ),
    # while the entry tree has errors GitLab checks nothing across jobs; cigen runs the same
    # checks over the jobs that validated: a job with errors of its own still exists ...
    case(
        "needs-on-a-job-with-errors-of-its-own",
        {CI: "build:\n  script: [make]\n  tgas: [a]\ntest:\n  needs: [build]\n  script: [t]\n"},
        [(CI, 3, 3, "CIG002")],
    ),
    # ... and the other jobs' stages and needs are what GitLab reports once that is fixed
    case(
        "stage-and-needs-next-to-an-entry-error",
        {
            CI: "build:\n  script: [make]\n  tgas: [a]\ntest:\n  stage: tset\n"
            "  needs: [biuld, build]\n  script: [t]\n"
        },
        [(CI, 3, 3, "CIG002"), (CI, 5, 10, "CIG201"), (CI, 6, 11, "CIG202")],
    ),
    # a key that is no job stops GitLab's jobs entry (CIG207); the others are still read ...
    case(
        "jobs-read-despite-a-key-that-is-no-job",
        {
            CI: "template:\n  image: alpine\nb:\n  needs: [template, nope]\n"
            "  script: [echo $CI_COMMIT_TITLE]\n"
        },
        [(CI, 1, 1, "CIG207"), (CI, 4, 21, "CIG202"), (CI, 5, 17, "CIG510")],
    ),
    case(
        "needs-later-stage",
        {
            CI: "stages: [build, test]\nunit:\n  stage: build\n  needs: [compile]\n  script: [t]\n"
            "compile:\n  stage: test\n  script: [make]\n"
        },
        [(CI, 4, 11, "CIG203")],
    ),
    case(
        "needs-same-stage-allowed",
        {
            CI: "stages: [build, test]\nunit:\n  stage: build\n  needs: [compile]\n  script: [t]\n"
            "compile:\n  stage: build\n  script: [make]\n"
        },
        [],
    ),
    # --- dependencies-unknown-job CIG204 (3.1 #12) --------------------------------------------
    case(
        "dependencies-missing",
        {
            CI: "build:\n  stage: build\n  script: [make]\ntest:\n"
            "  dependencies: [biuld]\n  script: [t]\n"
        },
        [(CI, 5, 18, "CIG204")],
    ),
    case(
        "dependencies-later-stage",
        {
            CI: "build:\n  stage: deploy\n  script: [make]\ntest:\n"
            "  dependencies: [build]\n  script: [t]\n"
        },
        [(CI, 5, 18, "CIG204")],
    ),
    case(
        "dependencies-not-in-needs",
        {
            CI: "build:\n  stage: build\n  script: [make]\nlint:\n  stage: build\n  script: [l]\n"
            "test:\n  needs: [lint]\n  dependencies: [build]\n  script: [t]\n"
        },
        [(CI, 9, 18, "CIG204")],
    ),
    case(
        "dependencies-same-stage-allowed",
        {CI: BUILD + "test:\n  dependencies: [build]\n  script: [t]\n"},
        [],
    ),
    # --- only-with-rules CIG206 (3.1 #5; a null only is ignored) ------------------------------
    case(
        "only-with-rules",
        {CI: BUILD + '  only: [main]\n  rules:\n    - if: $CI_COMMIT_BRANCH == "main"\n'},
        [(CI, 3, 3, "CIG206")],
    ),
    case(
        "except-with-rules",
        {CI: BUILD + "  except: [main]\n  rules:\n    - when: always\n"},
        [(CI, 3, 3, "CIG206")],
    ),
    case(
        "null-only-with-rules-is-fine",
        {CI: BUILD + "  only:\n  rules:\n    - when: always\n"},
        [],
    ),
    # --- security rules CIG501-CIG504 (issue 7; the seed's setup) -------------------------------
    case(
        "secret-literal-token",
        {CI: BUILD + "  variables:\n    JUPYTER_TOKEN: some-interactive-secure-token\n"},
        [(CI, 4, 20, "CIG501")],
    ),
    case(
        "privileged-docker-dind-service",
        {CI: BUILD + "  services: [docker:27-dind]\n"},
        [(CI, 3, 14, "CIG502")],
    ),
    case(
        "kaniko-large-base-image",
        {
            CI: "build:\n  image: gcr.io/kaniko-project/executor:debug\n  script:\n"
            "    - /kaniko/executor --context $CI_PROJECT_DIR --no-push\n",
            "Dockerfile": "FROM pytorch/pytorch:2.6.0-cuda12.4-cudnn9-runtime\n",
        },
        [(CI, 4, 7, "CIG503"), (CI, 2, 10, "CIG505")],
    ),
    case(
        "kaniko-cache-repo-varies",
        {
            CI: "build:\n  image: gcr.io/kaniko-project/executor:debug\n  script:\n"
            "    - /kaniko/executor --no-push --cache=true --cache-repo=h/$CI_PROJECT_PATH\n"
        },
        [(CI, 4, 7, "CIG504"), (CI, 2, 10, "CIG505")],
    ),
    # --- kaniko-archived-image CIG505 (issue 13: Google archived Kaniko in June 2025) ---------
    case(
        "kaniko-archived-image-string",
        {CI: "build:\n  image: gcr.io/kaniko-project/executor:v1.23.2-debug\n  script: [x]\n"},
        [(CI, 2, 10, "CIG505")],
    ),
    case(
        "kaniko-archived-image-name",
        {CI: "build:\n  image:\n    name: GCR.io/kaniko-project/executor:debug\n  script: [x]\n"},
        [(CI, 3, 11, "CIG505")],
    ),
    case(
        "kaniko-archived-image-top-level-behind-a-mirror",
        {
            CI: "image: mirror.example.com/gcr.io/kaniko-project/executor@sha256:abc\n"
            "build:\n  script: [x]\n"
        },
        [(CI, 1, 8, "CIG505")],
    ),
    case(
        "kaniko-archived-image-default",
        {CI: "default:\n  image: gcr.io/kaniko-project/warmer:latest\nbuild:\n  script: [x]\n"},
        [(CI, 2, 10, "CIG505")],
    ),
    case(
        "kaniko-archived-image-once-through-extends",
        {
            CI: ".kaniko:\n  image: gcr.io/kaniko-project/executor:debug\n"
            "build:\n  extends: .kaniko\n  script: [x]\n"
        },
        [(CI, 2, 10, "CIG505")],
    ),
    case(
        "kaniko-maintained-image-and-variable-are-fine",
        {
            CI: "variables:\n  image: gcr.io/kaniko-project/executor:debug\n"
            "build:\n  image: ghcr.io/osscontainertools/kaniko:v1.28.3-debug\n  script: [x]\n"
        },
        [],
    ),
    # --- job-keyword-conflict CIG209 (3.1 #4, #6, #7, #9; 2.9 hidden keys) -------------------
    case("job-when-never", {CI: BUILD + "  when: never\n"}, [(CI, 3, 9, "CIG209")]),
    case(
        "job-rules-empty",
        {CI: BUILD + "  rules: []\n"},
        [(CI, 3, 10, "CIG002")],
    ),
    case(
        "job-script-and-trigger",
        {CI: BUILD + "  trigger: {include: c.yml}\n", "c.yml": "c:\n  script: [x]\n"},
        [(CI, 3, 3, "CIG209"), (CI, 3, 3, "CIG002")],  # job.rb: unknown key, and processable.rb
    ),
    case(  # the schema's oneOf already says it; no second finding
        "job-delayed-without-start-in",
        {CI: BUILD + "  when: delayed\n"},
        [(CI, 3, 9, "CIG002")],
    ),
    case("hidden-key-blank", {CI: ".tmpl:\n" + BUILD}, [(CI, 1, 1, "CIG209")]),
    # --- needs-cycle CIG210 (3.1 #11) -----------------------------------------------------------
    case("needs-self", {CI: BUILD + "  needs: [build]\n"}, [(CI, 3, 11, "CIG210")]),
    case(
        "needs-cycle-two-jobs",
        {CI: "a:\n  script: [x]\n  needs: [b]\nb:\n  script: [x]\n  needs: [a]\n"},
        [(CI, 6, 11, "CIG210")],
    ),
    case(
        "needs-duplicated",
        {CI: "a:\n  script: [x]\nb:\n  script: [x]\n  needs: [a, a]\n"},
        [(CI, 5, 14, "CIG210")],
    ),
    # --- job-without-script CIG207, no-visible-job CIG208 (2.9, 3.1 #23) ----------------------
    case(
        "job-without-script",
        {CI: "template:\n  image: alpine\nbuild:\n  extends: template\n  script: [make]\n"},
        [(CI, 1, 1, "CIG207")],
    ),
    # 2.9: a script-less mapping with needs is a bridge job, and a bridge needs a trigger or a
    # needs:pipeline ("should contain either a trigger or a needs:pipeline").
    case(
        "job-with-only-job-needs",
        {CI: BUILD + "deploy:\n  needs: [build]\n  stage: deploy\n"},
        [(CI, 3, 1, "CIG207")],
    ),
    case(
        "no-visible-job-only-hidden",
        {CI: ".build:\n  script: [make]\n"},
        [(CI, 1, 1, "CIG208")],
    ),
    case(
        "no-visible-job-only-globals",
        {CI: "variables:\n  A: b\n"},
        [(CI, 1, 1, "CIG208")],
    ),
    # --- no-runner CIG301, runner-protected-only CIG302, tags-unresolved-variable CIG303 ------
    # 1.1: a runner takes a job when it is active, carries every tag of the job (or runs
    # untagged jobs for an untagged job) and, when protected, only on protected refs;
    # 1.6: default: tags apply when the job has none, variables and matrix values expand.
    case(
        "no-runner-missing-tag",
        {CI: "train:\n  tags: [cuda]\n  script: [x]\n"},
        [(CI, 2, 9, "CIG301")],
        runners="fleet",
    ),
    case(
        "no-runner-only-paused",
        {CI: "train:\n  tags: [gpu]\n  script: [x]\n"},
        [(CI, 2, 9, "CIG301")],
        runners="fleet",
    ),
    case(
        "no-runner-untagged-job",
        {CI: "train:\n  script: [x]\n"},
        [(CI, 1, 1, "CIG301")],
        runners="fleet",
    ),
    case(
        "runner-found-with-extra-runner-tags",
        {CI: "build:\n  tags: [docker]\n  script: [x]\n"},
        [],
        runners="fleet",
    ),
    case(
        "no-runner-for-one-matrix-entry",
        {
            CI: "train:\n  tags: [$T]\n  script: [x]\n  parallel:\n    matrix:\n"
            "      - T: [docker, cuda]\n"
        },
        [(CI, 2, 9, "CIG301")],
        runners="fleet",
    ),
    case(
        "runner-protected-only",
        {CI: "deploy:\n  tags: [deploy]\n  script: [x]\n"},
        [(CI, 2, 9, "CIG302")],
        runners="fleet",
    ),
    case(
        "tags-unresolved-variable",
        {CI: "build:\n  tags: [$RUNNER_TAG]\n  script: [x]\n"},
        [(CI, 2, 10, "CIG303")],
        runners="fleet",
    ),
    case(
        "tags-variable-resolved-by-variables",
        {CI: "variables:\n  RUNNER_TAG: docker\nbuild:\n  tags: [$RUNNER_TAG]\n  script: [x]\n"},
        [],
        runners="fleet",
    ),
    # --- kubernetes-overwrite-not-allowed CIG304 (gitlab-runner executors/kubernetes/
    # overwrites.go): a KUBERNETES_* variable above the runner's *_overwrite_max_allowed -------
    case(
        "kubernetes-overwrite-above-the-cap",
        {CI: "train:\n  tags: [gpu]\n  variables: {KUBERNETES_CPU_LIMIT: '64'}\n  script: [x]\n"},
        [(CI, 3, 37, "CIG304")],
        runners="k8s",
    ),
    case(
        "kubernetes-overwrite-within-the-cap",
        {CI: "train:\n  tags: [gpu]\n  variables: {KUBERNETES_CPU_LIMIT: '32'}\n  script: [x]\n"},
        [],
        runners="k8s",
    ),
    case(
        "runner-rules-need-an-inventory",
        {CI: "build:\n  tags: [$RUNNER_TAG, cuda]\n  script: [x]\n"},
        [],
    ),
    # --- invalid-expression CIG401 (5: GitLab's lexer and grammar) ----------------------------
    case(
        "expression-bareword",
        {CI: BUILD + "  rules:\n    - if: $CI_COMMIT_BRANCH == main\n"},
        [(CI, 4, 11, "CIG401")],
    ),
    case(
        "expression-in-workflow-rules",
        {CI: 'workflow:\n  rules:\n    - if: $A == "x" &&\n' + BUILD},
        [(CI, 3, 11, "CIG401")],
    ),
    case(
        "expression-in-include-rules",
        {
            CI: 'include:\n  - local: a.yml\n    rules:\n      - if: $A = "x"\n' + BUILD,
            "a.yml": ".a:\n  script: [x]\n",
        },
        [(CI, 4, 13, "CIG401")],
    ),
    case(
        "expression-in-only-variables",
        {CI: BUILD + "  only:\n    variables:\n      - $A == 1\n"},
        [(CI, 5, 9, "CIG401")],
    ),
    # GitLab documents the string form `include: 'configs/*.yml'` (2.3); the editor schema's
    # pattern for string includes (\w\.ya?ml$) rejects it, but GitLab itself accepts it.
    case(
        "include-string-wildcard",
        {CI: "include: ci/*.yml\n" + BUILD, "ci/a.yml": "a:\n  script: [x]\n"},
        [],
    ),
    # --- trigger-artifact CIG211: dynamic child pipelines (8.1) --------------------------------
    # generator: lines 1-3 (+ artifacts); trigger job `child` after it; the artifact: value is
    # at column 19 and the job: value at column 14 of their lines
    case(
        "trigger-artifact-not-kept",
        {CI: GEN + TRIGGER},
        [(CI, 9, 19, "CIG211")],
    ),
    case(
        "trigger-artifact-kept",
        {CI: GEN + "  artifacts:\n    paths: [child.yml]\n" + TRIGGER},
        [],
    ),
    case(
        "trigger-artifact-star-stays-in-its-folder",
        {
            CI: GEN
            + "  artifacts:\n    paths: ['*.yml']\n"
            + TRIGGER.replace("child.yml", "gen/c.yml")
        },
        [(CI, 11, 19, "CIG211")],
    ),
    case(
        "trigger-artifact-glob-keeps-it",
        {
            CI: GEN
            + "  artifacts:\n    paths: ['gen/*.y?l']\n"
            + TRIGGER.replace("child.yml", "gen/c.yml")
        },
        [],
    ),
    case(
        "trigger-artifact-project-dir-prefix",
        {
            CI: GEN
            + "  artifacts:\n    paths: [$CI_PROJECT_DIR/gen/, './b.yml']\n"
            + TRIGGER.replace("child.yml", "./gen//c.yml")
            + TRIGGER.replace("child:", "other:").replace("child.yml", "b.yml")
        },
        [],
    ),
    case(
        "trigger-artifact-doublestar-and-folder-keep-it",
        {
            CI: GEN
            + "  artifacts:\n    paths: ['out/**/*.yml']\n"
            + TRIGGER.replace("child.yml", "out/a/c.yml")
            + TRIGGER.replace("child:", "other:").replace("child.yml", "out/b/c.yml")
        },
        [],
    ),
    case(
        "trigger-artifact-folder-keeps-files-below",
        {
            CI: GEN
            + "  artifacts:\n    paths: [gen/]\n"
            + TRIGGER.replace("child.yml", "gen/x/c.yml")
        },
        [],
    ),
    case(
        "trigger-artifact-other-paths",
        {
            CI: GEN
            + "  artifacts:\n    paths: [dist/, gen/*.json]\n"
            + TRIGGER.replace("child.yml", "gen/c.yml")
        },
        [(CI, 11, 19, "CIG211")],
    ),
    case(
        "trigger-artifact-excluded",
        {
            CI: GEN
            + "  artifacts:\n    paths: [gen/]\n    exclude: [gen/**/*.yml]\n"
            + TRIGGER.replace("child.yml", "gen/c.yml")
        },
        [(CI, 12, 19, "CIG211")],
    ),
    case(
        "trigger-artifact-only-on-failure",
        {CI: GEN + "  artifacts:\n    when: on_failure\n    paths: [child.yml]\n" + TRIGGER},
        [(CI, 12, 19, "CIG211")],
    ),
    case(
        "trigger-artifact-untracked-and-extends",
        {
            CI: GEN
            + "  artifacts:\n    untracked: true\n"
            + TRIGGER
            + "second:\n  extends: .second\n"
            + ".second:\n  needs: [generate]\n  trigger:\n    include:\n"
            + "      - {artifact: ./a.yml, job: generate}\n"
        },
        [],
    ),
    case(
        "trigger-artifact-unknown-job",
        {CI: GEN + TRIGGER.replace("job: generate", "job: generat")},
        [(CI, 10, 14, "CIG211")],
    ),
    case(
        "trigger-artifact-hidden-job",
        {
            CI: ".generate:\n  script: [x]\n  artifacts: {paths: [child.yml]}\n"
            + TRIGGER.replace("needs: [generate]", "needs: []").replace(
                "job: generate", "job: .generate"
            )
        },
        [(CI, 10, 14, "CIG211")],
    ),
    case(
        "trigger-artifact-later-stage",
        {
            CI: GEN.replace("stage: build", "stage: deploy")
            + "  artifacts:\n    paths: [child.yml]\n"
            + TRIGGER.replace("  needs: [generate]\n", "")
        },
        [(CI, 11, 14, "CIG211")],
    ),
    case(
        "trigger-artifact-same-stage-without-needs",
        {
            CI: GEN.replace("stage: build", "stage: test")
            + "  artifacts:\n    paths: [child.yml]\n"
            + TRIGGER.replace("  needs: [generate]\n", "")
        },
        [(CI, 11, 14, "CIG211")],
    ),
    case(
        "trigger-artifact-same-stage-with-needs",
        {
            CI: GEN.replace("stage: build", "stage: test")
            + "  artifacts:\n    paths: [child.yml]\n"
            + TRIGGER
        },
        [],
    ),
    case(
        "trigger-artifact-needs-without-the-generator",
        {
            CI: BUILD
            + GEN
            + "  artifacts:\n    paths: [child.yml]\n"
            + TRIGGER.replace("needs: [generate]", "needs: [build]")
        },
        [(CI, 14, 14, "CIG211")],
    ),
    case(
        "trigger-artifact-unknown-job-after-unfollowed-include",
        {
            CI: "include:\n  - template: T.gitlab-ci.yml\n"
            + GEN
            + TRIGGER.replace("job: generate", "job: gen")
        },
        [(CI, 2, 15, "CIG104"), (CI, 12, 14, "CIG211")],
    ),
    # the job model takes default: (cigen.config.jobs): artifacts inherited keep the file ...
    case(
        "trigger-artifact-kept-by-default-artifacts",
        {CI: "default:\n  artifacts:\n    paths: [child.yml]\n" + GEN + TRIGGER},
        [],
    ),
    # ... unless inherit:default says no (inherit/default.rb)
    case(
        "trigger-artifact-default-not-inherited",
        {
            CI: "default:\n  artifacts:\n    paths: [child.yml]\n"
            + GEN
            + "  inherit:\n    default: [image]\n"
            + TRIGGER
        },
        [(CI, 14, 19, "CIG211")],
    ),
    case(
        "trigger-artifact-variable-in-path",
        {CI: GEN + "  artifacts:\n    paths: [$OUT/]\n" + TRIGGER},
        [],
    ),
    # --- script-injection CIG510: user-written text unquoted or in eval (cigen's own) ---------
    case(
        "injection-unquoted-plain",
        {CI: "notify:\n  script:\n    - ./notify.sh $CI_MERGE_REQUEST_TITLE\n"},
        [(CI, 3, 19, "CIG510")],
    ),
    case(
        "injection-eval-even-quoted",
        {CI: 'notify:\n  script:\n    - eval "echo $CI_COMMIT_MESSAGE"\n'},
        [(CI, 3, 18, "CIG510")],
    ),
    case(
        "injection-quoted-escaped-slug-other",
        {
            CI: "notify:\n  script:\n"
            "    - echo \"$CI_COMMIT_TITLE\" '$CI_COMMIT_BRANCH' \\$CI_COMMIT_REF_NAME\n"
            "    - echo $CI_COMMIT_REF_SLUG $CI_COMMIT_SHA ${CI_PROJECT_DIR}\n"
        },
        [],
    ),
    case(
        "injection-double-quoted-yaml-braced",
        {CI: 'notify:\n  script:\n    - "git push origin ${CI_COMMIT_BRANCH}"\n'},
        [(CI, 3, 24, "CIG510")],
    ),
    case(
        "injection-literal-block-sh-c-and-command-substitution",
        {
            CI: "notify:\n  script:\n    - |\n      if true; then\n"
            '        sh -c "deploy $CI_COMMIT_REF_NAME"\n      fi\n'
            '    - echo "$(git log $CI_COMMIT_BRANCH)"\n'
        },
        [(CI, 5, 23, "CIG510"), (CI, 7, 23, "CIG510")],
    ),
    case(
        "injection-in-default-once-in-its-file",
        {
            CI: "include: ci/base.yml\na:\n  script: [make]\nb:\n  script: [make]\n",
            "ci/base.yml": "default:\n  before_script:\n    - echo $CI_COMMIT_TITLE\n",
        },
        [("ci/base.yml", 3, 12, "CIG510")],
    ),
    # commands may be one string (root.rb ``Commands``): it runs like a one-line list
    case(
        "injection-script-as-one-string",
        {CI: "notify:\n  script: ./notify.sh $CI_COMMIT_TITLE\n"},
        [(CI, 2, 23, "CIG510")],
    ),
    # nested lists (from anchors) are flattened, each line at its place
    case(
        "injection-nested-script-lists",
        {CI: "notify:\n  script:\n    - [make, [echo $CI_COMMIT_TITLE]]\n"},
        [(CI, 3, 20, "CIG510")],
    ),
    # inherit:default false: the job runs no default: before_script
    case(
        "injection-in-default-not-inherited",
        {
            CI: "default:\n  before_script:\n    - echo $CI_COMMIT_TITLE\n"
            "a:\n  inherit:\n    default: false\n  script: [make]\n"
        },
        [],
    ),
    case(
        "injection-suppressed",
        {
            CI: "notify:\n  script:\n"
            "    - echo $CI_COMMIT_TITLE  # cigen: ignore[script-injection]\n"
        },
        [],
    ),
]

SPEC = (
    "spec:\n  inputs:\n    stage:\n    count:\n      type: number\n      default: 1\n"
    "    env:\n      options: [dev, prod]\n      default: dev\n---\n"
    "job:\n  stage: $[[ inputs.stage ]]\n  script:\n"
    "    - echo $[[ inputs.count ]] $[[ inputs.env ]]\n"
)


def _chain(hops: int) -> str:
    """``build`` extends ``.l1``, which extends ``.l2``, ... ``hops`` extends in all."""
    text = "build:\n  extends: .l1\n  script: [make]\n"
    for level in range(1, hops):
        text += f".l{level}:\n  extends: .l{level + 1}\n"
    return text + f".l{hops}:\n  image: alpine\n"


TEMPLATES = {
    "SPEC": SPEC,
    "SPEC_NOPE": SPEC.replace("inputs.env", "inputs.nope"),
    "CHAIN11": _chain(11),
    "CHAIN12": _chain(12),
}


def _expand(files: dict[str, Any]) -> dict[str, Any]:
    return {
        path: TEMPLATES.get(text, text) if isinstance(text, str) else text
        for path, text in files.items()
    }


def _found(result: Any) -> set[tuple[str, int, int, str]]:
    return {(d.path, d.line, d.col, d.code) for d in result.diagnostics}


def _show(result: Any) -> str:
    return "\n".join(
        f"  {d.path}:{d.line}:{d.col} {d.code} [{d.severity.label}] {d.message}"
        for d in result.diagnostics
    )


RUNNERS = {
    "fleet": (
        make_runner("builder", ["docker", "linux"]),
        make_runner("deployer", ["deploy"], protected=True),
        make_runner("old", ["gpu"], paused=True),
    ),
    "k8s": (
        runner_from_data(
            {
                "name": "ml-runner",
                "tags": ["gpu"],
                "kubernetes": {
                    "runner_namespace": "ml-runner",
                    "job_namespace": "ml-ci",
                    "cpu_limit_overwrite_max_allowed": "32",
                },
            }
        ),
    ),
}


@pytest.mark.parametrize(("files", "expected", "runners"), CASES)
def test_rule_case(tmp_path: Path, files: dict[str, Any], expected: Expected, runners: str) -> None:
    options = {"runners": RUNNERS[runners]} if runners else {}
    result = lint_tree(tmp_path, _expand(files), **options)
    assert _found(result) == set(expected), "all findings:\n" + _show(result)


def test_every_rule_has_a_case() -> None:
    """Each registered rule (except internal-error and opt-in rules, which have their own
    positional tests) is expected somewhere in CASES."""
    covered = {code for param in CASES for (_p, _l, _c, code) in param.values[1]}
    opt_in = {code for code, rule in RULES.items() if not getattr(rule, "DEFAULT_ENABLED", True)}
    missing = set(RULES) - covered - {"CIG000"} - opt_in  # opt-in: test_shellcheck.py
    assert not missing, f"rules without a positional case: {sorted(missing)}"


# --- severities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "code", "severity"),
    [
        pytest.param(
            {CI: "include:\n  - local: ci/*.yml\n" + BUILD},
            "CIG101",
            Severity.WARNING,
            id="glob-nothing-warning",
        ),
        pytest.param(
            {CI: "include:\n  - local: /ci/*.yml\n" + BUILD},
            "CIG101",
            Severity.WARNING,
            id="glob-slash-warning",
        ),
        pytest.param(
            {CI: "include: ci/missing.yml\n" + BUILD},
            "CIG101",
            Severity.ERROR,
            id="missing-file-error",
        ),
        pytest.param(
            {CI: "include:\n  - template: T.gitlab-ci.yml\n" + BUILD},
            "CIG104",
            Severity.INFO,
            id="not-followed-info",
        ),
        pytest.param(
            {
                CI: "include:\n  - template: T.gitlab-ci.yml\n"
                + BUILD
                + "test:\n  extends: .x\n  script: [t]\n"
            },
            "CIG111",
            Severity.INFO,
            id="unknown-parent-after-unfollowed-info",
        ),
        pytest.param(
            {CI: BUILD + "test:\n  extends: .x\n  script: [t]\n"},
            "CIG111",
            Severity.ERROR,
            id="unknown-parent-error",
        ),
        pytest.param(
            {CI: "build:\n  script: [x]\nbuild:\n  script: [y]\n"},
            "CIG003",
            Severity.WARNING,
            id="duplicate-warning",
        ),
        pytest.param(
            {CI: BUILD + "  rules:\n    - if: !($A)\n"},
            "CIG004",
            Severity.WARNING,
            id="tag-warning",
        ),
    ],
)
def test_severity(tmp_path: Path, files: dict[str, str], code: str, severity: Severity) -> None:
    result = lint_tree(tmp_path, files)
    levels = {d.severity for d in result.diagnostics if d.code == code}
    assert levels == {severity}, _show(result)


def test_include_symlink_pointing_outside_root(tmp_path: Path) -> None:
    """2.3: a symlink inside the project to a file outside it is outside the repository."""
    outside = tmp_path / "outside.yml"
    outside.write_text("leak:\n  script: [x]\n", encoding="utf-8")
    root = tmp_path / "project"
    root.mkdir()
    (root / "link.yml").symlink_to(outside)
    result = lint_tree(root, {CI: "include: link.yml\n" + BUILD})
    assert _found(result) == {(CI, 1, 10, "CIG102")}, _show(result)
    assert "leak" not in result.pipeline.jobs


def test_missing_required_input_is_reported(tmp_path: Path) -> None:
    """2.4: the input error itself (the exact set is pinned by the xfail case above)."""
    result = lint_tree(
        tmp_path,
        {CI: "include:\n  - local: ci/job.yml\n    inputs: {count: 2}\n", "ci/job.yml": SPEC},
    )
    messages = [d.message for d in result.diagnostics if (d.path, d.line, d.col) == (CI, 2, 12)]
    assert any("`stage` input: required value has not been provided" in m for m in messages)


# --- loader and assembly behaviours --------------------------------------------------------


def _job(tmp_path: Path, files: dict[str, str], name: str) -> dict[str, Any]:
    result = lint_tree(tmp_path, files)
    assert name in result.pipeline.jobs, _show(result)
    config: dict[str, Any] = to_plain(result.pipeline.jobs[name].config)
    return config


# 2.2: Psych applies `<<` at its position: keys before it are overwritten, keys after it win.
def test_merge_key_overrides_keys_written_before_it(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {
            CI: ".tmpl: &tmpl\n  script: [theirs]\n  stage: build\n"
            "job:\n  script: [mine]\n  <<: *tmpl\n  stage: deploy\n"
        },
        "job",
    )
    assert job["script"] == ["theirs"]
    assert job["stage"] == "deploy"


def test_merge_key_list_earlier_alias_wins(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {CI: ".a: &a\n  script: [a]\n.b: &b\n  script: [b]\n  image: b\njob:\n  <<: [*a, *b]\n"},
        "job",
    )
    assert job == {"script": ["a"], "image": "b"}


# 2.2: YAML 1.1 booleans in any letter case, octal integers and sexagesimal numbers.
def test_yaml_11_scalars(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {
            CI: "job:\n  script: [x]\n  allow_failure: on\n  interruptible: yes\n"
            "  variables:\n    A: tRuE\n    B: 'yes'\n    M: 0755\n    T: 1:30\n"
        },
        "job",
    )
    assert job["allow_failure"] is True
    assert job["interruptible"] is True
    assert job["variables"] == {"A": True, "B": "yes", "M": 493, "T": 90}


def test_yaml_11_boolean_key_becomes_true(tmp_path: Path) -> None:
    result = lint_tree(tmp_path, {CI: "on:\n  script: [x]\n"})
    assert list(result.pipeline.jobs) == ["true"]


# 2.7: !reference is resolved after includes, so it reaches keys of other files; a list item
# reference is flattened into script.
def test_reference_across_files(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {
            CI: "include: ci/t.yml\njob:\n  script:\n"
            "    - !reference [.setup, script]\n    - make\n",
            "ci/t.yml": ".setup:\n  script: [echo setup]\n",
        },
        "job",
    )
    assert job["script"] == ["echo setup", "make"]


# 2.6: extends deep-merges mappings and replaces arrays; the child wins.
def test_extends_replaces_arrays_and_merges_mappings(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {
            CI: '.base:\n  script: [a, b]\n  variables: {A: "1", B: "2"}\n  tags: [x, y]\n'
            'job:\n  extends: .base\n  script: [c]\n  variables: {B: "3"}\n'
        },
        "job",
    )
    assert job["script"] == ["c"]
    assert job["variables"] == {"A": "1", "B": "3"}
    assert job["tags"] == ["x", "y"]


# 2.6: extends uses the merged (post-include) parent; the including file wins.
def test_extends_uses_parent_after_includes(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {
            CI: "include: t.yml\n.base:\n  image: mine\njob:\n  extends: .base\n  script: [x]\n",
            "t.yml": ".base:\n  image: theirs\n  tags: [t]\n",
        },
        "job",
    )
    assert job["image"] == "mine"
    assert job["tags"] == ["t"]


# 2.8: default: is copied only when the job lacks the key; inherit:default limits it.
def test_default_applies_only_when_job_lacks_key(tmp_path: Path) -> None:
    files = {
        CI: "default:\n  image: alpine\n  tags: [docker]\n"
        "a:\n  script: [x]\n"
        "b:\n  script: [x]\n  image: debian\n"
        "c:\n  script: [x]\n  inherit:\n    default: false\n"
        "d:\n  script: [x]\n  inherit:\n    default: [tags]\n"
        "e:\n  script: [x]\n  tags: []\n"
    }
    result = lint_tree(tmp_path, files)
    jobs = {name: to_plain(job.config) for name, job in result.pipeline.jobs.items()}
    assert (jobs["a"]["image"], jobs["a"]["tags"]) == ("alpine", ["docker"])
    assert (jobs["b"]["image"], jobs["b"]["tags"]) == ("debian", ["docker"])
    assert "image" not in jobs["c"] and "tags" not in jobs["c"]
    assert "image" not in jobs["d"] and jobs["d"]["tags"] == ["docker"]
    assert jobs["e"]["tags"] == [] and jobs["e"]["image"] == "alpine"
    assert result.diagnostics == ()


# 2.6 + 2.8: a key set to null in the child is unspecified, so default: applies again.
def test_null_in_child_reenables_default(tmp_path: Path) -> None:
    job = _job(
        tmp_path,
        {
            CI: "default:\n  image: alpine\n.base:\n  image: ruby\n"
            "job:\n  extends: .base\n  image: null\n  script: [x]\n"
        },
        "job",
    )
    assert job["image"] == "alpine"


# 2.3: `dir/*.yml` matches that folder only, `dir/**.yml` recurses.
@pytest.mark.parametrize(("pattern", "jobs"), [("ci/*.yml", ["a"]), ("ci/**.yml", ["a", "b"])])
def test_include_wildcards(tmp_path: Path, pattern: str, jobs: list[str]) -> None:
    result = lint_tree(
        tmp_path,
        {
            CI: f"include:\n  - local: '{pattern}'\n" + BUILD,
            "ci/a.yml": "a:\n  script: [x]\n",
            "ci/sub/b.yml": "b:\n  script: [x]\n",
        },
    )
    assert sorted(result.pipeline.jobs) == sorted([*jobs, "build"])
    assert result.diagnostics == ()


def test_script_injection_reads_variables_as_the_shell_pattern_says() -> None:
    """CIG510's scan finds ``$NAME`` and ``${NAME...}`` where the pattern
    ``\\$(?:\\{([A-Za-z_]\\w*)[^}]*\\}|([A-Za-z_]\\w*))`` (ASCII) would, on random lines."""
    import random
    import re

    from cigen.rules import cig510_script_injection as rule

    pattern = re.compile(
        r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)[^}]*\}|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
    )
    pieces = ["$", "{", "}", "A", "_", "9", "x", ":-", " ", "'", '"', "\\", "$(", ")", "é", "\n"]
    generator = random.Random(510)
    for _ in range(5000):
        line = "".join(generator.choice(pieces) for _ in range(generator.randint(1, 14)))
        for index, char in enumerate(line):
            if char != "$":
                continue
            found = pattern.match(line, index)
            expected = None if found is None else (found.end(), found["braced"] or found["plain"])
            assert rule._variable_at(line, index) == expected, (line, index)
