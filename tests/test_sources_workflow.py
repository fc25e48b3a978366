"""Europe PMC and citation chasing in the whole workflow (`snakemake --cores 4` in a temporary
copy of the project): offline against the bundled snapshot, and live against loopback
stand-ins for E-utilities, ClinicalTrials.gov, Europe PMC and iCite, counting the requests
each source gets on a cold run and on a no-change rerun."""

from __future__ import annotations

import json
import math

import pytest
import yaml

from livescreen.dedup.essay import merge_search_hits
from livescreen.files import read_json, read_jsonl
from livescreen.search import full_query
from livescreen.sources.europepmc_query import to_europepmc
from livescreen.sources.snapshot import article_xml
from tests.support import loopback
from tests.support.citation_standin import IciteStandIn
from tests.support.europepmc_standin import EuropePmcStandIn, core_result, preprint_result
from tests.support.standin import DEFAULT_MDAT
from tests.test_europepmc import BUNDLED, QueryMatcher
from tests.test_upstream_changes import PMID as HIGHLIGHTED
from tests.test_upstream_changes import highlighted_trial
from tests.test_workflow import SNAPSHOT, STAND_INS, copy_project, csv_rows, live, snakemake

pytestmark = pytest.mark.workflow

KEY = "ncbi-secret-key-for-the-sources-test"
PAGE_SIZE = 3  # Europe PMC records per page in the live runs, so paging is exercised
ESSAY_SEED = "17716046"  # essay reference 3, in the bundled snapshot
NEW_CITING = "90000001"  # cites the highlighted trial and the essay's reference 3
NEW_CITING_ESSAY = "90000002"  # cites the essay's reference 3 only
FORWARD = "citation:forward of PMID {}"
BACKWARD = "citation:backward of PMID {}"


def keyword_queries(config):
    return {
        k["slug"]: full_query(k["query"], config["mdma_terms"], config["ptsd_terms"])
        for k in config["keywords"]
    }


def results_dir(workdir):
    return workdir / "results"


def test_offline_snapshot_writes_consistent_europepmc_and_citation_outputs(tmp_path, raw_config):
    workdir = copy_project(tmp_path)
    snakemake(workdir, *SNAPSHOT)
    results = results_dir(workdir)
    queries = keyword_queries(raw_config)
    pubmed = {slug: read_json(results / "search" / f"{slug}.json") for slug in queries}
    for slug, query in queries.items():
        search = read_json(results / "europepmc" / f"{slug}.json")
        translation = to_europepmc(query)
        assert (search["slug"], search["pubmed_query"]) == (slug, query)
        assert search["query"] == translation.query
        assert search["translation_notes"] == list(translation.notes)
        # offline, the snapshot answers for Europe PMC: what PubMed's search found
        assert [r["pmid"] for r in search["records"]] == pubmed[slug]["pmids"]
        assert search["total"] == search["retrieved"] == len(search["records"])

    in_pubmed = merge_search_hits(pubmed.values())
    records = read_jsonl(results / "data" / "europepmc.jsonl")
    assert len({r["record_id"] for r in records}) == len(records) == len(in_pubmed)
    for record in records:
        assert record["source"] == "Europe PMC" and record["in_pubmed_searches"]
        assert record["record_id"] == f"europepmc:MED:{record['pmid']}"
        assert record["europepmc_keywords"] == in_pubmed[record["pmid"]]
        assert record["found_by"] == [f"Europe PMC: {', '.join(in_pubmed[record['pmid']])}"]
        assert record["import_ids"][0] == record["pmid"]
        assert record["import_ids"][-1].startswith("import:")
    classified = read_jsonl(results / "data" / "europepmc_classified.jsonl")
    assert [r["record_id"] for r in classified] == [r["record_id"] for r in records]
    assert all(r["design"] and r["highlight_reason"] for r in classified)
    summary = read_json(results / "data" / "europepmc.json")
    assert summary["records"] == len(records) == summary["in_pubmed_searches"]
    assert summary["requests"] == len(queries)  # the snapshot counts one per search

    # citation chasing offline: the seeds are the essay's resolved references (the
    # snapshot holds no highlighted record); no links are bundled, so nothing is found
    references = read_json(results / "references" / "essay_references.json")
    chased = read_json(results / "citations" / "chased.json")
    resolved = [r["pmid"] for r in references if r["pmid"]]
    assert [s["pmid"] for s in chased["seeds"]] == list(dict.fromkeys(resolved))
    assert ESSAY_SEED in resolved
    assert chased["found"] == [] and chased["unknown"] == list(dict.fromkeys(resolved))
    assert (chased["depth"], chased["directions"]) == (1, ["forward", "backward"])
    assert read_jsonl(results / "data" / "citation_records.jsonl") == []
    assert read_jsonl(results / "data" / "citation_classified.jsonl") == []
    assert read_json(results / "citations" / "fetched.json")["requests"] == 0

    log = {row["keyword"]: row for row in csv_rows(results / "search_log.csv")}
    assert len(log) == len(queries)
    for slug, query in queries.items():
        assert log[slug]["europepmc_query"] == to_europepmc(query).query
        assert "preprints (SRC:PPR) included" in log[slug]["europepmc_translation_notes"]
        assert log[slug]["europepmc_source"].endswith("answering for Europe PMC")
        assert log[slug]["europepmc_count"] == str(len(pubmed[slug]["pmids"]))


