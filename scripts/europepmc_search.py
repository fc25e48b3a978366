"""Snakemake rule `europepmc_search`: one keyword's PubMed query translated to Europe PMC and
searched, every page -> results/europepmc/{keyword}.json (livescreen/other_sources.py)."""

from livescreen.files import write_json
from livescreen.logs import logged
from livescreen.other_sources import open_europepmc, run_europepmc_search

params = snakemake.params
with logged(snakemake.log[0]) as log:
    slug = snakemake.wildcards.keyword
    source = open_europepmc(params.source)
    preprints = params.source["europepmc"]["preprints"]
    result = run_europepmc_search(source, slug, params.query, preprints=preprints)
    log.info("%s: translated to Europe PMC: %s", slug, result["query"])
    log.info("%s: translation notes: %s", slug, "; ".join(result["translation_notes"]) or "none")
    log.info(
        "%s: hitCount %d, %d records, %d page(s), %d request(s) to %s",
        slug,
        result["total"],
        result["retrieved"],
        result["pages"],
        result["requests"],
        result["source_label"],
    )
    write_json(snakemake.output[0], result)
