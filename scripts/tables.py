"""Snakemake rule `screening_tables`: classified records and registrations, searches and
essay references -> the screening CSVs.

Records the essay already cites leave to_screen.csv for essay_matches.csv; close calls stay
in to_screen.csv with a note and are listed in possible_essay_matches.csv. Publications and
registrations of one trial are linked both ways. Highlighted publications and registrations
go to highlighted_trials.csv, and each keyword's records to by_mechanism/.
"""

from livescreen.dedup import (
    ESSAY_MATCH_COLUMNS,
    POSSIBLE_MATCH_COLUMNS,
    match_essay_references,
    merge_search_hits,
    trial_links,
)
from livescreen.fetch import RecordStore
from livescreen.logs import logged
from livescreen.tables import (
    HIGHLIGHT_COLUMNS,
    REGISTRATION_COLUMNS,
    SCREENING_COLUMNS,
    highlighted_rows,
    mechanism_rows,
    read_json,
    read_jsonl,
    registration_rows,
    screening_rows,
    write_csv,
)

config = snakemake.config
output = snakemake.output
with logged(snakemake.log[0]) as log:
    records = read_jsonl(snakemake.input.records)
    registrations = read_jsonl(snakemake.input.registrations)
    nct_by_pmid, pmids_by_nct = trial_links(registrations, records)
    mechanisms = merge_search_hits(read_json(path) for path in snakemake.input.searches)
    references = read_json(snakemake.input.references)
    matches, possible = match_essay_references(records, references, **config["essay_title_match"])
    cited = {match["pmid"] for match in matches}
    notes = {
        p["pmid"]: f"possible match to essay reference {p['essay_ref']} "
        f"(title similarity {p['score']}; {p['reason']}): see possible_essay_matches.csv"
        for p in possible
    }
    to_screen = [record for record in records if record["pmid"] not in cited]
    provenance = RecordStore(snakemake.params.store).provenance(mechanisms)
    rows = screening_rows(to_screen, mechanisms, provenance, notes, nct_by_pmid)
    registered = registration_rows(registrations, pmids_by_nct)
    highlighted = highlighted_rows(rows, registered)
    write_csv(output.essay_matches, matches, ESSAY_MATCH_COLUMNS)
    write_csv(output.possible, possible, POSSIBLE_MATCH_COLUMNS)
    write_csv(output.registered, registered, REGISTRATION_COLUMNS)
    write_csv(output.highlighted, highlighted, HIGHLIGHT_COLUMNS)
    for slug, path in zip(snakemake.params.keywords, output.by_mechanism, strict=True):
        write_csv(path, mechanism_rows(rows, slug), SCREENING_COLUMNS)
    write_csv(output.to_screen, rows, SCREENING_COLUMNS)
    log.info(
        "to_screen.csv: %d records; registered_trials.csv: %d; highlighted: %d; "
        "%d already cited by the essay; %d possible matches",
        len(rows),
        len(registered),
        len(highlighted),
        len(matches),
        len(possible),
    )
