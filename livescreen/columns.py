"""Every table's columns, in one place: what livescreen writes, so that anything else a
reviewer finds in a table is a column the reviewer added (kept with the decisions).

README "Outputs" explains each column.
"""

from __future__ import annotations

# The label of a bundled snapshot record's abstract: a summary written for livescreen, which
# exports must not pass off as the publisher's abstract.
SUMMARY_LABEL = "SUMMARY (written for livescreen; not the publisher's abstract)"

# What a reviewer records on a row: the decision store's columns (livescreen.review.decisions).
DECISION_COLUMNS = ["decision", "exclusion_reason", "reviewer", "notes"]

# The record: every source's records have exactly these fields (livescreen.parse.pubmed_xml
# documents each), whatever else a source adds.
RECORD_KEYS: tuple[str, ...] = (
    "pmid",
    "doi",
    "pmcid",
    "title",
    "abstract",
    "authors",
    "journal",
    "journal_title",
    "volume",
    "issue",
    "pages",
    "pub_date",
    "year",
    "epub_date",
    "entrez_date",
    "publication_types",
    "mesh",
    "mesh_major",
    "keywords",
    "language",
    "nct_ids",
    "status",
    "publication_status",
    "retraction_notices",
    "errata",
    "republished_in",
    "expression_of_concern",
    "retracted",
    "article_kind",
)
# The fields that hold lists (the others hold text, a year or a flag).
RECORD_LIST_FIELDS = frozenset(
    {
        "authors",
        "publication_types",
        "mesh",
        "mesh_major",
        "keywords",
        "language",
        "nct_ids",
        "retraction_notices",
        "errata",
        "republished_in",
        "expression_of_concern",
    }
)

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
    "record_id",  # the row's id: the PMID, or for a record only database exports found its
    # PMID, doi:<doi> or import:<hash> (livescreen.dedup.works)
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
    "found_by",  # every source (PubMed with its keywords, each database export) that found it
    "pubmed_url",
    "pmcid",
    "nct_ids",
    "mesh",
    "keywords",
    "language",
    "retraction_notices",
    "errata",
    "essay_note",
    "related",  # related works linked, not merged: preprint/article, erratum, abstract
    "member_ids",  # every id the work's copies were screened under; decisions follow them
    "imported_from",  # file:line of each database export's copy
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

# possible_duplicates.csv: pairs across sources too close to call, never merged silently.
POSSIBLE_DUPLICATE_COLUMNS = [
    "record_id",
    "other_record_id",
    "title",
    "other_title",
    "found_by",
    "other_found_by",
    "rule",
    "reason",
]

# merged_duplicates.csv: why each copy was merged into its work (one row per merging pair).
MERGED_DUPLICATE_COLUMNS = ["record_id", "copy", "other_copy", "rule", "reason"]

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
    # the keyword's Europe PMC search (PRISMA-S): its source, the query as translated and
    # sent, where the translation differs in meaning, and its hits (empty when disabled)
    "europepmc_source",
    "europepmc_query",
    "europepmc_translation_notes",
    "europepmc_count",
]

# Every column livescreen writes into a table reviewers may edit.
LIVESCREEN_COLUMNS = frozenset(
    [*HIGHLIGHT_COLUMNS, *REGISTRATION_COLUMNS, *ESSAY_TABLE_COLUMNS, "record_id"]
)
