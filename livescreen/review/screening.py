"""The screening step: reviewers' edits into the decision store first, then every view
rebuilt from the store and this run's records.

Order matters, and the decision folder's lock is held throughout:
1. every table and sheet is read back against what livescreen last wrote to it
   (`livescreen.review.views.harvest`); new decisions are appended to the store and synced — an
   unreadable edit stops the run here, before anything is written;
2. the rows are rebuilt: essay-cited records set aside, publications and registrations
   linked, decisions, added columns and first-seen dates filled in from the store, records
   no longer found kept with their last known metadata and flagged;
3. the views are written so that a stop leaves each file old or new (`write_views`), then
   the machine-readable copy (`screening.json`), the run's folder and what was seen.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from livescreen.classify import MECHANISM_EVIDENCE_COLUMNS, mechanism_evidence_rows
from livescreen.columns import (
    ESSAY_TABLE_COLUMNS,
    HIGHLIGHT_COLUMNS,
    LIVESCREEN_COLUMNS,
    MERGED_DUPLICATE_COLUMNS,
    POSSIBLE_DUPLICATE_COLUMNS,
    POSSIBLE_MATCH_COLUMNS,
    REGISTRATION_COLUMNS,
    SCREENING_COLUMNS,
)
from livescreen.dedup import deduplicate
from livescreen.dedup.essay import match_essay_references, merge_search_hits, trial_links
from livescreen.dedup.second_matcher import read_second_opinion
from livescreen.dedup.works import cross_source
from livescreen.errors import LivescreenError
from livescreen.files import iter_jsonl, read_json, read_jsonl, write_csv, write_json, write_jsonl
from livescreen.memo import value as memo_value
from livescreen.review.decisions import (
    CONFLICT_COLUMNS,
    DECISION_COLUMNS,
    STORE_FILE,
    added_columns,
    append_entries,
    conflict_notes,
    conflict_rows,
    current_decisions,
    displayed_decisions,
    read_store,
    recorded_since,
    store_lock,
    torn_since,
)
from livescreen.review.dual_screening import (
    SCREENING_CONFLICT_COLUMNS,
    agreement,
    agreement_lines,
    final_decisions,
    screening_conflicts,
)
from livescreen.review.merges import merge_entries, merged_away
from livescreen.review.runs import write_run
from livescreen.review.tables import (
    absent_rows,
    highlighted_rows,
    mechanism_rows,
    registration_rows,
    screening_rows,
    with_review,
)
from livescreen.review.updates import compare, observation, read_seen, write_seen
from livescreen.review.views import (
    MECHANISM_FOLDER,
    REVIEWERS_FOLDER,
    WORKBOOK_FILE,
    CsvView,
    harvest,
    remove_views,
    write_views,
)

WORKS_FILE = "works.json"  # record_id -> member_ids of every work that had more than its id
KNOWN_ROWS_FILE = "known_rows.jsonl"  # every row last shown, for records no longer found
PUBLICATION_LINKS = {"pubmed_url": "url", "doi": "doi"}
REGISTRY_LINK = {"registry_url": "url"}


@dataclass
class Inputs:
    records: str
    registrations: str
    searches: list[str]
    references: str
    registry: str
    # database exports: [classified records (JSONL), summary (JSON)], or none
    imports: list[str] = ()
    # Europe PMC's and citation chasing's classified records (JSONL), and their summaries
    # (results/data/europepmc.json, results/citations/chased.json); none when switched off
    others: list[str] = ()
    other_summaries: list[str] = ()
    # the second matcher's duplicate pairs (results/data/second_matcher_pairs.json), or none
    second_opinion: list[str] = ()

    @classmethod
    def of_rule(cls, named) -> Inputs:
        """From the rule's named inputs (rules/tables.smk)."""
        fields = cls.__dataclass_fields__
        found = {name: getattr(named, name) for name in fields if hasattr(named, name)}
        for name in ("imports", "others", "other_summaries", "second_opinion"):
            found[name] = list(found.get(name) or [])
        return cls(**found)