def with_snapshot_settings(workdir, **settings):
    """Settings laid over the copy's offline overlay (.test/config/snapshot.yaml)."""
    overlay = workdir / SNAPSHOT[1]
    current = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    overlay.write_text(yaml.safe_dump({**current, **settings}), encoding="utf-8")


def test_switched_off_the_sources_leave_the_workflow(tmp_path):
    workdir = copy_project(tmp_path)
    with_snapshot_settings(workdir, europepmc={"enabled": False}, citations={"enabled": False})
    plan = snakemake(workdir, *SNAPSHOT, "-n").stdout
    for rule in ("europepmc_search", "europepmc_records", "citations", "citation_records"):
        assert f"rule {rule}:" not in plan
    assert "rule search:" in plan and "rule screening_tables:" in plan


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"citations": {"depth": 0}}, "citations.depth: 0 is less than the minimum of 1"),
        ({"citations": {"source": "lens"}}, "citations.source: 'lens' is not one of"),
        ({"europepmc": {"page_size": 5000}}, "europepmc.page_size: 5000 is greater than"),
        ({"europepmc": {"base_url": "ftp://x"}}, "europepmc.base_url: 'ftp://x' does not match"),
    ],
)
def test_a_bad_setting_names_its_key_before_anything_runs(tmp_path, settings, message):
    workdir = copy_project(tmp_path)
    with_snapshot_settings(workdir, **settings)
    result = snakemake(workdir, *SNAPSHOT, "-n", check=False)
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


# -- live, against loopback stand-ins -------------------------------------------------------


def new_article(pmid, title):
    return article_xml(
        {
            "pmid": pmid,
            "title": title,
            "summary": "A secondary analysis of MDMA-assisted therapy for PTSD.",
            "journal": "J Psychopharmacol",
            "authors": ["Roe R"],
            "pub_date": "2024-02",
            "publication_types": ["Journal Article"],
        }
    )


@pytest.fixture
def epmc(raw_config):
    """Europe PMC: the bundled records as MED results, two preprints (one of them the
    preprint of a bundled article); each keyword's translated query evaluated as PubMed's."""
    raw = json.loads(BUNDLED.read_text(encoding="utf-8"))
    results = [core_result(item) for item in raw]
    results += [
        preprint_result(
            "PPR400001",
            "Therapeutic alliance and empathy in MDMA-assisted therapy for PTSD (preprint)",
            published_pmid=raw[0]["pmid"],
        ),
        preprint_result("PPR400002", "Memory reconsolidation under MDMA in PTSD: a preprint"),
    ]
    matcher = QueryMatcher()
    for query in keyword_queries(raw_config).values():
        matcher.register(query)
    with EuropePmcStandIn(results, match=matcher) as server:
        server.matcher = matcher
        yield server
        assert not server.errors, server.errors


