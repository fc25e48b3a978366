"""Decisions follow merges: a decision recorded under any id of a work shows on its row.

A work's row is screened under its `record_id` (livescreen.dedup.works); its `member_ids`
are every id its copies were (or may have been) screened under. When a run first merges
records that earlier runs showed apart — an import-only record whose next export carries
the PMID of a PubMed record, two exports' copies of one article — the decisions recorded
under the other ids are carried to the row's id **by appending entries to the decision
store** (append-only, synced, never rewritten), so every view, export and count reads
them as it reads any decision:

* one member decided (or several, the same `decision` and `exclusion_reason`), the row's
  own id undecided or agreeing: a `decided` entry for the row's id, `source_file`
  ``merged from <member id>``, one per member carried; reviewers, notes and added columns
  of all of them are kept (different texts joined with `` | ``);
* different decisions (among the members, or a member against the row's own): a
  `conflict` entry for each side (the row's own decision too), so the row shows as a
  conflict, `decision_conflicts.csv` lists every side, and nothing is dropped until a
  reviewer decides the row again.

A member is carried once: again only if something was recorded under it after it was
carried (its row came back and was decided again). Entries with a blank decision (notes
only) join whichever decision is carried, and never make a conflict. Each screener's own
decisions (dual screening) follow their merges separately.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence

from livescreen.review.decisions import (
    DECISION_COLUMNS,
    Decision,
    current_decisions,
    decision_of,
    open_conflicts,
)

MERGED_FROM = "merged from "



def _states(record_id: str, current, conflicts, by_id) -> list[tuple[str, Decision]]:
    """(where from, decision) of what a record shows: its open conflict's sides, else its
    decision in force."""
    if record_id in conflicts:
        return [(e["source_file"], decision_of(e)) for e in conflicts[record_id]]
    if record_id in current:
        last = [e for e in by_id.get(record_id, []) if e["status"] == "decided"][-1]
        return [(last["source_file"], current[record_id])]
    return []


def _joined(values: Iterable[str], separator: str) -> str:
    return separator.join(dict.fromkeys(v for v in values if v))


def combined(record_id: str, decisions: Sequence[Decision]) -> Decision:
    """One decision from agreeing ones: the decision and reason, every reviewer, note and
    added column kept."""
    decided = next((d for d in decisions if d.decision), decisions[0])
    extra: dict[str, list[str]] = {}
    for d in decisions:
        for key, value in d.extra:
            extra.setdefault(key, []).append(value)
    return Decision(
        record_id,
        decided.decision,
        decided.exclusion_reason,
        _joined((d.reviewer for d in decisions), "; "),
        _joined((d.notes for d in decisions), " | "),
        extra=tuple(sorted((k, _joined(v, " | ")) for k, v in extra.items())),
    )


def _entry(decision: Decision, source: str, status: str, stamp: str, screener: str) -> dict:
    return {
        "record_id": decision.record_id,
        **{c: decision.cell(c) for c in DECISION_COLUMNS},
        "extra": json.dumps(dict(decision.extra), ensure_ascii=False) if decision.extra else "",
        "timestamp": stamp,
        "source_file": source,
        "status": status,
        "screener": screener,
    }


def merge_entries(
    history: list[dict], members: Mapping[str, Sequence[str]], stamp: str
) -> list[dict]:
    """The store entries that carry decisions to merged rows (see the module doc).

    `members`: each row's record id -> every id of the work (its own included)."""
    entries: list[dict] = []
    # the store's order, not its timestamps (to the second), says what came after a carry
    position = {id(e): n for n, e in enumerate(history)}
    screeners = dict.fromkeys(e.get("screener", "") for e in history)
    for screener in screeners:
        by_id: dict[str, list[dict]] = {}
        for e in history:
            if e.get("screener", "") == screener and e.get("status") in ("decided", "conflict"):
                by_id.setdefault(e["record_id"], []).append(e)
        if not by_id:
            continue
        current = current_decisions(history, screener)
        conflicts = open_conflicts(history, screener)
        for record_id, ids in members.items():
            pending = []
            for member in dict.fromkeys(ids):
                if member == record_id or member not in by_id:
                    continue
                last = max(position[id(e)] for e in by_id[member])
                carried = [
                    e for e in by_id.get(record_id, []) if e["source_file"] == MERGED_FROM + member
                ]
                if carried and position[id(carried[-1])] > last:
                    continue
                pending.append(member)
            if not pending:
                continue
            own = _states(record_id, current, conflicts, by_id)
            theirs = {m: _states(m, current, conflicts, by_id) for m in pending}
            sides = [d for _, d in own] + [d for m in pending for _, d in theirs[m]]
            verdicts = {(d.decision, d.exclusion_reason) for d in sides if d.decision}
            in_conflict = record_id in conflicts or any(m in conflicts for m in pending)
            if len(verdicts) <= 1 and not in_conflict:
                decision = combined(record_id, sides)
                entries += [
                    _entry(decision, MERGED_FROM + m, "decided", stamp, screener) for m in pending
                ]
                continue
            if record_id not in conflicts:
                for source, d in own:
                    entries.append(_entry(_as(record_id, d), source, "conflict", stamp, screener))
            for m in pending:
                for _, d in theirs[m]:
                    entries.append(
                        _entry(_as(record_id, d), MERGED_FROM + m, "conflict", stamp, screener)
                    )
    return entries


def _as(record_id: str, decision: Decision) -> Decision:
    return Decision(
        record_id,
        decision.decision,
        decision.exclusion_reason,
        decision.reviewer,
        decision.notes,
        extra=decision.extra,
    )


def merged_away(history: Iterable[dict], members: Mapping[str, Sequence[str]]) -> set[str]:
    """Ids with entries in the store that are now another row's member (not a row's own
    id): their decisions show on that row, and are not counted again."""
    rows = set(members)
    aliases = {m for ids in members.values() for m in ids} - rows
    return {e["record_id"] for e in history if e["record_id"] in aliases}
