"""Snakemake rule `classify`: every parsed record with its design, comparator and highlight.

Records stream through one at a time, so memory stays flat however many there are.
"""

from livescreen.classify import classify, load_vocabulary
from livescreen.files import iter_jsonl, write_jsonl
from livescreen.logs import logged

params = snakemake.params
with logged(snakemake.log[0]) as log:
    vocabulary = load_vocabulary({"vocabulary": params.vocabulary})
    counts = {"records": 0, "highlighted": 0}

    def classified():
        for record in iter_jsonl(snakemake.input[0]):
            record.update(classify(record, vocabulary, params.essay_date))
            counts["records"] += 1
            counts["highlighted"] += record["highlight"]
            yield record

    write_jsonl(snakemake.output[0], classified())
    log.info("classified %(records)d records; %(highlighted)d highlighted", counts)
