"""A record retitled and retracted upstream after it was fetched: the next scheduled run asks
PubMed which stored records changed, fetches that one again, reports it and takes its
highlight away (`snakemake --cores 4` in a temporary copy of the project, against the
loopback E-utilities stand-in)."""

import datetime as dt
import json
import sqlite3
from contextlib import closing

import pytest

from livescreen.files import read_json
from livescreen.sources.snapshot import article_xml
from tests.conftest import ROOT
from tests.support.standin import DEFAULT_MDAT, retracted_version
from tests.test_workflow import copy_project, csv_rows, live, snakemake

pytestmark = pytest.mark.workflow

PMID = "38174611"  # a snapshot record the searches find and the essay does not cite
# The bundled snapshot holds no highlighted publication, so upstream this PMID first serves
# a constructed hard case the classifier highlights (livescreen/data/evaluation/hard_cases.json).
TRIAL = "MDMA-assisted therapy versus trauma-focused cognitive behavioural therapy"


def highlighted_trial(pmid):
    path = ROOT / "livescreen" / "data" / "evaluation" / "hard_cases.json"
    cases = json.loads(path.read_text("utf-8"))
    case = next(c for c in cases if c["title"].startswith(TRIAL))
    return article_xml({**case, "pmid": pmid, "journal": "J Psychopharmacol", "authors": ["Doe J"]})


def as_if_fetched_days_ago(workdir, days):
    """Date every stored record back, as if the first run had been `days` days ago; the
    workflow itself cannot be run on another day."""
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    store = workdir / "results" / "store" / "records.sqlite"
    with closing(sqlite3.connect(store)) as db, db:
        db.execute("UPDATE articles SET fetched_at = ?", (earlier.isoformat(timespec="seconds"),))


def test_a_record_retitled_and_retracted_upstream_is_reported_and_unhighlighted(
    tmp_path, standin, ctgov_standin, raw_config
):
    workdir = copy_project(tmp_path, ctgov_standin.base_url)
    standin.update_article(PMID, highlighted_trial(PMID), DEFAULT_MDAT)
    snakemake(workdir, *live(standin))
    screening = workdir / "results" / "screening"
    before = next(r for r in csv_rows(screening / "to_screen.csv") if r["pmid"] == PMID)
    assert (before["highlight"], before["retracted"]) == ("true", "false")
    pmid, title = PMID, f"RETRACTED: {before['title']}"

    # upstream, today: a new title, "Retracted Publication" and a RetractionIn notice
    retracted = retracted_version(highlighted_trial(PMID), title)
    standin.update_article(pmid, retracted, dt.datetime.now(dt.UTC).date())
    as_if_fetched_days_ago(workdir, 1)
    standin.reset()
    snakemake(workdir, "--forcerun", "search", *live(standin))

    # one change check (all stored PMIDs fit one), one efetch for the changed record
    keywords = len(raw_config["keywords"])
    checks = [r for r in standin.recorded("esearch") if r.params.get("datetype") == "mdat"]
    assert len(checks) == 1 and len(standin.recorded("esearch")) == keywords + 1
    (refetch,) = standin.recorded("efetch")
    assert refetch.params["id"] == pmid
    fetched = read_json(workdir / "results" / "data" / "fetched.json")
    assert fetched["change_check_requests"] == 1 and fetched["fetched"] == 0
    assert fetched["refetched_pmids"] == fetched["changed_pmids"] == [pmid]

    # the tables: new title, retracted, no longer highlighted
    row = next(r for r in csv_rows(screening / "to_screen.csv") if r["pmid"] == pmid)
    assert row["title"] == title
    assert (row["retracted"], row["highlight"]) == ("true", "false")
    assert pmid not in {r.get("pmid") for r in csv_rows(screening / "highlighted_trials.csv")}

    # the run's changes.csv and the summary report it
    runs = workdir / "results" / "runs"
    latest = max(path for path in runs.iterdir() if path.is_dir())
    changes = {c["change"] for c in csv_rows(latest / "changes.csv") if c["record_id"] == pmid}
    assert {"metadata_changed", "newly_retracted"} <= changes
    summary = (runs / "latest_summary.md").read_text(encoding="utf-8")
    assert "metadata changed: 1; newly retracted: 1;" in summary
