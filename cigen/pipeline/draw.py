"""Pictures of a planned pipeline: a Mermaid flowchart and a Graphviz DOT graph.

Both read the JSON shape of ``cigen plan`` (:func:`cigen.pipeline.plan.plan_data`), so the
picture shows exactly what the plan lists. Stages are columns in order (GitLab's pipeline graph
shows only stages that have jobs), ``needs`` are edges, and jobs are styled the way GitLab marks
them: manual (``when: manual``), delayed (``when: delayed``, with ``start_in``) and allowed to
fail. With runners, each job is labelled with the runner that takes it, and a job no runner
can take is marked stuck (GitLab: "This job is stuck because the project doesn't have any
runners online assigned to it").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cigen.records import dataclass

__all__ = ["dot", "mermaid"]


@dataclass(frozen=True)
class _Node:
    ident: str
    name: str
    stage: str
    lines: tuple[str, ...]
    kinds: tuple[str, ...]
    needs: tuple[str, ...]


def _nodes(data: Mapping[str, Any]) -> tuple[list[tuple[str, list[_Node]]], dict[str, str]]:
    """Jobs grouped by stage (in plan order), and job name -> node id."""
    jobs: Sequence[Mapping[str, Any]] = data.get("jobs") or ()
    ids = {str(job["name"]): f"j{i}" for i, job in enumerate(jobs)}
    columns: dict[str, list[_Node]] = {}
    for job in jobs:
        name = str(job["name"])
        lines = [name]
        kinds: list[str] = []
        when = job.get("when")
        if when == "manual":
            kinds.append("manual")
            lines.append("manual")
        elif when == "delayed":
            kinds.append("delayed")
            lines.append(f"delayed {job.get('start_in', '')}".rstrip())
        if job.get("allow_failure"):
            kinds.append("allowed_to_fail")
            lines.append("allowed to fail")
        runners = job.get("runners")
        if runners is not None:
            if runners:
                lines.append("runner: " + ", ".join(str(r) for r in runners))
            else:
                kinds.append("stuck")
                lines.append("STUCK: no runner")
        needs = tuple(ids[n] for n in job.get("needs") or () if n in ids)
        node = _Node(ids[name], name, str(job["stage"]), tuple(lines), tuple(kinds), needs)
        columns.setdefault(node.stage, []).append(node)
    return list(columns.items()), ids


def _no_pipeline(data: Mapping[str, Any]) -> str:
    return str(data.get("message") or "no job")


# --- Mermaid ------------------------------------------------------------------------------------

_MERMAID_STYLES = (
    ("manual", "stroke-dasharray: 5 3"),
    ("delayed", "stroke-dasharray: 2 2"),
    ("allowed_to_fail", "fill:#fff4e5,stroke:#e9a23b"),
    ("stuck", "fill:#fde8e8,stroke:#d22,stroke-width:3px"),
)


def _mermaid_text(text: str) -> str:
    """A label safe inside Mermaid's double quotes: entity codes for the characters that end a
    label or start markup or an entity."""
    out = text.replace("#", "#35;").replace('"', "#quot;")
    out = out.replace("<", "#lt;").replace(">", "#gt;")
    return " ".join(out.split())


def mermaid(data: Mapping[str, Any]) -> str:
    """A Mermaid flowchart (GitLab renders ```` ```mermaid ```` blocks in Markdown)."""
    out = ["flowchart LR"]
    if not data.get("created", True) or not data.get("jobs"):
        out.append(f'  none["no pipeline: {_mermaid_text(_no_pipeline(data))}"]')
        return "\n".join(out) + "\n"
    columns, _ids = _nodes(data)
    used: dict[str, list[str]] = {}
    for index, (stage, nodes) in enumerate(columns):
        out.append(f'  subgraph s{index}["{_mermaid_text(stage)}"]')
        out.append("    direction TB")
        for node in nodes:
            label = "<br/>".join(_mermaid_text(line) for line in node.lines)
            out.append(f'    {node.ident}["{label}"]')
            for kind in node.kinds:
                used.setdefault(kind, []).append(node.ident)
        out.append("  end")
    for index in range(1, len(columns)):
        out.append(f"  s{index - 1} ~~~ s{index}")
    for _stage, nodes in columns:
        for node in nodes:
            out.extend(f"  {need} --> {node.ident}" for need in node.needs)
    for kind, style in _MERMAID_STYLES:
        if kind in used:
            out.append(f"  classDef {kind} {style}")
            out.append(f"  class {','.join(used[kind])} {kind}")
    return "\n".join(out) + "\n"


# --- Graphviz DOT -------------------------------------------------------------------------------

_DOT_STYLES = {
    "manual": 'style="rounded,dashed"',
    "delayed": 'style="rounded,dotted"',
    "allowed_to_fail": 'color="#e9a23b"',
    "stuck": 'color="#dd2222", penwidth=3',
}


def _dot_text(text: str) -> str:
    """A DOT double-quoted string body."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")


def dot(data: Mapping[str, Any]) -> str:
    """A Graphviz digraph: one cluster per stage, left to right, needs as edges."""
    out = [
        "digraph pipeline {",
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
    ]
    if not data.get("created", True) or not data.get("jobs"):
        out.append(f'  none [label="no pipeline: {_dot_text(_no_pipeline(data))}"];')
        return "\n".join([*out, "}"]) + "\n"
    columns, _ids = _nodes(data)
    for index, (stage, nodes) in enumerate(columns):
        out.append(f"  subgraph cluster_{index} {{")
        out.append(f'    label="{_dot_text(stage)}";')
        for node in nodes:
            attrs = [f'label="{_dot_text(chr(10).join(node.lines))}"']
            attrs.extend(_DOT_STYLES[kind] for kind in node.kinds)
            out.append(f"    {node.ident} [{', '.join(attrs)}];")
        out.append("  }")
    for index in range(1, len(columns)):
        left, right = columns[index - 1][1][0], columns[index][1][0]
        out.append(f"  {left.ident} -> {right.ident} [style=invis];")
    for _stage, nodes in columns:
        for node in nodes:
            out.extend(f"  {need} -> {node.ident};" for need in node.needs)
    return "\n".join([*out, "}"]) + "\n"