def prioritised(
    rows: list[dict], registered: list[dict], shown: dict, order: str
) -> tuple[list[dict], list[dict]]:
    """Rows with `priority`, `relevance` and `priority_reason` from a model trained on the
    review's decisions (livescreen.prioritise; blank until there is one include and one
    exclude, and for decided records). With `order: priority` the undecided records follow
    the highlighted ones best first; decided records come last, newest first."""
    from livescreen.prioritise.text import decision_label

    ids = [row.get("record_id") or row["pmid"] for row in rows]  # PMID, doi:, import:
    ids += [row["nct_id"] for row in registered]
    everything = [*rows, *registered]
    records = [{**row, "record_id": rid} for row, rid in zip(everything, ids, strict=True)]
    decisions = {rid: d.decision for rid, d in shown.items()}
    labels = {decision_label(decisions.get(rid)) for rid in ids}
    ranked = {}
    if {"include", "exclude", ""} <= labels:  # else `rank` has nothing to learn from
        from livescreen.prioritise import rank  # scikit-learn (2 s) only when it ranks

        ranked = rank(records, decisions)
    for row, rid in zip(everything, ids, strict=True):
        found = ranked.get(rid)
        row["priority"] = str(found.priority) if found else ""
        row["relevance"] = f"{found.relevance:.4f}" if found else ""
        row["priority_reason"] = found.priority_reason if found else ""
    if order != "priority" or not ranked:
        return rows, registered

    def key(row: dict) -> tuple:
        return (row.get("highlight") != "true", row["priority"] == "", int(row["priority"] or 0))

    return sorted(rows, key=key), sorted(registered, key=key)  # stable: ties keep newest first


def stopping_lines(history: list[dict], total: int, rule: dict | None) -> list[str]:
    """The run summary's lines on when it is safe to stop (once anything was decided)."""
    from livescreen.prioritise import screening_labels

    labels = screening_labels(history, current_decisions(history))[:total]
    if not labels or not total:
        return []
    from livescreen.prioritise import stopping_estimate  # scipy (2 s): only when needed

    rule = rule or {}
    estimate = stopping_estimate(
        labels,
        total,
        recall_target=rule.get("recall_target", 0.95),
        confidence=rule.get("confidence", 0.95),
    )
    return [f"- {line}" for line in estimate.summary_lines()]


def summary_line(result: dict) -> str:
    """The step's log line."""
    return (
        "to_screen {to_screen}, registered {registered}, highlighted {highlighted}, essay "
        "matches {essay_matches}, decisions recorded {decisions_recorded}; run folder "
        "{run_folder}"
    ).format(**result)


