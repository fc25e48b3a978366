"""Snakemake rule `europepmc_search`: every keyword's PubMed query translated to Europe PMC and
searched, every page -> results/europepmc/{keyword}.json, one log per keyword, the keywords
searched in a few threads of one job under the shared rate limit
(livescreen/other_sources.py)."""

from pathlib import Path

from livescreen.files import write_json
from livescreen.logs import each_logged
from livescreen.other_sources import open_europepmc, run_europepmc_search

params = snakemake.params
outputs = {Path(path).stem: path for path in snakemake.output}
logs = {Path(path).stem: path for path in snakemake.log}
preprints = params.source["europepmc"]["preprints"]


def search(slug, log):
    source = open_europepmc(params.source)
    result = run_europepmc_search(source, slug, params.queries[slug], preprints=preprints)
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
    write_json(outputs[slug], result)


each_logged(logs, search, workers=params.workers)
