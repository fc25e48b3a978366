"""Each run's record: `results/runs/<UTC timestamp>/` with its counts, changes and summary.

`summary.md` is what a reviewer reads first after a scheduled run; the latest one is also
copied to `results/runs/latest_summary.md`.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from livescreen.files import LIST_SEPARATOR, atomic_path, write_csv
from livescreen.review.updates import CHANGE_COLUMNS

COUNT_COLUMNS = ["source", "keyword", "count", "retrieved", "new_this_run", "run_date", "query"]


def found_by(row: dict, source: str) -> bool:
    """The row's `found_by` names `source` (a database export's name)."""
    return source in str(row.get("found_by") or "").split(LIST_SEPARATOR)


def count_rows(
    searches: list[dict],
    registry: dict,
    rows: list[dict],
    registered: list[dict],
    imports: list[dict] = (),
):
    """Per keyword (and the registry, and each database export): hits, PMIDs (records)
    retrieved, records new this run."""
    new = [row for row in rows if row["new_this_run"] == "true"]
    counts = [
        {
            "source": search["source_label"],
            "keyword": search["slug"],
            "count": search["count"],
            "retrieved": len(search["pmids"]),
            "new_this_run": sum(
                search["slug"] in r["mechanisms"].split(LIST_SEPARATOR) for r in new
            ),
            "run_date": search["run_date"],
            "query": search["query"],
        }
        for search in searches
    ]
    counts.append(
        {
            "source": registry["source_label"],
            "keyword": "registry",
            "count": registry["total"],
            "retrieved": len(registry["studies"]),
            "new_this_run": sum(row["new_this_run"] == "true" for row in registered),
            "run_date": registry.get("run_date", ""),
            "query": "; ".join(f"{k}={v}" for k, v in registry["query"].items()),
        }
    )
    counts += [
        {
            "source": export["name"],
            "keyword": "database export",
            "count": export["records"],
            "retrieved": export["records"],
            "new_this_run": sum(found_by(r, export["name"]) for r in new),
            "run_date": export.get("searched", ""),
            "query": export.get("query", ""),
        }
        for export in imports
    ]
    return counts


def awaiting(rows: list[dict]) -> int:
    """Rows with no decision yet (blank, or `maybe`, or in conflict)."""
    return sum(row.get("decision") in ("", "maybe", None) for row in rows)


def summary_text(
    run_time: str,
    counts: list[dict],
    rows,
    registered,
    changes,
    appended: int,
    conflicts: int,
    keywords: list[str] = (),
    torn: bool = False,
    extra_lines: list[str] = (),
) -> str:
    kinds = Counter(change["change"] for change in changes)
    new_highlights = [
        row
        for row in [*rows, *registered]
        if row["new_this_run"] == "true" and row.get("highlight") == "true"
    ]
    highlighted = [row for row in [*rows, *registered] if row.get("highlight") == "true"]
    by_keyword = {
        slug: [r for r in rows if slug in r["mechanisms"].split(LIST_SEPARATOR)]
        for slug in keywords
    }
    lines = [
        f"# livescreen run {run_time}",
        "",
        f"- records to screen: {len(rows)} publications, {len(registered)} registrations",
        f"- awaiting a decision: {awaiting(rows)} of {len(rows)} publications, "
        f"{awaiting(registered)} of {len(registered)} registrations, "
        f"{awaiting(highlighted)} of {len(highlighted)} highlighted",
        f"- new this run: {kinds['new']} (of them highlighted: {len(new_highlights)})",
        f"- no longer found: {kinds['no_longer_found']}; metadata changed: "
        f"{kinds['metadata_changed']}; newly retracted: {kinds['newly_retracted']}; "
        f"corrected: {kinds['corrected']}",
        f"- decisions recorded this run: {appended} record(s)",
        f"- decision conflicts open: {conflicts}"
        + (" (see results/screening/decision_conflicts.csv)" if conflicts else ""),
    ]
    lines += extra_lines
    if torn:
        lines.append(
            "- **the decision store's last line was cut off** (a crash mid-write): it was set "
            "aside in decisions/torn_lines.txt, not merged; check it and re-enter that "
            "decision if it is missing"
        )
    lines += [
        "",
        "| source | keyword | count | new this run | awaiting a decision |",
        "|---|---|---|---|---|",
        *(
            f"| {c['source']} | {c['keyword']} | {c['count']} | {c['new_this_run']} | "
            + (
                str(awaiting(by_keyword[c["keyword"]]))
                if c["keyword"] in by_keyword
                else str(awaiting([r for r in rows if found_by(r, c["source"])]))
                if c["keyword"] == "database export"
                else str(awaiting(registered))
            )
            + " |"
            for c in counts
        ),
    ]
    if new_highlights:
        lines += ["", "## New highlighted trials", ""]
        lines += [
            f"- {row.get('pmid') or row.get('nct_id')}: {row['title']}" for row in new_highlights
        ]
    return "\n".join(lines) + "\n"


def write_run(
    runs_dir: Path,
    run_time: str,
    searches: list[dict],
    registry: dict,
    rows: list[dict],
    registered: list[dict],
    changes: list[dict],
    appended: int,
    conflicts: int,
    keywords: list[str] = (),
    torn: bool = False,
    extra_lines: list[str] = (),
    imports: list[dict] = (),
) -> Path:
    """Write the run's folder and the latest summary; return the folder."""
    folder = runs_dir / run_time.replace(":", "")
    counts = count_rows(searches, registry, rows, registered, imports)
    write_csv(folder / "counts.csv", counts, COUNT_COLUMNS)
    write_csv(folder / "changes.csv", changes, CHANGE_COLUMNS)
    text = summary_text(
        run_time,
        counts,
        rows,
        registered,
        changes,
        appended,
        conflicts,
        keywords,
        torn,
        extra_lines,
    )
    for path in (folder / "summary.md", runs_dir / "latest_summary.md"):
        with atomic_path(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    return folder
