"""Indexed job/runner matching, tag expansion and explanations."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cigen.runners.inventory import Runner, can_take, make_runner
from cigen.runners.match import (
    JobMatch,
    JobTags,
    NearMiss,
    Outcome,
    expand_tag,
    explain,
    index_runners,
    match,
    unresolved_variables,
)


def names(runners: Sequence[Runner]) -> list[str]:
    return [runner.name for runner in runners]


def one(
    tags: Sequence[str], runners: Sequence[Runner], protected_ref: bool | None = None
) -> JobMatch:
    (found,) = match([JobTags("job", tuple(tags), protected_ref=protected_ref)], runners)
    return found


# --- expansion -----------------------------------------------------------------------------

VARIABLES = {"ARCH": "arm64", "TEAM": "ml", "EMPTY": "", "INDIRECT": "$ARCH", "A": "x"}


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("docker", "docker"),
        ("$ARCH", "arm64"),
        ("${ARCH}", "arm64"),
        ("%ARCH%", "arm64"),
        ("k8s-$ARCH-${TEAM}", "k8s-arm64-ml"),
        ("%TEAM%-%ARCH%", "ml-arm64"),
        ("$UNKNOWN", "$UNKNOWN"),
        ("${UNKNOWN}-$ARCH", "${UNKNOWN}-arm64"),
        ("%UNKNOWN%", "%UNKNOWN%"),
        ("$EMPTY", ""),
        ("$INDIRECT", "$ARCH"),  # one pass: the value is not expanded again
        ("$ARCHx", "$ARCHx"),  # the name runs to the last name character
        ("$ARCH.x", "arm64.x"),
        ("$1ARCH", "$1ARCH"),  # names start with a letter or underscore
        ("${ARCH", "${ARCH"),
        ("%ARCH", "%ARCH"),
        ("$$ARCH", "$arm64"),  # no $$ escape in tag expansion
        ("$A$A", "xx"),
        ("100%", "100%"),
        ("%A%A%", "xA%"),
    ],
)
def test_expand_tag(tag: str, expected: str) -> None:
    assert expand_tag(tag, VARIABLES) == expected


def test_expand_tag_is_case_sensitive() -> None:
    assert expand_tag("$arch", VARIABLES) == "$arch"


def test_unresolved_variables() -> None:
    assert unresolved_variables("plain") == ()
    assert unresolved_variables("$A-${B}-%C%-$A") == ("A", "B", "C")
    assert unresolved_variables(expand_tag("$ARCH-$NOPE", VARIABLES)) == ("NOPE",)


# --- matching ------------------------------------------------------------------------------

DOCKER = make_runner("docker", ["docker"])
BIG = make_runner("big", ["docker", "shell", "gpu"])
UNTAGGED = make_runner("untagged")  # no tags: run_untagged by default
CAPITAL = make_runner("capital", ["Docker"], run_untagged=True)
PAUSED_GPU = make_runner("paused-gpu", ["gpu", "docker"], paused=True)
PROD = make_runner("prod", ["deploy"], protected=True)


def test_case_differs_means_different_tags() -> None:
    found = one(["Docker"], [DOCKER, CAPITAL])
    assert names(found.eligible) == ["capital"]
    assert names(one(["docker"], [CAPITAL]).eligible) == []


def test_runner_may_carry_extra_tags() -> None:
    assert names(one(["docker", "shell"], [DOCKER, BIG]).eligible) == ["big"]
    assert names(one(["docker"], [DOCKER, BIG]).eligible) == ["docker", "big"]


def test_job_tag_order_and_duplicates_do_not_matter() -> None:
    assert names(one(["shell", "docker", "shell"], [DOCKER, BIG]).eligible) == ["big"]


def test_untagged_job_needs_run_untagged() -> None:
    found = one([], [DOCKER, UNTAGGED, CAPITAL])
    assert names(found.eligible) == ["untagged", "capital"]
    assert names(one([], [DOCKER]).eligible) == []
    assert one([], [DOCKER]).closest == (NearMiss(DOCKER, (), lacks_run_untagged=True),)


def test_tagged_job_never_uses_an_untagged_only_runner() -> None:
    assert names(one(["docker"], [UNTAGGED]).eligible) == []


def test_paused_only() -> None:
    found = one(["gpu"], [PAUSED_GPU, DOCKER])
    assert found.eligible == ()
    assert names(found.paused) == ["paused-gpu"]
    assert found.outcome is Outcome.PAUSED_ONLY
    assert names([miss.runner for miss in found.closest]) == ["docker"]


def test_paused_match_next_to_active_match() -> None:
    found = one(["docker"], [PAUSED_GPU, DOCKER])
    assert names(found.eligible) == ["docker"]
    assert names(found.paused) == ["paused-gpu"]
    assert found.closest == ()
    assert found.outcome is Outcome.RUNS


@pytest.mark.parametrize(
    ("protected_ref", "outcome"),
    [
        (True, Outcome.RUNS),
        (False, Outcome.UNPROTECTED_REF),
        (None, Outcome.NEEDS_PROTECTED_REF),
    ],
)
def test_protected_runner(protected_ref: bool | None, outcome: Outcome) -> None:
    found = one(["deploy"], [PROD, DOCKER], protected_ref=protected_ref)
    assert found.eligible == ()
    assert names(found.protected_only) == ["prod"]
    assert found.outcome is outcome


def test_unprotected_runner_serves_protected_refs() -> None:
    found = one(["docker"], [DOCKER], protected_ref=True)
    assert names(found.eligible) == ["docker"]


def test_paused_protected_runner_counts_as_paused() -> None:
    runner = make_runner("p", ["deploy"], paused=True, protected=True)
    found = one(["deploy"], [runner], protected_ref=True)
    assert (found.eligible, found.protected_only, names(found.paused)) == ((), (), ["p"])


def test_ref_is_passed_through_and_order_kept() -> None:
    jobs = [JobTags(f"j{i}", ("docker",) if i % 2 else (), ref=("pos", i)) for i in range(5)]
    found = match(jobs, [DOCKER])
    assert [m.job.ref for m in found] == [("pos", i) for i in range(5)]
    assert [bool(m.eligible) for m in found] == [False, True, False, True, False]


def test_closest_fewest_missing_then_name() -> None:
    runners = [
        make_runner("zeta", ["a", "b"]),
        make_runner("alpha", ["a", "b"]),
        make_runner("mid", ["a"]),
        make_runner("none-1", ["q"]),
        make_runner("aaa", ["c"]),
    ]
    found = one(["a", "b", "c"], runners)
    assert found.closest == (
        NearMiss(runners[1], ("c",), lacks_run_untagged=False),
        NearMiss(runners[0], ("c",), lacks_run_untagged=False),
        NearMiss(runners[4], ("a", "b"), lacks_run_untagged=False),
    )
    (limited,) = match([JobTags("job", ("a", "b", "c"))], runners, closest=1)
    assert names([m.runner for m in limited.closest]) == ["alpha"]


def test_closest_fills_up_with_runners_sharing_no_tag() -> None:
    runners = [make_runner("b", ["x"]), make_runner("a", ["y"]), make_runner("c", ["gpu"])]
    found = one(["gpu", "big"], runners)
    assert [(m.runner.name, m.missing) for m in found.closest] == [
        ("c", ("big",)),
        ("a", ("gpu", "big")),
        ("b", ("gpu", "big")),
    ]


def test_empty_inventory() -> None:
    found = one(["docker"], [])
    assert (found.eligible, found.paused, found.protected_only, found.closest) == ((), (), (), ())
    assert found.outcome is Outcome.NO_RUNNER


def test_prebuilt_index_gives_the_same_answer() -> None:
    runners = [DOCKER, BIG, UNTAGGED, CAPITAL, PAUSED_GPU, PROD]
    jobs = [JobTags("a", ("docker",)), JobTags("b", ()), JobTags("c", ("gpu", "x"))]
    assert match(jobs, index_runners(runners)) == match(jobs, runners)


# --- the index agrees with the plain predicate ----------------------------------------------

TAGS = st.sampled_from(["a", "b", "c", "A", "gpu", "d", "e", "f", "g"])
RUNNERS = st.lists(
    st.builds(
        lambda i, tags, untagged, paused, protected: make_runner(
            f"r{i}",
            tags,
            run_untagged=untagged or not tags,
            paused=paused,
            protected=protected,
        ),
        st.integers(0, 5),
        st.lists(TAGS, max_size=7),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(runners=RUNNERS, jobs=st.lists(st.lists(TAGS, max_size=9), max_size=6))
def test_index_matches_the_predicate(runners: list[Runner], jobs: list[list[str]]) -> None:
    found = match([JobTags(str(i), tuple(tags)) for i, tags in enumerate(jobs)], runners)
    for result, tags in zip(found, jobs, strict=True):
        wanted = frozenset(tags)
        expected_eligible = [r for r in runners if can_take(r, wanted, False)]
        assert list(result.eligible) == expected_eligible
        fits = [r for r in runners if can_take(_active(r), wanted, True)]
        assert list(result.paused) == [r for r in fits if r.paused]
        assert list(result.protected_only) == [r for r in fits if r.protected and not r.paused]
        if result.eligible:
            assert result.closest == ()
            continue
        others = [r for r in runners if r not in fits]
        ranked = sorted(others, key=lambda r: (len(wanted - r.tags), r.name))
        expected_misses = [(len(wanted - r.tags), r.name) for r in ranked[:3]]
        assert [(len(m.missing), m.runner.name) for m in result.closest] == expected_misses
        for miss in result.closest:
            assert set(miss.missing) == wanted - miss.runner.tags
            assert miss.lacks_run_untagged == (not wanted)


def _active(runner: Runner) -> Runner:
    return make_runner(runner.name, runner.tag_order, run_untagged=runner.run_untagged)


# --- explanations --------------------------------------------------------------------------


def test_explain_none_when_the_job_runs() -> None:
    assert explain(one(["docker"], [DOCKER])) is None
    assert explain(one(["deploy"], [PROD], protected_ref=True)) is None


def test_explain_no_runner_names_the_closest_and_says_what_to_do() -> None:
    runners = [
        make_runner("harbor-builder", ["harbor"]),
        make_runner("gpu-1", ["gpu"], paused=True),
    ]
    assert explain(one(["gpu", "harbor"], runners)) == (
        "no runner carries all of the job's tags [gpu, harbor]; closest: gpu-1 lacks [harbor] "
        "(paused); harbor-builder lacks [gpu]. Add the missing tags to a runner or change the "
        "job's tags."
    )


def test_explain_points_at_case_differences() -> None:
    text = explain(one(["docker"], [CAPITAL]))
    assert text is not None
    assert "capital lacks [docker] (has 'Docker' but tags are case-sensitive)" in text


def test_explain_paused_only() -> None:
    assert explain(one(["gpu"], [PAUSED_GPU, DOCKER])) == (
        "only paused runners carry all of the job's tags [gpu]: paused-gpu. "
        "Unpause one of them or add the tags to an active runner."
    )
    untagged_paused = make_runner("u", paused=True)
    text = explain(one([], [untagged_paused]))
    assert text == (
        "the job has no tags and only paused runners take untagged jobs: u. "
        "Unpause one of them or set run_untagged: true on an active runner."
    )


def test_explain_untagged_job_without_run_untagged_runner() -> None:
    text = explain(one([], [DOCKER, BIG]))
    assert text == (
        "the job has no tags and no runner takes untagged jobs; closest: big "
        "(run_untagged: false); docker (run_untagged: false). Set run_untagged: true on a "
        "runner or give the job tags that a runner carries."
    )


def test_explain_protected_runners() -> None:
    paused_prod = make_runner("prod-2", ["deploy"], paused=True)
    unknown = explain(one(["deploy"], [PROD, paused_prod]))
    assert unknown is not None
    assert unknown.startswith("only protected runners carry all of the job's tags [deploy]: prod;")
    assert "Run the job only on protected refs, or add the tags to an unprotected runner." in (
        unknown
    )
    assert unknown.endswith("Paused runners that would take it: prod-2.")
    unprotected = explain(one(["deploy"], [PROD], protected_ref=False))
    assert unprotected is not None
    assert "the job's ref is not protected" in unprotected
    assert "Protect the branch or tag" in unprotected


def test_explain_unresolved_variable() -> None:
    text = explain(one([expand_tag("$RUNNER_TAG", {})], [DOCKER]))
    assert text is not None
    assert text.startswith("no runner carries all of the job's tags [$RUNNER_TAG]")
    assert text.endswith(
        "Tag '$RUNNER_TAG' refers to RUNNER_TAG, not defined for this job, so GitLab keeps the "
        "reference verbatim; define the variable or fix the tag."
    )


def test_explain_empty_inventory() -> None:
    text = explain(one(["docker"], []))
    assert text is not None
    assert "inventory is empty" in text


def test_explain_marks_protected_and_paused_near_misses() -> None:
    runners = [make_runner("p", ["gpu"], protected=True, paused=True), make_runner("q", ["x"])]
    text = explain(one(["gpu", "big"], runners))
    assert text is not None
    assert "closest: p lacks [big] (protected, paused); q lacks [gpu, big]." in text