@pytest.fixture
def icite():
    """iCite: a new record citing the highlighted trial and the essay's reference 3, another
    citing reference 3; the highlighted trial cites a record PubMed's searches find."""
    graph = {
        NEW_CITING: [HIGHLIGHTED, ESSAY_SEED],
        NEW_CITING_ESSAY: [ESSAY_SEED],
        HIGHLIGHTED: ["27118529"],
    }
    with IciteStandIn(graph) as server:
        yield server
        assert not server.errors, server.errors


def with_other_sources(workdir, epmc, icite):
    overlay = workdir / STAND_INS
    settings = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    settings["europepmc"] = {"enabled": True, "base_url": epmc.base_url, "page_size": PAGE_SIZE}
    settings["citations"] = {"enabled": True, "icite_base_url": icite.base_url}
    overlay.write_text(yaml.safe_dump(settings), encoding="utf-8")


def expected_pages(epmc, raw_config):
    """The minimum Europe PMC requests: per keyword ⌈hits / page size⌉, one for no hit."""
    from livescreen.sources.europepmc import parse_result
    from livescreen.sources.query import matches, parse_query

    pages = {}
    for slug, query in keyword_queries(raw_config).items():
        node = parse_query(query)
        hits = sum(1 for r in epmc.results if matches(node, parse_result(r)))
        pages[slug] = max(1, math.ceil(hits / PAGE_SIZE))
    return pages


def counts(standin, ctgov, epmc, icite):
    return {
        "eutils": {
            name: len(standin.recorded(name)) for name in ("esearch", "efetch", "ecitmatch")
        },
        "ctgov": len(ctgov.recorded()),
        "europepmc": len(epmc.recorded()),
        "icite": len(icite.recorded()),
    }


def assert_no_key_sent(*servers):
    for server in servers:
        for request in server.recorded():
            assert KEY not in request.path and KEY.encode() not in request.body
            assert all(KEY not in value for value in request.headers.values())


