"""Living-review updates: what each run found that earlier runs had not, or no longer find.

`decisions/seen.csv` (beside the decision store, outside `results/`) remembers every record
any run has shown: when it was first and last seen, its title, and a fingerprint of its
metadata. Comparing a run's records with it gives `first_seen` and `new_this_run` for the
tables and the run's `changes.csv`: records new this run, records no longer found (they
stay in the tables, with their decisions, flagged `still_found = false`), metadata changed,
newly retracted, newly corrected.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from livescreen.files import atomic_path

SEEN_COLUMNS = [
    "record_id",
    "record_type",
    "title",
    "first_seen",
    "last_seen",
    "fingerprint",
    "retracted",
    "corrections",
    "mechanisms",
]
CHANGE_COLUMNS = ["record_id", "record_type", "change", "title", "details"]
# The metadata whose change a reviewer should hear about.
FINGERPRINT_FIELDS = (
    "title",
    "authors",
    "journal",
    "pub_date",
    "doi",
    "publication_types",
    "abstract",
    "status",
    "phase",
    "arms",
    "completion_date",
    "enrollment",
)


def fingerprint(item: dict) -> str:
    facts = {field: item.get(field) for field in FINGERPRINT_FIELDS if field in item}
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def observation(
    item: dict, record_id: str, record_type: str, mechanisms: Iterable[str] = ()
) -> dict:
    """What seen.csv keeps of a record found by this run (its mechanisms too, so a record
    that drops out of every search still shows the keywords that found it)."""
    corrections = [*item.get("errata", []), *item.get("republished_in", [])]
    return {
        "record_id": record_id,
        "record_type": record_type,
        "title": item.get("title") or "",
        "fingerprint": fingerprint(item),
        "retracted": "true" if item.get("retracted") else "false",
        "corrections": str(len(corrections) + len(item.get("expression_of_concern", []))),
        "mechanisms": "; ".join(mechanisms),
    }


def compare(
    found: Iterable[dict], seen: dict[str, dict], run_time: str
) -> tuple[dict[str, dict], list[dict]]:
    """(seen after this run, changes) from this run's observations and what was seen before."""
    after = {record_id: dict(entry) for record_id, entry in seen.items()}
    changes = []
    found_ids = set()
    for item in found:
        record_id = item["record_id"]
        found_ids.add(record_id)
        before = seen.get(record_id)
        after[record_id] = {
            **item,
            "first_seen": before["first_seen"] if before else run_time,
            "last_seen": run_time,
        }
        changes += _changes(item, before)
    for record_id, entry in seen.items():
        if record_id not in found_ids:
            changes.append(_change(entry, "no_longer_found", f"last seen {entry['last_seen']}"))
    return after, changes


def _changes(item: dict, before: dict | None) -> list[dict]:
    if before is None:
        return [_change(item, "new", "")]
    changes = []
    if item["fingerprint"] != before["fingerprint"]:
        changes.append(_change(item, "metadata_changed", "title, authors, dates or status"))
    if item["retracted"] == "true" and before["retracted"] != "true":
        changes.append(_change(item, "newly_retracted", "retraction notice or type"))
    if int(item["corrections"]) > int(before["corrections"] or 0):
        changes.append(_change(item, "corrected", "erratum, correction or concern notice"))
    return changes


def _change(entry: dict, change: str, details: str) -> dict:
    return {
        "record_id": entry["record_id"],
        "record_type": entry["record_type"],
        "change": change,
        "title": entry.get("title", ""),
        "details": details,
    }


def read_seen(path: str | Path) -> dict[str, dict]:
    path = Path(path)
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["record_id"]: row for row in csv.DictReader(handle)}


def seen_ids(path: str | Path) -> set[str]:
    """Every record id any run has shown."""
    return set(read_seen(path))


def write_seen(path: str | Path, seen: dict[str, dict]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SEEN_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(seen[record_id] for record_id in sorted(seen))