def build(
    inputs: Inputs,
    *,
    screening: Path,
    decisions: Path,
    runs: Path,
    store: str,
    keywords: list[str],
    essay_title_match: dict,
    exclusion_reasons: list[str] = (),
    workbook: dict | None = None,
    reviewers: list[str] = (),
    order: str = "priority",
    stopping_rule: dict | None = None,
    second_matcher: str = "none",
    memo: Path | None = None,
    now: dt.datetime | None = None,
    log=None,
) -> dict:
    """Run the screening step; return the machine-readable copy (screening.json's content).
    `memo`: the folder where the clustering of unchanged records is kept (livescreen.memo)."""
    screening, decisions = Path(screening), Path(decisions)
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    run_time = now.isoformat().replace("+00:00", "Z")
    with store_lock(decisions):
        seen_before = read_seen(decisions / "seen.csv")
        # the ids every work was screened under (beside the store: it outlives results/)
        works_path = decisions / WORKS_FILE
        works_before = read_json(works_path) if works_path.exists() else {}
        harvested = harvest(screening, decisions, now, set(seen_before))
        stale = [
            f"{MECHANISM_FOLDER}/{path.name}"
            for path in sorted((screening / MECHANISM_FOLDER).glob("*.csv"))
            if path.stem not in keywords
        ]
        remove_views(screening, stale)  # their decisions are in the store already
        history = harvested.history
        # decisions recorded since the previous run: by this job or by the start-up harvest
        recorded = recorded_since(history, _last_run(seen_before))
        torn = torn_since(decisions / STORE_FILE, _last_run(seen_before))
        if torn and log:
            log.warning("%d torn line(s) of the decision store set aside in torn_lines.txt", torn)
        reviewers = list(reviewers)
        dual = len(reviewers) >= 2

        records = read_jsonl(inputs.records)
        registrations = read_jsonl(inputs.registrations)
        searches = [read_json(path) for path in inputs.searches]
        mechanisms = merge_search_hits(searches)
        references = read_json(inputs.references)
        imported, imports = [], []
        if inputs.imports:  # database exports (config `imports:`), classified
            imported = read_jsonl(inputs.imports[0])
            imports = read_json(inputs.imports[1])["imports"]
        for path in inputs.others:  # Europe PMC and citation chasing, shaped like exports
            imported += read_jsonl(path)
        other_databases, other_methods = other_source_summaries(
            [read_json(path) for path in inputs.other_summaries]
        )
        imports = [*imports, *other_databases]
        matches, possible = match_essay_references(records, references, **essay_title_match)
        cited = {match["pmid"] for match in matches}
        notes = {
            p["pmid"]: f"possible match to essay reference {p['essay_ref']} "
            f"(title similarity {p['score']}; {p['reason']}): see possible_essay_matches.csv"
            for p in possible
        }
        # one work per cluster of PubMed's and the exports' records (livescreen.dedup.works);
        # the works of records the essay cites leave screening with their copies
        pairs, second = [], ""
        if second_matcher != "none":  # config deduplicate.second_matcher (bib-dedupe)
            if not inputs.second_opinion:
                raise LivescreenError(
                    f"deduplicate.second_matcher is {second_matcher!r} but the screening step "
                    "was given no second_matcher_pairs.json (rules/dedup.smk)"
                )
            opinion = read_second_opinion(inputs.second_opinion[0], second_matcher)
            pairs, second = opinion["pairs"], f"{opinion['matcher']} {opinion['version']}"

        def cluster(copies, **options):  # the same records, the same clusters: read back
            return memo_value(
                memo, "deduplicate", (copies, options), lambda: deduplicate(copies, **options)
            )

        merged = cross_source(records, mechanisms, imported, works_before, pairs, cluster=cluster)
        works = [w for w in merged.works if w.pmid not in cited]
        flagged = _essay_flags(works, references, essay_title_match, set(notes))
        possible += flagged
        notes |= {p["pmid"]: _flag_note(p) for p in flagged}
        to_screen = [_work_record(w) for w in works]
        members = {w.record_id: w.member_ids for w in works}
        # decisions recorded under a work's other ids follow it (livescreen.review.merges)
        carried = merge_entries(history, members, now.isoformat(timespec="seconds"))
        if carried:
            append_entries(decisions / STORE_FILE, carried)  # synced before any view
            history = read_store(decisions / STORE_FILE)
        shown, conflicts = displayed_decisions(history), conflict_notes(history)
        if dual:  # the shared tables show the final decision; reviewers see only their own
            shown, disagreements = final_decisions(history, reviewers)
            conflicts = {**disagreements, **conflicts}
        added = added_columns(history)
        nct_by_pmid, pmids_by_nct = trial_links(registrations, records)
        # the fetch module brings the HTTP clients (a sixth of this step's start-up): only
        # its record store is needed here
        from livescreen.fetch import RecordStore

        provenance = RecordStore(store).provenance(mechanisms)
        registry = read_json(inputs.registry)

        found = [
            observation(r, r["record_id"], "publication", mechanisms.get(r.get("pmid") or "", []))
            for r in to_screen
        ]
        found += [observation(r, r["nct_id"], "registration") for r in registrations]
        aliases = {m for w in works for m in w.member_ids if m != w.record_id}
        seen, changes = compare(found, _seen_through(seen_before, works), run_time)
        changes = [c for c in changes if c["record_id"] not in aliases]
        known_path = screening / KNOWN_ROWS_FILE
        known = {row["record_id"]: row["row"] for row in _known_rows(known_path)}

        def with_absent(rows, id_column, record_type, columns, also=frozenset()):
            present = {row[id_column] for row in rows} | also
            return rows + absent_rows(seen_before, present, record_type, id_column, known, columns)

        publications = with_absent(
            screening_rows(to_screen, mechanisms, provenance, notes, nct_by_pmid),
            "record_id",
            "publication",
            SCREENING_COLUMNS,
            aliases,
        )
        for row in publications:  # rows kept from before record_id existed
            row["record_id"] = row.get("record_id") or row.get("pmid") or ""
            if not row.get("pmid") and row["record_id"].isdigit():
                row["pmid"] = row["record_id"]
        trials = with_absent(
            registration_rows(registrations, pmids_by_nct),
            "nct_id",
            "registration",
            REGISTRATION_COLUMNS,
        )
        rows = with_review(publications, "record_id", shown, conflicts, seen, run_time)
        registered = with_review(trials, "nct_id", shown, conflicts, seen, run_time)
        rows, registered = prioritised(rows, registered, shown, order)
        gone = merged_away(history, members)  # shown through their works: counted once
        stopping = stopping_lines(
            [e for e in history if e["record_id"] not in gone],
            len(rows) + len(registered),
            stopping_rule,
        )
        highlighted = highlighted_rows(rows, registered)
        evidence = mechanism_evidence_rows([*rows, *registered])
        essay_rows = with_review(matches, "pmid", shown, conflicts, seen, run_time)

        def columns(view: str, base: list[str]) -> list[str]:
            return [*base, *(c for c in added.get(view, []) if c not in base)]

        tables = [
            CsvView("to_screen.csv", columns("to_screen.csv", SCREENING_COLUMNS), rows),
            CsvView(
                "highlighted_trials.csv",
                columns("highlighted_trials.csv", HIGHLIGHT_COLUMNS),
                highlighted,
            ),
            CsvView(
                "registered_trials.csv",
                columns("registered_trials.csv", REGISTRATION_COLUMNS),
                registered,
            ),
            CsvView(
                "essay_matches.csv", columns("essay_matches.csv", ESSAY_TABLE_COLUMNS), essay_rows
            ),
        ]
        for slug in keywords:
            name = f"{MECHANISM_FOLDER}/{slug}.csv"
            tables.append(
                CsvView(name, columns(name, SCREENING_COLUMNS), mechanism_rows(rows, slug))
            )
        sources = sorted({s["source_label"] for s in searches} | {registry["source_label"]})
        sources += [f"{'database export: ' if s['files'] else ''}{s['name']} "
                    f"(searched {s.get('searched') or '?'})" for s in imports]  # fmt: skip
        sources += [f"{m['name']} (searched {m.get('searched') or '?'}; {m['records']} found)"
                    for m in other_methods]  # fmt: skip
        layout = {
            **(workbook or {}),
            "run": run_time,
            "sources": sources,
            "exclusion_reasons": exclusion_reasons,
            "stopping": stopping,
            "mechanism_evidence": evidence,
        }
        workbooks = {WORKBOOK_FILE: _sheets(tables, columns, layout)}
        for name in reviewers if dual else []:
            own = displayed_decisions(history, name)
            own_conflicts = conflict_notes(history, name)
            folder = f"{REVIEWERS_FOLDER}/{name}"
            mine = [
                CsvView(
                    f"{folder}/to_screen.csv",
                    columns(f"{folder}/to_screen.csv", SCREENING_COLUMNS),
                    with_review(publications, "record_id", own, own_conflicts, seen, run_time),
                ),
                CsvView(
                    f"{folder}/registered_trials.csv",
                    columns(f"{folder}/registered_trials.csv", REGISTRATION_COLUMNS),
                    with_review(trials, "nct_id", own, own_conflicts, seen, run_time),
                ),
            ]
            tables += mine
            workbooks[f"{folder}/{WORKBOOK_FILE}"] = _reviewer_sheets(mine, layout)
        write_views(screening, tables, workbooks)
        agreed = None
        if dual:
            screened_ids = [*(r["record_id"] for r in rows), *(r["nct_id"] for r in registered)]
            agreed = agreement(history, reviewers, screened_ids)
            write_csv(
                screening / "screening_conflicts.csv",
                screening_conflicts(history, reviewers, [*rows, *registered], disagreements),
                SCREENING_CONFLICT_COLUMNS,
            )
        write_csv(screening / "possible_essay_matches.csv", possible, POSSIBLE_MATCH_COLUMNS)
        if imported or (screening / "possible_duplicates.csv").exists():
            write_csv(
                screening / "possible_duplicates.csv", merged.possible, POSSIBLE_DUPLICATE_COLUMNS
            )
            write_csv(
                screening / "merged_duplicates.csv", merged.merges, MERGED_DUPLICATE_COLUMNS
            )
        write_csv(screening / "mechanism_evidence.csv", evidence, MECHANISM_EVIDENCE_COLUMNS)
        write_csv(screening / "decision_conflicts.csv", conflict_rows(history), CONFLICT_COLUMNS)
        write_jsonl(
            known_path,
            [{"record_id": r["record_id"], "row": r} for r in rows]
            + [{"record_id": r["nct_id"], "row": r} for r in registered],
        )
        run_folder = write_run(
            Path(runs),
            run_time,
            searches,
            registry,
            rows,
            registered,
            changes,
            recorded,
            len(conflicts),
            keywords=keywords,
            torn=bool(torn),
            extra_lines=[
                *_source_lines(imports, merged, carried),
                *(f"- {m['name']}: {m['records']} records found from {m['seeds']} seeds "
                  f"({m['query']})" for m in other_methods),  # fmt: skip
                *(agreement_lines(agreed) if agreed else []),
                *stopping,
            ],
            imports=imports,
        )
        write_seen(decisions / "seen.csv", seen)
        # a work seen once keeps its id for good, and no other work may take it
        write_json(works_path, {**works_before, **_work_ids(merged.works)})
    return {
        "run": run_time,
        "run_folder": str(run_folder),
        "tables": [str(screening / t.name) for t in tables] + [str(screening / WORKBOOK_FILE)],
        "decisions_recorded": recorded,
        "conflicts": len(conflicts),
        "to_screen": len(rows),
        "registered": len(registered),
        "highlighted": len(highlighted),
        "essay_matches": len(matches),
        "possible_essay_matches": len(possible),
        "possible_duplicates": len(merged.possible),
        "decisions_carried": len(carried),
        "imports": imports,
        "other_methods": other_methods,
        "deduplication": {
            "records": merged.records,
            "by_source": merged.by_source,
            "works": len(merged.works),
            "duplicates": merged.duplicates,
            "second_matcher": second,  # "bib-dedupe 0.11.0", or "" for none
        },
        "publications": rows,
        "registrations": registered,
        "essay_match_rows": essay_rows,
        "highlighted_rows": highlighted,
    }


