"""Snakemake rule `screening_tables`: reviewers' edits into the decision store, then the
screening tables, workbook and run folder rebuilt from it (livescreen/review/screening.py)."""

from pathlib import Path

from livescreen.logs import logged
from livescreen.review.screening import Inputs, build, summary_line, write_outputs

params, output = snakemake.params, snakemake.output
with logged(snakemake.log[0]) as log:
    result = build(
        Inputs.of_rule(snakemake.input),
        screening=Path(output.manifest).parent,
        decisions=Path(params.decisions),
        runs=Path(params.runs),
        store=params.store,
        keywords=list(params.keywords),
        essay_title_match=dict(params.essay_title_match),
        exclusion_reasons=list(params.exclusion_reasons),
        workbook=dict(params.workbook),
        reviewers=list(params.reviewers),
        order=params.order,
        stopping_rule=dict(params.stopping),
        second_matcher=params.second_matcher,
        memo=Path(params.memo),
        log=log,
    )
    write_outputs(result, output.screening, output.manifest)
    log.info(summary_line(result))
