"""Snakemake rule `citation_records`: the PMIDs citation chasing found, fetched through the
PubMed source into the record store (only those not stored, once PubMed says it holds them:
the others are left out and listed as `not_in_pubmed` in fetched.json) and parsed
-> results/data/citation_records.jsonl (livescreen/other_sources.py)."""

from livescreen.fetch import RecordStore
from livescreen.files import read_json, write_json
from livescreen.logs import logged
from livescreen.other_sources import fetch_chased
from livescreen.sources import open_pubmed

settings, inputs, output = snakemake.params.source, snakemake.input, snakemake.output
with logged(snakemake.log[0]) as log:
    chased = read_json(inputs.chased)
    pubmed = [read_json(path) for path in inputs.pubmed]
    source = open_pubmed(settings)
    store = RecordStore(snakemake.params.store)
    batch = settings["batch_size"]
    stats = fetch_chased(source, store, chased, pubmed, batch, output.records)
    stats["requests"] = source.requests_sent
    log.info("citation records: %s; %d request(s) to %s", stats, source.requests_sent, source.label)
    write_json(output.fetched, stats)