SHEET_WIDTHS = {"title": 50, "abstract": 100, "notes": 30, "highlight_reason": 40}
SHEET_LINES = 8  # lines of title and abstract a row shows
ID_FIRST = ("record_type", "trial_id", "pmid", "nct_id")


def screening_layout(columns: list[str], added: list[str]) -> list[str]:
    """A sheet's columns for title/abstract screening: ids, the decision columns and the
    reviewers' own, title and abstract side by side, then everything else."""
    ids = [c for c in ID_FIRST if c in columns]
    first = [*ids, *DECISION_COLUMNS, *added, "title", "abstract"]
    present = [c for c in first if c in columns or c in added]
    return [*present, *(c for c in columns if c not in present)]


def _sheets(tables: list[CsvView], columns, layout: dict) -> list:
    from livescreen.review.workbook import (
        Sheet,  # openpyxl only in the step that writes the workbook
    )

    by_name = {t.name: t for t in tables}
    specs = [
        ("Highlighted", "highlighted_trials.csv", PUBLICATION_LINKS | REGISTRY_LINK),
        ("To screen", "to_screen.csv", PUBLICATION_LINKS),
        ("Registered trials", "registered_trials.csv", REGISTRY_LINK),
        ("Essay matches", "essay_matches.csv", {}),
    ]
    if layout.get("mechanism_sheets"):
        specs += [
            (_sheet_name(t.name), t.name, PUBLICATION_LINKS)
            for t in tables
            if t.name.startswith(f"{MECHANISM_FOLDER}/")
        ]
    summary = summary_rows(tables, layout.get("run", ""), layout.get("sources", []))
    summary += [{"table": line.removeprefix("- ")} for line in layout.get("stopping", [])]
    # a long source or stopping line wraps: its row grows to show it (up to 4 lines)
    sheets = [Sheet("Summary", SUMMARY_COLUMNS, summary, widths={"table": 45}, max_lines=4)]
    for name, table_name, links in specs:
        table = by_name[table_name]
        base = [c for c in table.columns if c in LIVESCREEN_COLUMNS]
        added = [c for c in columns(f"{WORKBOOK_FILE} [{name}]", base) if c not in base]
        sheets.append(screening_sheet(name, screening_layout(base, added), table, links, layout))
    sheets += [
        Sheet(
            "Mechanism evidence",
            MECHANISM_EVIDENCE_COLUMNS,
            layout.get("mechanism_evidence", []),
            highlight_column="highlight",
            widths={"title": 50, "measures": 40},
            max_lines=3,
        )
    ]
    return sheets


