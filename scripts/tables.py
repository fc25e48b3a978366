"""Snakemake rule `screening_tables`: reviewers' edits into the decision store, then the
screening tables, workbook and run folder rebuilt from it (livescreen/screening.py)."""

from pathlib import Path

from livescreen.logs import logged
from livescreen.screening import Inputs, build, write_outputs

inputs, params, output = snakemake.input, snakemake.params, snakemake.output
with logged(snakemake.log[0]) as log:
    result = build(
        Inputs(
            inputs.records,
            inputs.registrations,
            list(inputs.searches),
            inputs.references,
            inputs.registry,
        ),
        screening=Path(output.manifest).parent,
        decisions=Path(params.decisions),
        runs=Path(params.runs),
        store=params.store,
        keywords=list(params.keywords),
        essay_title_match=dict(params.essay_title_match),
        exclusion_reasons=list(params.exclusion_reasons),
        workbook=dict(params.workbook),
        reviewers=list(params.reviewers),
        log=log,
    )
    write_outputs(result, output.screening, output.manifest)
    log.info(
        "to_screen %(to_screen)d, registered %(registered)d, highlighted %(highlighted)d, "
        "essay matches %(essay_matches)d, decisions recorded %(decisions_recorded)d; "
        "run folder %(run_folder)s",
        result,
    )