def test_live_run_searches_europepmc_and_chases_citations_with_minimum_requests(
    tmp_path, standin, ctgov_standin, epmc, icite, raw_config
):
    workdir = copy_project(tmp_path, ctgov_standin.base_url)
    with_other_sources(workdir, epmc, icite)
    standin.update_article(HIGHLIGHTED, highlighted_trial(HIGHLIGHTED), DEFAULT_MDAT)
    standin.update_article(NEW_CITING, new_article(NEW_CITING, "Trust after MDMA"), DEFAULT_MDAT)
    standin.update_article(
        NEW_CITING_ESSAY, new_article(NEW_CITING_ESSAY, "Alliance in MDMA therapy"), DEFAULT_MDAT
    )
    env = {"NCBI_API_KEY": KEY}
    snakemake(workdir, *live(standin), env=env)
    cold = counts(standin, ctgov_standin, epmc, icite)
    results = results_dir(workdir)

    # Europe PMC: every keyword, every page and no more, at most 5 requests a second
    pages = expected_pages(epmc, raw_config)
    assert cold["europepmc"] == sum(pages.values())
    by_query = {}
    for request in epmc.recorded():
        by_query[request.params["query"]] = by_query.get(request.params["query"], 0) + 1
        assert request.params["pageSize"] == str(PAGE_SIZE)
    queries = keyword_queries(raw_config)
    assert by_query == {to_europepmc(queries[s]).query: n for s, n in pages.items()}
    assert loopback.max_in_window((r.time for r in epmc.recorded()), 1.0) <= 5
    for slug in queries:
        search = read_json(results / "europepmc" / f"{slug}.json")
        assert (search["pages"], search["requests"]) == (pages[slug], pages[slug])
    records = {r["record_id"]: r for r in read_jsonl(results / "data" / "europepmc.jsonl")}
    preprint = records["europepmc:PPR:PPR400001"]
    assert preprint["preprint"] and not preprint["in_pubmed_searches"]
    assert preprint["published_pmid"] and preprint["pmid"] is None
    assert preprint["found_by"] == ["Europe PMC: alliance_empathy"]
    assert "europepmc:PPR:PPR400002" in records
    assert all(r["in_pubmed_searches"] for r in records.values() if r["pmid"])
    classified = read_jsonl(results / "data" / "europepmc_classified.jsonl")
    assert {r["record_id"] for r in classified} == set(records)

    # citation chasing: one iCite request for every seed (under 1,000 PMIDs)
    chased = read_json(results / "citations" / "chased.json")
    seeds = {s["pmid"]: s["why"] for s in chased["seeds"]}
    assert seeds[HIGHLIGHTED] == ["highlighted"] and ESSAY_SEED in seeds
    assert cold["icite"] == 1 == chased["requests"]
    (asked,) = icite.recorded()
    assert asked.values("pmids") == [",".join(seeds)]
    found = {f["pmid"]: f["found_by"] for f in chased["found"]}
    assert found == {  # the essay's references are seeds before the highlighted records
        NEW_CITING: [FORWARD.format(ESSAY_SEED), FORWARD.format(HIGHLIGHTED)],
        "27118529": [BACKWARD.format(HIGHLIGHTED)],
        NEW_CITING_ESSAY: [FORWARD.format(ESSAY_SEED)],
    }
    # the two new PMIDs fetched in one efetch batch; the one PubMed's searches found is stored
    fetched = read_json(results / "citations" / "fetched.json")
    assert (fetched["fetched"], fetched["already_stored"], fetched["efetch_requests"]) == (2, 1, 1)
    # one esearch asks which of the 2 unstored PMIDs PubMed holds, then the one efetch
    assert fetched["requests"] == 2 and fetched["change_check_requests"] == 0
    assert fetched["existence_check_requests"] == 1 and fetched["not_in_pubmed"] == []
    new_batches = [r for r in standin.recorded("efetch") if NEW_CITING in r.params.get("id", "")]
    assert len(new_batches) == 1
    assert set(new_batches[0].params["id"].split(",")) == {NEW_CITING, NEW_CITING_ESSAY}
    chased_records = {r["pmid"]: r for r in read_jsonl(results / "data" / "citation_records.jsonl")}
    assert set(chased_records) == set(found)
    for pmid, record in chased_records.items():
        assert record["found_by"] == found[pmid] and record["source"] == "citation chasing"
        assert record["record_id"] == f"citation:{pmid}"
        assert record["in_pubmed_searches"] == (pmid == "27118529")
    classified = read_jsonl(results / "data" / "citation_classified.jsonl")
    assert {r["pmid"] for r in classified} == set(found)

    log = {row["keyword"]: row for row in csv_rows(results / "search_log.csv")}
    assert all(log[s]["europepmc_source"] == f"Europe PMC via {epmc.base_url}" for s in queries)

    # the key went to E-utilities only: never to Europe PMC or iCite, nor into files
    assert any(r.params.get("api_key") == KEY for r in standin.recorded())
    assert_no_key_sent(epmc, icite)
    for folder in ("results", "logs", ".snakemake"):
        for path in (workdir / folder).rglob("*"):
            if path.is_file() and path.suffix != ".sqlite":
                assert KEY.encode() not in path.read_bytes(), path

    # a no-change rerun the same day: Europe PMC's pages and one iCite request again; PubMed
    # is not asked (every chased record is stored and known current today)
    for server in (standin, ctgov_standin, epmc, icite):
        server.reset()
    snakemake(workdir, "--forcerun", "europepmc_search", "citations", *live(standin), env=env)
    rerun = counts(standin, ctgov_standin, epmc, icite)
    assert rerun == {
        "eutils": {"esearch": 0, "efetch": 0, "ecitmatch": 0},
        "ctgov": 0,
        "europepmc": sum(pages.values()),
        "icite": 1,
    }
    assert_no_key_sent(epmc, icite)
    assert read_json(results / "citations" / "fetched.json")["requests"] == 0
    print("request counts, cold:", cold, "rerun:", rerun)  # for the closing note
