"""Snakemake rule `europepmc_records`: every keyword's Europe PMC records, one per Europe PMC
id with the keywords that found it -> results/data/europepmc.jsonl (and a summary)."""

from livescreen.files import read_json
from livescreen.logs import logged
from livescreen.other_sources import write_europepmc

inputs, output = snakemake.input, snakemake.output
with logged(snakemake.log[0]) as log:
    searches = [read_json(path) for path in inputs.searches]
    pubmed = [read_json(path) for path in inputs.pubmed]
    summary = write_europepmc(searches, pubmed, output.records, output.summary)
    log.info(
        "Europe PMC: %(records)d records (%(preprints)d preprints, %(in_pubmed_searches)d "
        "also found by PubMed's searches) from %(requests)d request(s)",
        summary,
    )
