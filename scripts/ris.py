"""Snakemake rule `ris`: the screening tables as RIS files for Zotero and EndNote.

Which records, in which order, and their decisions come from `screening.json`, the screening
step's machine-readable output (never the CSVs reviewers edit); the bibliographic facts and
the classification come from the classified records and registrations.
"""

from livescreen.files import read_json, read_jsonl
from livescreen.logs import logged
from livescreen.ris import highlighted_entries, screening_rows, to_screen_entries, write_ris

inputs, outputs = snakemake.input, snakemake.output

with logged(snakemake.log[0]) as log:
    records = {record["pmid"]: record for record in read_jsonl(inputs.records)}
    registrations = {item["nct_id"]: item for item in read_jsonl(inputs.registrations)}
    to_screen, highlighted = screening_rows(read_json(inputs.screening))
    known = set(records) | set(registrations)
    for path, rows, entries in (
        (outputs.to_screen, to_screen, to_screen_entries(to_screen, records)),
        (
            outputs.highlighted,
            highlighted,
            highlighted_entries(highlighted, records, registrations),
        ),
    ):
        write_ris(path, entries)
        from_rows = [
            row.get("trial_id") if row.get("record_type") == "registration" else row["pmid"]
            for row in rows
        ]
        log.info(
            "%s: %d entries (%d from the table row alone: no longer in the data)",
            path,
            len(entries),
            sum(record_id not in known for record_id in from_rows),
        )
