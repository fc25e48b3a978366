"""Snakemake rule `ris`: the screening tables as RIS files for Zotero and EndNote.

Which records, in which order, and their decisions come from `screening.json`, the screening
step's machine-readable output (never the CSVs reviewers edit); the bibliographic facts and
the classification come from the classified records and registrations.
"""

from livescreen.export.ris import write_exports
from livescreen.files import read_json, read_jsonl
from livescreen.logs import logged

inputs, outputs = snakemake.input, snakemake.output
with logged(snakemake.log[0]) as log:
    records = {record["pmid"]: record for record in read_jsonl(inputs.records)}
    registrations = {item["nct_id"]: item for item in read_jsonl(inputs.registrations)}
    screening = read_json(inputs.screening)
    for line in write_exports(
        records, registrations, screening, outputs.to_screen, outputs.highlighted
    ):
        log.info(line)
