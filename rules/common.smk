import datetime as dt
import sys
import time

from livescreen.classify import load_vocabulary
from livescreen.config import keyword, keyword_slugs, validate_config
from livescreen.errors import LivescreenError
from livescreen.search import full_query
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

SCREENING = "results/screening"
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


# The vocabulary and the mechanism instruments are checked before anything runs, too
# (a mechanism keyed by a keyword that no longer exists names its key).
try:
    load_vocabulary(classification_settings())
except LivescreenError as error:
    sys.exit(f"livescreen: {error}")


def all_outputs():
    return [
        "results/search_log.csv",
        "results/screening/tables.json",
        "results/report/search_documentation.html",
        "results/screening/to_screen.ris",
        "results/screening/highlighted_trials.ris",
        "results/prisma/flow.svg",
        "results/references/essay_references.csv",
    ]


def search_results(wildcards=None):
    return expand("results/search/{keyword}.json", keyword=KEYWORDS)


def search_query(wildcards):
    """The query as sent for one keyword; a changed query reruns that search."""
    entry = keyword(config, wildcards.keyword)
    return full_query(entry["query"], config["mdma_terms"], config["ptsd_terms"])
