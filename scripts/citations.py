"""Snakemake rule `citations`: citations chased from the essay's resolved references, the
highlighted records and the PMIDs linked to highlighted registrations
-> results/citations/chased.json (livescreen/other_sources.py)."""

from livescreen.files import read_json, read_jsonl, write_json
from livescreen.logs import logged
from livescreen.other_sources import citation_seeds, run_chase
from livescreen.sources.citations import open_citations

settings = snakemake.params.source
block = settings["citations"]
with logged(snakemake.log[0]) as log:
    references = read_json(snakemake.input.references)
    classified = read_jsonl(snakemake.input.classified)
    registrations = read_jsonl(snakemake.input.registrations)
    seeds = citation_seeds(references, classified, block["seeds"], registrations)
    source = open_citations(settings)
    chased = run_chase(source, seeds, depth=block["depth"], directions=block["directions"])
    log.info(
        "%d seed(s), %d PMID(s) found (%s), %d unknown to the source; %d request(s) to %s",
        len(seeds),
        len(chased["found"]),
        chased["counts"],
        len(chased["unknown"]),
        chased["requests"],
        chased["source_label"],
    )
    write_json(snakemake.output[0], chased)
