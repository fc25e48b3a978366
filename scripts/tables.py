"""Snakemake rule `screening_tables`: classified records and registrations, searches and
essay references -> the screening tables, with every reviewer decision kept.

Order matters: (1) the tables as reviewers left them are read and their new decisions go
into the decision store; an unreadable edit stops the run here, before anything is
written. (2) The tables are rebuilt: essay-cited records set aside, publications and
registrations linked, decisions and first-seen dates filled in, records no longer found kept
and flagged. (3) Each table is written atomically; then the run's folder with its counts
and changes. The tables are not declared Snakemake outputs, because Snakemake deletes a
job's outputs before it runs, and with them the reviewers' edits; the declared output is
the manifest `results/screening/tables.json`.
"""

import datetime as dt
from pathlib import Path

from livescreen.decisions import (
    CONFLICT_COLUMNS,
    conflict_notes,
    conflict_rows,
    displayed_decisions,
    harvest_decisions,
)
from livescreen.dedup import (
    ESSAY_MATCH_COLUMNS,
    POSSIBLE_MATCH_COLUMNS,
    match_essay_references,
    merge_search_hits,
    trial_links,
)
from livescreen.fetch import RecordStore
from livescreen.logs import logged
from livescreen.runs import write_run
from livescreen.tables import (
    DECISION_COLUMNS,
    HIGHLIGHT_COLUMNS,
    REGISTRATION_COLUMNS,
    SCREENING_COLUMNS,
    absent_rows,
    highlighted_rows,
    mechanism_rows,
    read_json,
    read_jsonl,
    registration_rows,
    screening_rows,
    with_review,
    write_csv,
    write_json,
)
from livescreen.updates import compare, observation, read_seen, write_seen
from livescreen.workbook import Sheet, write_workbook

config = snakemake.config
params = snakemake.params
screening = Path(snakemake.output.manifest).parent  # the tables sit beside their manifest
decisions = Path(config["decisions"])
paths = {
    "to_screen": screening / "to_screen.csv",
    "highlighted": screening / "highlighted_trials.csv",
    "registered": screening / "registered_trials.csv",
    "essay_matches": screening / "essay_matches.csv",
    **{
        f"by_mechanism/{slug}": screening / "by_mechanism" / f"{slug}.csv"
        for slug in params.keywords
    },
}
workbook = screening / "screening.xlsx"
PUBLICATION_LINKS = {"pubmed_url": "url", "doi": "doi"}
REGISTRY_LINK = {"registry_url": "url"}

with logged(snakemake.log[0]) as log:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    run_time = now.isoformat().replace("+00:00", "Z")

    # 1. decisions first
    history, appended = harvest_decisions(
        paths.values(), workbook, decisions / "decisions.csv", now
    )
    shown, conflicts = displayed_decisions(history), conflict_notes(history)
    log.info("%d new decision(s) recorded; %d record(s) in conflict", appended, len(conflicts))

    # 2. the tables' content
    records = read_jsonl(snakemake.input.records)
    registrations = read_jsonl(snakemake.input.registrations)
    searches = [read_json(path) for path in snakemake.input.searches]
    mechanisms = merge_search_hits(searches)
    references = read_json(snakemake.input.references)
    matches, possible = match_essay_references(records, references, **config["essay_title_match"])
    cited = {match["pmid"] for match in matches}
    notes = {
        p["pmid"]: f"possible match to essay reference {p['essay_ref']} "
        f"(title similarity {p['score']}; {p['reason']}): see possible_essay_matches.csv"
        for p in possible
    }
    to_screen = [record for record in records if record["pmid"] not in cited]
    nct_by_pmid, pmids_by_nct = trial_links(registrations, records)
    provenance = RecordStore(params.store).provenance(mechanisms)

    found = [observation(r, r["pmid"], "publication") for r in to_screen]
    found += [observation(r, r["nct_id"], "registration") for r in registrations]
    seen_before = read_seen(decisions / "seen.csv")
    seen, changes = compare(found, seen_before, run_time)

    def reviewed(rows, id_column, record_type):
        present = {row[id_column] for row in rows}
        rows = rows + absent_rows(seen_before, present, record_type, id_column)
        return with_review(rows, id_column, shown, conflicts, seen, run_time)

    rows = reviewed(
        screening_rows(to_screen, mechanisms, provenance, notes, nct_by_pmid), "pmid", "publication"
    )
    registered = reviewed(registration_rows(registrations, pmids_by_nct), "nct_id", "registration")
    highlighted = highlighted_rows(rows, registered)
    essay_rows = with_review(matches, "pmid", shown, conflicts, seen, run_time)

    # 3. write: tables, workbook, conflicts, the run's folder, then what was seen
    write_csv(paths["to_screen"], rows, SCREENING_COLUMNS)
    write_csv(paths["highlighted"], highlighted, HIGHLIGHT_COLUMNS)
    write_csv(paths["registered"], registered, REGISTRATION_COLUMNS)
    essay_columns = [*ESSAY_MATCH_COLUMNS, *DECISION_COLUMNS]
    write_csv(paths["essay_matches"], essay_rows, essay_columns)
    for slug in params.keywords:
        write_csv(paths[f"by_mechanism/{slug}"], mechanism_rows(rows, slug), SCREENING_COLUMNS)
    write_csv(screening / "possible_essay_matches.csv", possible, POSSIBLE_MATCH_COLUMNS)
    write_csv(screening / "decision_conflicts.csv", conflict_rows(history), CONFLICT_COLUMNS)
    write_workbook(
        workbook,
        [
            Sheet(
                "Highlighted",
                HIGHLIGHT_COLUMNS,
                highlighted,
                PUBLICATION_LINKS | REGISTRY_LINK,
                "highlight",
            ),
            Sheet("To screen", SCREENING_COLUMNS, rows, PUBLICATION_LINKS, "highlight"),
            Sheet(
                "Registered trials", REGISTRATION_COLUMNS, registered, REGISTRY_LINK, "highlight"
            ),
            Sheet("Essay matches", essay_columns, essay_rows),
        ],
    )
    run_folder = write_run(
        Path(params.runs),
        run_time,
        searches,
        read_json(snakemake.input.registry),
        rows,
        registered,
        changes,
        appended,
        len(conflicts),
    )
    write_seen(decisions / "seen.csv", seen)
    write_json(
        snakemake.output.manifest,
        {
            "run": run_time,
            "run_folder": str(run_folder),
            "tables": [str(p) for p in [*paths.values(), workbook]],
            "decisions_recorded": appended,
            "conflicts": len(conflicts),
            "to_screen": len(rows),
            "registered": len(registered),
            "highlighted": len(highlighted),
            "essay_matches": len(matches),
            "possible_essay_matches": len(possible),
        },
    )
    log.info(
        "to_screen %d, registered %d, highlighted %d, essay matches %d; run folder %s",
        len(rows),
        len(registered),
        len(highlighted),
        len(matches),
        run_folder,
    )
