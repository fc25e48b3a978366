import datetime as dt
import sys
import time

from livescreen.classify import load_vocabulary
from livescreen.config import keyword_slugs, validate_config
from livescreen.errors import LivescreenError
from livescreen.search import full_query
from livescreen.sources.imports import configured_files
from livescreen.terminal import failure_lines, success_lines
from livescreen.review.views import start_up_harvest

# Check config (livescreen/data/config.schema.yaml) before any rule runs or any request is sent;
# the error names each offending key. Defaults are filled in here.
config.update(validate_config(config))

KEYWORDS = keyword_slugs(config)
STORE = config["store"]
# A search is rerun when this changes, so a scheduled run searches PubMed and the registry
# again each day;
# `--forcerun search registry_search` searches again the same day.
SEARCH_DAY = dt.date.today().isoformat()
STARTED = time.time()  # logs written after this belong to this invocation

# threads of the one job that searches every keyword (rules/search.smk): requests in flight
# at once, all under the shared rate limit; network waits, not CPUs, so not `threads:`
NETWORK_WORKERS = 4
SCREENING = "results/screening"
# results a step reads back when what they are made from did not change (livescreen/memo.py)
MEMO = "results/.memo"
SCREENING_OUTPUTS = [f"{SCREENING}/tables.json", f"{SCREENING}/screening.json"]
# Before anything else, on every invocation: reviewers' saved edits go into the decision
# store. The screening step reruns whenever the store changed (same day or not), so the
# tables always show it; a bad edit stops here, before any request, with one message.
try:
    DECISIONS_STATE = start_up_harvest(
        SCREENING, config["decisions"], SCREENING_OUTPUTS
    )
except LivescreenError as error:
    sys.exit(
        f"livescreen: {error}\nNothing was recorded or rewritten; fix it and run again."
    )


def classification_settings():
    """Everything besides a record that decides its classification: a change reclassifies."""
    return {
        "essay_date": config["essay_date"],
        "vocabulary": config.get("vocabulary", {}),
        "mechanism_instruments": config.get("mechanism_instruments"),
        "keywords": [{"slug": slug} for slug in KEYWORDS],
    }


# What the network steps need to reach their source, passed as params (never the API key:
# that comes only from the environment, so it stays out of Snakemake's metadata). Changing
# one, e.g. the base URL, reruns the steps that use it.
CONNECTION = ("timeout", "max_retries", "requests_per_second", "email", "tool")


def pubmed_source():
    """The PubMed source's settings: live E-utilities or the bundled snapshot."""
    keys = ("source", "snapshot", "eutils_base_url", "batch_size", *CONNECTION)
    return {key: config[key] for key in keys if key in config}


def registry_source():
    """The registry's settings: ClinicalTrials.gov or the bundled registrations."""
    keys = ("source", "registry", "ctgov_base_url", *CONNECTION)
    return {key: config[key] for key in keys if key in config}


def europepmc_source():
    """Europe PMC's settings (its block, timeout, retries): the live REST API
    or, with `source: snapshot`, the bundled records answering for it. No key."""
    keys = ("source", "snapshot", "europepmc", "timeout", "max_retries")
    return {key: config[key] for key in keys if key in config}


def citation_source():
    """Citation chasing's settings: iCite (no key), ELink through PubMed's
    settings (the key from the environment only), or the snapshot (no links)."""
    return {**pubmed_source(), "citations": config["citations"]}


# The vocabulary and the mechanism instruments are checked before anything runs, too
# (a mechanism keyed by a keyword that no longer exists names its key).
try:
    load_vocabulary(classification_settings())
except LivescreenError as error:
    sys.exit(f"livescreen: {error}")


# Database exports (config `imports:`, README "Database exports"): every glob must match a
# file, checked here before anything runs; the files are the `imports` rule's inputs.
try:
    IMPORT_FILES = configured_files(config["imports"], ".")
except LivescreenError as error:
    sys.exit(f"livescreen: {error}")


def import_files(wildcards=None):
    return [path for files in IMPORT_FILES for path in files]


def import_summary(wildcards=None):
    return ["results/data/imports.json"] if config["imports"] else []


def imported_records(wildcards=None):
    """The screening step's imported records (classified) and their summary; none when
    config names no export, so the default workflow has no import step."""
    if not config["imports"]:
        return []
    return ["results/data/imported_classified.jsonl", "results/data/imports.json"]


def second_opinion(wildcards=None):
    """The second matcher's duplicate pairs (config `deduplicate.second_matcher`), for the
    screening step; none with `none`, so the default workflow has no such step."""
    if config["deduplicate"]["second_matcher"] == "none":
        return []
    return ["results/data/second_matcher_pairs.json"]


def europepmc_results(wildcards=None):
    if not config["europepmc"]["enabled"]:
        return []
    return expand("results/europepmc/{keyword}.json", keyword=KEYWORDS)


def other_source_records(wildcards=None):
    """The classified records of Europe PMC and of citation chasing, each when enabled
    (config `europepmc.enabled`, `citations.enabled`); none when both are off. Records are
    shaped like the database exports' (record_id, source, import_ids, found_by)."""
    files = []
    if config["europepmc"]["enabled"]:
        files.append("results/data/europepmc_classified.jsonl")
    if config["citations"]["enabled"]:
        files.append("results/data/citation_classified.jsonl")
    return files


def other_source_summaries(wildcards=None):
    """What Europe PMC and citation chasing searched and found, for PRISMA and PRISMA-S."""
    files = []
    if config["europepmc"]["enabled"]:
        files.append("results/data/europepmc.json")
    if config["citations"]["enabled"]:
        files.append("results/citations/chased.json")
    return files


def all_outputs():
    return [
        "results/search_log.csv",
        "results/screening/tables.json",
        "results/report/search_documentation.html",
        "results/screening/to_screen.ris",
        "results/screening/highlighted_trials.ris",
        "results/exports/asreview_dataset.csv",
        "results/prisma/flow.svg",
        "results/references/essay_references.csv",
    ]


def search_results(wildcards=None):
    return expand("results/search/{keyword}.json", keyword=KEYWORDS)


def search_queries():
    """Each keyword's query as sent, by slug."""
    return {
        entry["slug"]: full_query(
            entry["query"], config["mdma_terms"], config["ptsd_terms"]
        )
        for entry in config["keywords"]
    }
