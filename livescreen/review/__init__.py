"""Review: the screening step and everything reviewers read and edit.

- `screening`: the step itself (`build()`), from classified records to tables and
  `screening.json`.
- `decisions`: the append-only decision store, the truth; `views`: the tables as views of
  it, and the harvest of reviewers' edits; `spreadsheet`: the one tolerant reader of their
  files.
- `tables`, `workbook`: the CSVs and the Excel workbook; `dual_screening`: two reviewers.
- `updates`, `runs`: what each living-review run found, changed and reported.
"""
