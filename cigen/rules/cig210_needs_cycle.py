"""``needs`` that loop, point at the job itself, or repeat.

## What it does
Builds the graph of ``needs`` between jobs and reports a job that needs itself, jobs that need
each other (directly or through others), and the same job listed twice in one ``needs``.

## Why is this bad?
GitLab fails the pipeline: "The pipeline has circular dependencies", or "has the following
needs duplicated".

## Example
```yaml
build:
  script: [make]
  needs: [test]
test:
  script: [make test]
  needs: [build]
```

## Use instead
```yaml
build:
  script: [make]
test:
  script: [make test]
  needs: [build]
```
"""

from __future__ import annotations

from collections.abc import Iterator

from cigen.diagnostics import Diagnostic, Mark, Severity, at
from cigen.lint.context import LintContext
from cigen.rules._common import job_named, need_items

CODE = "CIG210"
NAME = "needs-cycle"
SEVERITY = Severity.ERROR
SUMMARY = "needs that loop, point at the job itself, or repeat"


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    graph: dict[str, list[tuple[str, Mark]]] = {}
    for job in ctx.pipeline.jobs.values():
        edges: list[tuple[str, Mark]] = []
        seen: set[str] = set()
        for name, mark, _optional in need_items(job):
            if name in seen:
                yield at(
                    mark,
                    CODE,
                    NAME,
                    SEVERITY,
                    f"{job.name} has the following needs duplicated: {name}; list it once",
                    job=job.name,
                    anchor=f"dup:{name}",
                )
                continue
            seen.add(name)
            needed = job_named(ctx, name)
            if needed is not None:
                edges.append((needed.name, mark))
        graph[job.name] = edges
    reported: set[frozenset[str]] = set()
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            edges = graph.get(node, [])
            if index < len(edges):
                stack.append((node, index + 1))
                target, mark = edges[index]
                if state.get(target) == 1:
                    cycle = path[path.index(target) :]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        text = (
                            f"self-dependency: {node}"
                            if target == node
                            else " -> ".join((*cycle, target))
                        )
                        yield at(
                            mark,
                            CODE,
                            NAME,
                            SEVERITY,
                            f"The pipeline has circular dependencies: {text}; remove one need",
                            job=node,
                            anchor=f"cycle:{'/'.join(sorted(key))}",
                        )
                elif not state.get(target):
                    stack.append((target, 0))
            else:
                state[node] = 2
                path.pop()