def screening_sheet(name: str, columns: list[str], table: CsvView, links: dict, layout: dict):
    """A sheet laid out for screening: frozen through the decision (and added) columns."""
    from livescreen.review.workbook import Sheet

    return Sheet(
        name,
        columns,
        table.rows,
        links,
        "highlight" if "highlight" in columns else None,
        frozen_columns=_after_reviewer_columns(columns),
        widths={c: w for c, w in SHEET_WIDTHS.items() if c in columns},
        max_lines=SHEET_LINES,
        exclusion_reasons=list(layout.get("exclusion_reasons", [])),
    )


def _after_reviewer_columns(columns: list[str]) -> int:
    """How many leading columns are ids, decision columns and reviewers' own."""
    start = columns.index("notes") + 1
    own = [i for i, c in enumerate(columns[start:], start) if c in LIVESCREEN_COLUMNS]
    return own[0] if own else len(columns)


def _reviewer_sheets(tables: list[CsvView], layout: dict) -> list:
    """One reviewer's workbook: their publications and registrations, their decisions only."""
    sheets = []
    for name, table, links in (
        ("To screen", tables[0], PUBLICATION_LINKS),
        ("Registered trials", tables[1], REGISTRY_LINK),
    ):
        columns = screening_layout([c for c in table.columns if c != "conflict"], [])
        sheets.append(screening_sheet(name, columns, table, links, layout))
    return sheets


