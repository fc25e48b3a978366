"""Snakemake rule `classify`: every parsed record with its design, comparator and highlight."""

from livescreen.classify import classify, load_vocabulary
from livescreen.logs import logged
from livescreen.tables import read_jsonl, write_jsonl

config = snakemake.config
with logged(snakemake.log[0]) as log:
    vocabulary = load_vocabulary(config)
    records = read_jsonl(snakemake.input[0])
    classified = [
        {**record, **classify(record, vocabulary, config["essay_date"])} for record in records
    ]
    write_jsonl(snakemake.output[0], classified)
    log.info(
        "classified %d records; %d highlighted",
        len(classified),
        sum(record["highlight"] for record in classified),
    )
