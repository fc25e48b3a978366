"""Shared test fixtures: the project root, ../shared (skipped when absent), a fresh config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture
def shared() -> Path:
    """../shared beside the project: read-only material tests use when it is present."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def raw_config() -> dict:
    """config.yaml as shipped, unvalidated."""
    return yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def private_rate_dir(tmp_path_factory, monkeypatch):
    """Each test gets its own rate-limiter files, so tests never wait for each other."""
    monkeypatch.setenv("LIVESCREEN_RATE_DIR", str(tmp_path_factory.mktemp("rate")))
    monkeypatch.delenv("NCBI_API_KEY", raising=False)


@pytest.fixture(scope="session")
def snapshot():
    """The bundled offline snapshot (also the stand-in's corpus)."""
    from livescreen.sources.snapshot import Snapshot

    return Snapshot(ROOT / "resources" / "snapshot" / "snapshot_records.json")


@pytest.fixture
def standin(snapshot):
    """A loopback E-utilities server answering from the snapshot's records."""
    from livescreen.errors import QueryError
    from tests.support.standin import EutilsStandIn, StandInQueryError

    def search(term, mindate, maxdate):
        try:
            return snapshot.esearch(term, retmax=10**9, mindate=mindate, maxdate=maxdate).ids
        except QueryError as error:
            raise StandInQueryError("FieldNotFound", str(error)) from None

    answers: dict[str, object] = {}  # ECitMatch answers by citation key, set by each test

    with EutilsStandIn(
        search, snapshot.articles, citmatch=lambda c: answers.get(c["key"])
    ) as server:
        server.citmatch_answers = answers
        yield server
        assert not server.errors, server.errors


@pytest.fixture
def ctgov_standin():
    """A loopback ClinicalTrials.gov API v2 serving the bundled registrations."""
    import json

    from livescreen.sources.registry import study_json, study_matches
    from tests.support.ctgov_standin import CtgovStandIn

    bundled = ROOT / "resources" / "snapshot" / "registered_trials.json"
    studies = [study_json(item) for item in json.loads(bundled.read_text(encoding="utf-8"))]

    def match(params, study):
        return study_matches(study, params.get("query.cond", ""), params.get("query.intr", ""))

    with CtgovStandIn(studies, match=match) as server:
        yield server
        assert not server.errors, server.errors