def _sheet_name(table_name: str) -> str:
    """A per-keyword sheet's name: Excel allows 31 characters."""
    return Path(table_name).stem[:31]


SUMMARY_COLUMNS = [
    "table",
    "records",
    "awaiting",
    "included",
    "excluded",
    "maybe",
    "conflicts",
    "reasons",
]


def summary_rows(tables: list[CsvView], run: str, sources: list[str] = ()) -> list[dict]:
    """The Summary sheet: per table and per keyword, how far screening has got ("awaiting"
    counts blank, maybe and conflicting decisions)."""
    rows = [{"table": f"run {run}"}] if run else []
    rows += [{"table": f"source: {source}"} for source in sources]
    for table in tables:
        decisions = [row.get("decision", "") for row in table.rows]
        reasons = Counter(
            " ".join(row.get("exclusion_reason", "").lower().split())
            for row in table.rows
            if row.get("decision") == "exclude"
        )
        rows.append(
            {
                "table": table.name,
                "records": str(len(table.rows)),
                "awaiting": str(sum(d in ("", "maybe") for d in decisions)),
                "included": str(decisions.count("include")),
                "excluded": str(decisions.count("exclude")),
                "maybe": str(decisions.count("maybe")),
                "conflicts": str(sum(bool(row.get("conflict")) for row in table.rows)),
                "reasons": "; ".join(f"{r or 'no reason'}: {n}" for r, n in reasons.most_common()),
            }
        )
    return rows


def _work_ids(works) -> dict[str, list[str]]:
    """The works whose id is not simply their PMID (livescreen.dedup.works `previous`)."""
    return {
        w.record_id: list(w.member_ids)
        for w in works
        if not (w.record_id.isdigit() and w.member_ids == [w.record_id])
    }


def _essay_flags(works, references, essay_title_match, noted: set[str]) -> list[dict]:
    """Works the essay may cite that only their other sources' copies show (an export's
    record without a PMID, a DOI only a copy carries): rows for possible_essay_matches.csv
    under the work's record_id. They are flagged, never set aside: the essay's matches are
    counted among PubMed's records (PRISMA), and a reviewer confirms these."""
    candidates = [
        {**work.record, "pmid": work.record_id}
        for work in works
        if work.record_id not in noted and (work.pmid is None or work.doi_from_copies)
    ]
    if not candidates:
        return []
    found, close = match_essay_references(candidates, references, **essay_title_match)
    sure = [
        {**row, "reason": f"{row['method']} match through another source's copy: not set "
         "aside automatically; exclude it if the essay cites it"}  # fmt: skip
        for row in found
    ]
    return sure + close


