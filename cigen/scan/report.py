"""What the records say across projects, and the summary report in Markdown and HTML.

:func:`summarize` reads records only (never GitLab), so the report of merged shards is the
report of one unsharded scan. The tables:

- projects per status, and the projects GitLab would refuse (error findings other than the
  runner checks) with their first error;
- stuck jobs by tags: jobs no runner available to their project can take (or only paused
  ones), grouped by their tag set;
- tags no runner carries: job tags that no runner available to the job's project has;
- runners no job can use: runners seen by some project that no job of any scanned project
  matches (not even while paused);
- findings per rule;
- projects that could not be read, and why.

Both formats are rendered by jinja2 templates (``cigen/scan/templates``); HTML with
autoescaping on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from functools import cache
from typing import Any

from cigen.records import dataclass, field

#: Job outcomes (``cigen.runners.match.Outcome`` values) that leave the job stuck.
STUCK = frozenset({"no-runner", "paused-only", "unprotected-ref"})
#: Rules about runners, not about GitLab accepting the configuration.
RUNNER_RULES = "CIG3"
UNTAGGED = "(untagged)"
PROBLEM_STATUSES = ("unreadable", "internal-error", "not-scanned", "external-config")


def summarize(records: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """The report's data (plain, ordered): see the module documentation."""
    ordered = [records[key] for key in sorted(records)]
    statuses = Counter(str(r.get("status")) for r in ordered)
    stuck: dict[str, _Tally] = defaultdict(_Tally)
    missing: dict[str, _Tally] = defaultdict(_Tally)
    runners: dict[int, dict[str, Any]] = {}
    used: set[int] = set()
    rules: dict[str, dict[str, Any]] = {}
    refused: list[dict[str, Any]] = []
    problems: list[dict[str, Any]] = []
    for record in ordered:
        path = str(record["project"]["path"])
        if record.get("status") in PROBLEM_STATUSES:
            problems.append(
                {"project": path, "status": record["status"], "reason": record.get("reason")}
            )
        carried: set[str] = set()
        for runner in record.get("runners", ()):
            carried.update(runner.get("tags", ()))
            seen = runners.setdefault(int(runner["id"]), {**runner, "projects": 0})
            seen["projects"] += 1
        for job in record.get("jobs", ()):
            used.update(int(i) for i in job.get("runners", ()))
            tags = list(job.get("tags", ()))
            if job.get("outcome") in STUCK:
                stuck[", ".join(tags) or UNTAGGED].add(path)
            for tag in tags:
                if tag not in carried:
                    missing[tag].add(path)
        errors = []
        for finding in record.get("findings", ()):
            code = str(finding["code"])
            entry = rules.setdefault(
                code,
                {"code": code, "name": finding["name"], "findings": 0, "projects": set()},
            )
            entry["findings"] += 1
            entry["projects"].add(path)
            if finding["severity"] == "error" and not code.startswith(RUNNER_RULES):
                errors.append(finding)
        if errors:
            first = errors[0]
            refused.append(
                {
                    "project": path,
                    "errors": len(errors),
                    "first": f"{first['path']}:{first['line']}:{first['column']} "
                    f"{first['code']} {first['message']}",
                }
            )
    return {
        "projects": len(ordered),
        "statuses": sorted(statuses.items()),
        "refused": refused,
        "stuck": _rows(stuck, "tags"),
        "missing_tags": _rows(missing, "tag"),
        "unused_runners": [
            {
                "id": runner_id,
                "name": runner.get("name"),
                "type": runner.get("type"),
                "tags": ", ".join(runner.get("tags", ())) or UNTAGGED,
                "paused": bool(runner.get("paused")),
                "projects": runner["projects"],
            }
            for runner_id, runner in sorted(runners.items())
            if runner_id not in used
        ],
        "rules": [
            {
                "code": code,
                "name": entry["name"],
                "findings": entry["findings"],
                "projects": len(entry["projects"]),
            }
            for code, entry in sorted(rules.items())
        ],
        "problems": problems,
    }


@dataclass
class _Tally:
    jobs: int = 0
    projects: set[str] = field(default_factory=set)

    def add(self, project: str) -> None:
        self.jobs += 1
        self.projects.add(project)


def _rows(table: Mapping[str, _Tally], name: str) -> list[dict[str, Any]]:
    rows = [
        {
            name: key,
            "jobs": entry.jobs,
            "projects": len(entry.projects),
            "examples": ", ".join(sorted(entry.projects)[:3]),
        }
        for key, entry in table.items()
    ]
    return sorted(rows, key=lambda row: (-row["jobs"], row[name]))


@cache
def _environment(html: bool) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cigen.scan", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = _cell
    return env


def _cell(value: object) -> str:
    """A Markdown table cell: one line, pipes and HTML escaped."""
    text = " ".join(str(value).split())
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|")):
        text = text.replace(char, entity)
    return text


def render_markdown(summary: Mapping[str, Any]) -> str:
    return str(_environment(False).get_template("report.md.j2").render(s=summary))


def render_html(summary: Mapping[str, Any]) -> str:
    return str(_environment(True).get_template("report.html.j2").render(s=summary))
