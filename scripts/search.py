"""Snakemake rule `search`: one keyword's PubMed search -> results/search/{keyword}.json."""

from livescreen.files import write_json
from livescreen.logs import logged
from livescreen.search import run_search
from livescreen.sources import open_pubmed

with logged(snakemake.log[0]) as log:
    slug = snakemake.wildcards.keyword
    source = open_pubmed(snakemake.params.source)
    result = run_search(source, slug, snakemake.params.query)
    log.info(
        "%s: Count %d, %d PMIDs, %d request(s) to %s",
        slug,
        result["count"],
        len(result["pmids"]),
        source.requests_sent,
        source.label,
    )
    write_json(snakemake.output[0], result)