def _flag_note(row: dict) -> str:
    return (
        f"possible match to essay reference {row['essay_ref']} ({row['method']}, score "
        f"{row['score']}; {row['reason']}): see possible_essay_matches.csv"
    )


def _work_record(work) -> dict:
    """A work as the tables' rows are built from: its record, ids and sources."""
    return {
        **work.record,
        "record_id": work.record_id,
        "pmid": work.pmid or work.record.get("pmid") or "",
        "member_ids": work.member_ids,
        "found_by": work.found_by,
        "sources": work.sources,
        "related": work.related,
        "imported_from": work.copies,
    }


def _seen_through(seen: dict[str, dict], works) -> dict[str, dict]:
    """seen.csv as this run's works see it: a work first shown under another of its ids
    (an import-only record now merged with PubMed's) keeps its earliest first_seen."""
    out = dict(seen)
    for work in works:
        if work.record_id in seen:
            continue
        earlier = [seen[m] for m in work.member_ids if m in seen]
        if earlier:
            first = min(earlier, key=lambda entry: entry.get("first_seen") or "")
            out[work.record_id] = {**first, "record_id": work.record_id}
    return out


def other_source_summaries(summaries: list[dict]) -> tuple[list[dict], list[dict]]:
    """Europe PMC as a database (an entry like a database export's, for PRISMA and PRISMA-S)
    and citation chasing as another method (PRISMA 2020 "citation searching")."""
    databases, methods = [], []
    for summary in summaries:
        if "found" in summary:  # results/citations/chased.json
            methods.append(
                {
                    "name": "Citation searching",
                    "records": len(summary["found"]),
                    "seeds": len(summary["seeds"]),
                    "searched": summary.get("run_date", ""),
                    "query": f"{' and '.join(summary['directions'])} citations, depth "
                    f"{summary['depth']}, of the essay's references and the highlighted records "
                    f"({summary['source_label']})",
                }
            )
        else:  # results/data/europepmc.json
            searches = summary.get("searches") or []
            databases.append(
                {
                    "name": summary["database"],
                    "records": summary["records"],
                    "files": [],
                    "searched": searches[0]["run_date"] if searches else "",
                    "query": "each keyword's PubMed query translated to Europe PMC syntax, "
                    "preprints included (search_log.csv)",
                }
            )
    return databases, methods


def _source_lines(imports: list[dict], merged, carried: list[dict]) -> list[str]:
    """The run summary's lines on database exports and cross-source duplicates."""
    if not imports:
        return []
    lines = [
        f"- {'database export ' if s['files'] else ''}{s['name']}: {s['records']} records "
        f"(searched {s.get('searched') or 'date not given'}"
        + (f"; {len(s['files'])} file(s))" if s["files"] else ")")
        for s in imports
    ]
    lines.append(
        f"- duplicates across sources: {merged.duplicates} of {merged.records} records merged "
        f"into {len(merged.works)}; possible duplicates for a human: {len(merged.possible)} "
        "(results/screening/possible_duplicates.csv)"
    )
    if carried:
        ids = len({e["record_id"] for e in carried})
        lines.append(f"- decisions carried to merged records: {ids} record(s)")
    return lines


def _last_run(seen: dict[str, dict]) -> dt.datetime | None:
    times = [entry["last_seen"] for entry in seen.values() if entry.get("last_seen")]
    return dt.datetime.fromisoformat(max(times)) if times else None


def _known_rows(path: Path) -> list[dict]:
    return list(iter_jsonl(path)) if path.exists() else []


def write_outputs(result: dict, screening_json: str, manifest: str) -> None:
    write_json(
        screening_json,
        {
            "run": result["run"],
            "run_folder": result["run_folder"],
            "publications": result["publications"],
            "registrations": result["registrations"],
            "essay_matches": result["essay_match_rows"],
            "highlighted": result["highlighted_rows"],
            "imports": result.get("imports", []),
            "other_methods": result.get("other_methods", []),
            "deduplication": result.get("deduplication", {}),
        },
    )
    keep = ("publications", "registrations", "essay_match_rows", "highlighted_rows")
    write_json(manifest, {k: v for k, v in result.items() if k not in keep})
