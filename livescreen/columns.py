"""Every table's columns, in one place: what livescreen writes, so that anything else a
reviewer finds in a table is a column the reviewer added (kept with the decisions).

README "Outputs" explains each column.
"""

from __future__ import annotations

# What a reviewer records on a row: the decision store's columns (livescreen.review.decisions).
DECISION_COLUMNS = ["decision", "exclusion_reason", "reviewer", "notes"]

CLASSIFICATION_COLUMNS = [
    "design",
    "involves_mdma",
    "comparator",
    "established_treatments",
    "relation_to_established",
    "new_since_essay",
    "retracted",
    "highlight",
    "highlight_reason",
    "mechanism_measures",
    "mechanism_analysis",
]

# The reviewers' columns (livescreen.review.decisions) and the run-tracking columns
# (livescreen.review.updates), in every screening table right after the record id.
REVIEW_COLUMNS = [*DECISION_COLUMNS, "new_this_run", "priority", "relevance", "priority_reason"]
TRACKING_COLUMNS = ["first_seen", "still_found", "conflict"]

# to_screen.csv and every screening table, in order.
SCREENING_COLUMNS = [
    "pmid",
    *REVIEW_COLUMNS,
    "title",
    "abstract",  # beside the title: title/abstract screening reads the two together
    *CLASSIFICATION_COLUMNS,
    "year",
    "pub_date",
    "authors",
    "journal",
    "doi",
    "publication_types",
    "mechanisms",
    "pubmed_url",
    "pmcid",
    "nct_ids",
    "mesh",
    "keywords",
    "language",
    "retraction_notices",
    "errata",
    "essay_note",
    *TRACKING_COLUMNS,
    "source",
    "retrieved",
]

# registered_trials.csv, in order.
REGISTRATION_COLUMNS = [
    "nct_id",
    *REVIEW_COLUMNS,
    "title",
    "acronym",
    "status",
    "phase",
    "allocation",
    "start_date",
    "completion_date",
    "enrollment",
    "arms",
    "design",
    "comparator",
    "established_treatments",
    "relation_to_established",
    "new_since_essay",
    "highlight",
    "highlight_reason",
    "mechanism_measures",
    "mechanism_analysis",
    "linked_pmids",
    "registry_url",
    *TRACKING_COLUMNS,
    "source",
]

# highlighted_trials.csv: publications and registrations together. `trial_id` is the NCT id
# where one is known, so a registration and the papers reporting it count as one trial.
HIGHLIGHT_COLUMNS = [
    "record_type",
    "trial_id",
    *SCREENING_COLUMNS,
    "status",
    "phase",
    "linked_pmids",
    "registry_url",
]

ESSAY_MATCH_COLUMNS = ["pmid", "essay_ref", "method", "score", "essay_title", "record_title"]
POSSIBLE_MATCH_COLUMNS = [*ESSAY_MATCH_COLUMNS, "reason"]
ESSAY_TABLE_COLUMNS = [*ESSAY_MATCH_COLUMNS, *DECISION_COLUMNS]

SEARCH_LOG_COLUMNS = [
    "keyword",
    "query",
    "translation",
    "count",
    "retrieved",
    "warnings",
    "date_windows",
    "run_date",
    "source",
]

# Every column livescreen writes into a table reviewers may edit.
LIVESCREEN_COLUMNS = frozenset(
    [*HIGHLIGHT_COLUMNS, *REGISTRATION_COLUMNS, *ESSAY_TABLE_COLUMNS, "record_id"]
)
