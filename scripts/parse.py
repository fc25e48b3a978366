"""Snakemake rule `parse`: stored PubMed XML of the fetched PMIDs -> results/data/records.jsonl."""

from livescreen.fetch import RecordStore, ensure_complete
from livescreen.logs import logged
from livescreen.pubmed_xml import iter_articles
from livescreen.tables import read_json, write_jsonl

with logged(snakemake.log[0]) as log:
    pmids = read_json(snakemake.input[0])["pmids"]
    with RecordStore(snakemake.params.store).open_xml(pmids) as xml:
        write_jsonl(snakemake.output[0], ensure_complete(pmids, iter_articles(xml)))
    log.info("parsed %d records", len(pmids))
