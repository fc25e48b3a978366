"""Snakemake rule `registry_search`: ClinicalTrials.gov search -> results/registry/studies.json."""

import datetime as dt

from livescreen.files import write_json
from livescreen.logs import logged
from livescreen.sources.registry import open_registry

with logged(snakemake.log[0]) as log:
    registry = open_registry(snakemake.params.source)
    result = registry.search_studies()
    result["run_date"] = dt.date.today().isoformat()
    log.info(
        "%d studies in %d page(s), %d request(s) to %s",
        result["total"],
        result["pages"],
        registry.requests_sent,
        registry.label,
    )
    write_json(snakemake.output[0], result)
