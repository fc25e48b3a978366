import datetime as dt

from livescreen.config import keyword, keyword_slugs, validate_config
from livescreen.search import full_query

# Check config (schemas/config.schema.yaml) before any rule runs or any request is sent;
# the error names each offending key. Defaults are filled in here.
config.update(validate_config(config))

KEYWORDS = keyword_slugs(config)
STORE = config["store"]
# A search is rerun when this changes, so a scheduled run searches PubMed and the registry
# again each day;
# `--forcerun search registry_search` searches again the same day.
SEARCH_DAY = dt.date.today().isoformat()


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
