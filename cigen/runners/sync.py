"""The inventory against the runners GitLab has: what to create, what to update, what drifted.

A runner with a ``scope`` is *managed*: GitLab should have exactly one runner of that scope's
type, in that group or project (or the instance), whose description is the runner's
:attr:`~cigen.runners.inventory.Runner.gitlab_description`, with the inventory's tags and
flags. The description is the key because GitLab has no other name a runner can be given
when it is created (``POST /user/runners``); the ``name`` GitLab shows comes from the runner
process.

:func:`plan` compares; it is pure. Fetching and applying are in :mod:`cigen.gitlab_api`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cigen.records import dataclass
from cigen.runners.inventory import Runner, Scope

__all__ = [
    "Action",
    "Change",
    "LiveRunner",
    "creation_fields",
    "diff_line",
    "managed",
    "plan",
    "wanted",
]


@dataclass(frozen=True)
class LiveRunner:
    """A runner as GitLab's ``GET /runners/:id`` describes it (the fields cigen manages)."""

    id: int
    description: str
    runner_type: str
    tag_list: tuple[str, ...]
    run_untagged: bool
    locked: bool
    access_level: str
    maximum_timeout: int | None
    paused: bool

    def value(self, field: str) -> Any:
        return getattr(self, field)


@dataclass(frozen=True)
class Change:
    """One field whose GitLab value differs from the inventory's."""

    field: str
    live: Any
    wanted: Any

    def __str__(self) -> str:
        return f"{self.field} {_show(self.live)} -> {_show(self.wanted)}"


@dataclass(frozen=True)
class Action:
    """What to do about one runner.

    ``kind``: ``create`` (missing in GitLab), ``update`` (present, ``changes`` differ), ``ok``
    (present and equal), ``unexpected`` (in GitLab, of a managed scope, but not in the
    inventory: reported, never deleted), ``ambiguous`` (several GitLab runners carry the
    description: cigen changes none of them).
    """

    kind: str
    scope: Scope
    runner: Runner | None = None
    live: tuple[LiveRunner, ...] = ()
    changes: tuple[Change, ...] = ()

    @property
    def drift(self) -> bool:
        return self.kind != "ok"

    def __str__(self) -> str:
        where = f"({self.scope})"
        if self.kind == "create":
            assert self.runner is not None
            fields = ", ".join(
                f"{key} {_show(value)}"
                for key, value in creation_fields(self.runner).items()
                if key not in ("runner_type", "description")
            )
            return f"create  {self.runner.name} {where}: {fields}"
        if self.kind == "unexpected":
            (live,) = self.live
            return (
                f"unexpected  #{live.id} {live.description!r} {where}: in GitLab, not in the "
                "inventory (left alone)"
            )
        assert self.runner is not None
        ids = ", ".join(f"#{live.id}" for live in self.live)
        if self.kind == "ambiguous":
            return (
                f"ambiguous  {self.runner.name} {where}: runners {ids} all have the description "
                f"{self.runner.gitlab_description!r}; delete the extra ones in GitLab or give "
                "them other descriptions (cigen changes none of them)"
            )
        if self.kind == "update":
            changes = "; ".join(str(change) for change in self.changes)
            return f"update  {self.runner.name} {ids} {where}: {changes}"
        return f"ok  {self.runner.name} {ids} {where}"


#: Fields compared and set, in the order they are shown.
FIELDS = ("tag_list", "run_untagged", "locked", "access_level", "maximum_timeout", "paused")


def managed(runners: Sequence[Runner]) -> list[Runner]:
    """The runners with a ``scope``: those :func:`plan` looks after."""
    return [runner for runner in runners if runner.scope is not None]


def wanted(runner: Runner) -> dict[str, Any]:
    """The GitLab fields the inventory decides for ``runner``.

    ``maximum_timeout`` only when the inventory sets it: GitLab's value is left alone
    otherwise.
    """
    fields: dict[str, Any] = {
        "tag_list": list(runner.tag_order),
        "run_untagged": runner.run_untagged,
        "locked": runner.locked,
        "access_level": runner.access_level,
        "maximum_timeout": runner.maximum_timeout,
        "paused": runner.paused,
    }
    if runner.maximum_timeout is None:
        del fields["maximum_timeout"]
    return fields


def creation_fields(runner: Runner) -> dict[str, Any]:
    """The body of ``POST /user/runners`` for ``runner``, without the owner's numeric id."""
    assert runner.scope is not None
    return {
        "runner_type": runner.scope.runner_type,
        "description": runner.gitlab_description,
        **wanted(runner),
    }


def _differs(field: str, live: Any, want: Any) -> bool:
    if field == "tag_list":
        return sorted(set(live)) != sorted(set(want))
    return bool(live != want)


def plan(
    runners: Sequence[Runner], live: Mapping[Scope, Sequence[LiveRunner]]
) -> tuple[Action, ...]:
    """One action per managed runner (inventory order), then the unexpected GitLab runners.

    ``live`` holds, per scope of a managed runner, GitLab's runners of that scope's type there.
    """
    actions: list[Action] = []
    claimed: set[tuple[Scope, int]] = set()
    for runner in managed(runners):
        assert runner.scope is not None
        scope = runner.scope
        found = tuple(
            item
            for item in live.get(scope, ())
            if item.description == runner.gitlab_description
            and item.runner_type == scope.runner_type
        )
        claimed.update((scope, item.id) for item in found)
        if not found:
            actions.append(Action("create", scope, runner))
        elif len(found) > 1:
            actions.append(Action("ambiguous", scope, runner, found))
        else:
            changes = tuple(
                Change(field, found[0].value(field), want)
                for field, want in wanted(runner).items()
                if _differs(field, found[0].value(field), want)
            )
            actions.append(Action("update" if changes else "ok", scope, runner, found, changes))
    for scope, items in live.items():
        for item in items:
            if item.runner_type == scope.runner_type and (scope, item.id) not in claimed:
                actions.append(Action("unexpected", scope, None, (item,)))
    return tuple(actions)


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def diff_line(action: Action) -> str:
    """``action`` as drift: what GitLab has that the inventory does not say, or lacks."""
    where = f"({action.scope})"
    if action.kind == "create":
        assert action.runner is not None
        return (
            f"missing  {action.runner.name} {where}: GitLab has no runner with the description "
            f"{action.runner.gitlab_description!r}"
        )
    if action.kind == "update":
        assert action.runner is not None
        (live,) = action.live
        changes = "; ".join(
            f"{change.field} {_show(change.live)} in GitLab, {_show(change.wanted)} in the "
            "inventory"
            for change in action.changes
        )
        return f"differs  {action.runner.name} #{live.id} {where}: {changes}"
    return str(action)
