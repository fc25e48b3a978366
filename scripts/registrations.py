"""Snakemake rule `registrations`: each registered study parsed and classified from its
structured fields (arm types, interventions, phase, status, dates)."""

from livescreen.classify import classify, load_vocabulary, record_from_registration
from livescreen.files import read_json, write_jsonl
from livescreen.logs import logged
from livescreen.parse.registrations import parse_studies

params = snakemake.params
with logged(snakemake.log[0]) as log:
    search = read_json(snakemake.input[0])
    settings = dict(params.settings)
    vocabulary = load_vocabulary(settings)
    registrations = [
        {
            **registration,
            **classify(record_from_registration(registration), vocabulary, settings["essay_date"]),
            "source": search["source"],
        }
        for registration in parse_studies(search["studies"])
    ]
    write_jsonl(snakemake.output[0], registrations)
    log.info(
        "%d registrations; %d highlighted",
        len(registrations),
        sum(r["highlight"] for r in registrations),
    )
