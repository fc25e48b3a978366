"""Snakemake rule `references`: the essay's reference list, parsed and resolved to PubMed."""

from collections import Counter

from livescreen.files import write_csv, write_json
from livescreen.logs import logged
from livescreen.references.parse import REFERENCE_COLUMNS, read_reference_list
from livescreen.references.resolve import RESOLUTION_COLUMNS, resolve_references
from livescreen.sources import open_pubmed

with logged(snakemake.log[0]) as log:
    references = read_reference_list(snakemake.input[0])
    source = open_pubmed(snakemake.params.source)
    resolved = resolve_references(references, source, title_match=snakemake.params.title_match)
    by_method = Counter(ref["method"] for ref in resolved)
    log.info(
        "%d references; by method: %s; %d request(s) to %s",
        len(resolved),
        dict(by_method),
        source.requests_sent,
        source.label,
    )
    write_json(snakemake.output.data, resolved)
    write_csv(snakemake.output.table, resolved, REFERENCE_COLUMNS + RESOLUTION_COLUMNS)
