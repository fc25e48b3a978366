"""Snakemake rule `search`: every keyword's PubMed search -> results/search/{keyword}.json, one
log per keyword (logs/search/{keyword}.log), the keywords searched in a few threads of one
job under the shared rate limit (livescreen/search.py)."""

from pathlib import Path

from livescreen.files import write_json
from livescreen.logs import each_logged
from livescreen.search import run_search
from livescreen.sources import open_pubmed

params = snakemake.params
outputs = {Path(path).stem: path for path in snakemake.output}
logs = {Path(path).stem: path for path in snakemake.log}


def search(slug, log):
    source = open_pubmed(params.source)  # a client per keyword: its own session and count
    result = run_search(source, slug, params.queries[slug])
    log.info(
        "%s: Count %d, %d PMIDs, %d request(s) to %s",
        slug,
        result["count"],
        len(result["pmids"]),
        source.requests_sent,
        source.label,
    )
    write_json(outputs[slug], result)


each_logged(logs, search, workers=params.workers)
