"""Snakemake rule `parse`: stored PubMed XML of the fetched PMIDs -> results/data/records.jsonl."""

from livescreen.fetch import RecordStore, ensure_complete, unreadable_store
from livescreen.files import read_json, write_jsonl
from livescreen.logs import logged
from livescreen.parse.pubmed_xml import PubmedXmlError, iter_articles

with logged(snakemake.log[0]) as log:
    pmids = read_json(snakemake.input[0])["pmids"]
    store = RecordStore(snakemake.params.store)
    try:
        with store.open_xml(pmids) as xml:
            write_jsonl(snakemake.output[0], ensure_complete(pmids, iter_articles(xml)))
    except PubmedXmlError as exc:
        raise unreadable_store(store, pmids, exc) from None
    log.info("parsed %d records", len(pmids))
