"""What every lint rule receives: the resolved pipeline and the run's inputs, frozen."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from cigen.model import Pipeline
from cigen.records import dataclass, field


@dataclass(frozen=True)
class LintContext:
    """Read-only inputs of one lint run.

    Rules never read the environment or the network. The one rule that reads a file, the
    Kaniko Dockerfile (CIG503), reads it through the project's root-confined, size-bounded
    reader.
    """

    pipeline: Pipeline
    runners: tuple[Any, ...] | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    protected_ref: bool | None = None
    simulation: Any = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def shared(self) -> dict[str, Any]:
        """Results several rules derive from the same inputs (computed once per run)."""
        return {}

    def unfollowed_hint(self) -> str:
        """Suffix for findings that a not-followed include may explain."""
        targets = sorted({e.subject for e in self.pipeline.unfollowed})
        shown = ", ".join(targets[:3]) + (", ..." if len(targets) > 3 else "")
        return f" (it may be defined in an include that was not followed: {shown})"
