"""Snakemake rule `asreview_dataset`: the screening tables as a dataset for ASReview LAB.

Which records, in which order, and their decisions come from `screening.json`, the screening
step's machine-readable output (never the CSVs reviewers edit). `livescreen asreview-import`
brings ASReview's labels back into the decision store.
"""

from livescreen.export.asreview import write_dataset
from livescreen.files import read_json
from livescreen.logs import logged

with logged(snakemake.log[0]) as log:
    for line in write_dataset(snakemake.output[0], read_json(snakemake.input.screening)):
        log.info(line)
