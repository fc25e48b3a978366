"""bib-dedupe as a second matcher (config `deduplicate.second_matcher`): its duplicate calls
are merged unless livescreen's rules forbid it (livescreen/dedup/second_matcher.py).

The rules are tested with constructed pairs, without bib-dedupe; the calls into bib-dedupe and
the workflow step skip when it is not installed (`pip install "livescreen[bib-dedupe]"`).
"""

import builtins
import json

import pytest

from livescreen.dedup import deduplicate
from livescreen.dedup.second_matcher import (
    RULE,
    VETOED_RULE,
    as_bib_dedupe_rows,
    bib_dedupe_pairs,
    read_second_opinion,
    write_second_opinion,
)
from livescreen.errors import LivescreenError
from tests.test_workflow import copy_project, csv_rows, snakemake

TITLE = "Therapeutic alliance and outcome in MDMA-assisted therapy for posttraumatic stress"


def record(record_id, title=TITLE, **fields):
    return {
        "record_id": record_id,
        "title": title,
        "authors": fields.pop("authors", ["Smith, Ann", "Jones, Bo"]),
        "year": fields.pop("year", "2022"),
        "journal": fields.pop("journal", "J Psychopharmacol"),
        **fields,
    }


def cluster_ids(result):
    return sorted(sorted(c.record_ids) for c in result.duplicates)


def test_a_pair_livescreen_leaves_apart_is_merged_when_the_second_matcher_calls_it():
    # a translated title at another page: livescreen alone keeps them apart
    records = [
        record("a", volume="36", pages="100-110"),
        record("b", title="Alianza terapéutica y resultado en la terapia asistida con MDMA",
               volume="36", pages="101-110", journal="Rev Psiquiatr"),
    ]  # fmt: skip
    assert cluster_ids(deduplicate(records)) == []
    result = deduplicate(records, second_opinion=[("a", "b")])
    assert cluster_ids(result) == [["a", "b"]]
    (link,) = result.duplicates[0].links
    assert link.rule == RULE
    assert link.reason.startswith("bib-dedupe: duplicate; livescreen alone: ")
    assert result.stats["second_opinion_pairs"] == 1


def test_two_pubmed_records_are_never_merged_whatever_the_second_matcher_says():
    records = [record("a", pmid="111", volume="1"), record("b", pmid="222", volume="1")]
    result = deduplicate(records, second_opinion=[("a", "b")])
    assert cluster_ids(result) == []
    assert [p.rule for p in result.possible] == [VETOED_RULE]
    assert "different PMIDs" in result.possible[0].reason


def test_related_works_stay_linked_not_merged():
    records = [
        record("article", volume="36", pages="100-110"),
        record("erratum", title=f"Erratum: {TITLE}", volume="36", pages="111"),
    ]
    result = deduplicate(records, second_opinion=[("article", "erratum")])
    assert cluster_ids(result) == []
    assert [(p.decision, p.relation) for p in result.related] == [("related", "erratum for")]
    assert result.possible == ()


def test_a_record_without_a_title_is_a_possible_pair_not_a_merge():
    records = [record("a", volume="7", pages="23-35"), record("b", title="", volume="7",
                                                              pages="23-35")]  # fmt: skip
    result = deduplicate(records, second_opinion=[("b", "a")])
    assert cluster_ids(result) == []
    (pair,) = result.possible
    assert pair.rule == VETOED_RULE and "without a title" in pair.reason


def test_a_chain_through_the_second_matcher_never_joins_records_livescreen_tells_apart():
    # a letter and its reply: the second matcher links each to a combined record
    letter = record("letter", title=f"{TITLE} (multiple letters)", volume="19", pages="943-945",
                    authors=["Smith, Ann", "Jones, Bo", "Wu, Cy"])  # fmt: skip
    first = record("first", volume="19", pages="943-944")
    reply = record("reply", title=f"{TITLE} - Reply", volume="19", pages="945",
                   authors=["Wu, Cy"])  # fmt: skip
    result = deduplicate(
        [letter, first, reply], second_opinion=[("first", "letter"), ("letter", "reply")]
    )
    assert not any({"first", "reply"} <= set(c.record_ids) for c in result.clusters)


def test_the_second_matcher_may_only_name_records_it_was_given():
    with pytest.raises(LivescreenError, match="bib-dedupe named a record not given: 'zz'"):
        deduplicate([record("a"), record("b")], second_opinion=[("a", "zz")])


def test_records_are_given_to_bib_dedupe_in_its_columns():
    (row,) = as_bib_dedupe_rows(
        [
            record(
                "x",
                authors=["Smith, Ann", "Jones, Bo"],
                volume="3",
                issue="2",
                pages="5-9",
                doi="10.1/x",
                year=None,
                pub_date="2021 Mar",
            )
        ]  # fmt: skip
    )
    assert row == {
        "ID": "x", "ENTRYTYPE": "article", "title": TITLE, "author": "Smith, Ann and Jones, Bo",
        "year": "2021", "journal": "J Psychopharmacol", "booktitle": "", "volume": "3",
        "number": "2", "pages": "5-9", "doi": "10.1/x", "abstract": "",
    }  # fmt: skip


def test_without_bib_dedupe_the_error_says_what_to_install(monkeypatch):
    real_import = builtins.__import__

    def no_bib_dedupe(name, *args, **kwargs):
        if name.startswith("bib_dedupe"):
            raise ImportError("No module named 'bib_dedupe'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_bib_dedupe)
    with pytest.raises(LivescreenError, match=r'pip install "livescreen\[bib-dedupe\]"'):
        bib_dedupe_pairs(as_bib_dedupe_rows([record("a"), record("b")]))


def test_pairs_of_another_matcher_are_refused(tmp_path):
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps({"matcher": "other", "pairs": [["a", "b"]]}))
    with pytest.raises(LivescreenError, match="deduplicate.second_matcher is 'bib-dedupe'"):
        read_second_opinion(str(path), "bib-dedupe")


# -- with bib-dedupe installed ----------------------------------------------------------------


def corpus():
    distinct = [
        "Fear extinction learning in posttraumatic stress disorder",
        "Shame and self-blame after interpersonal trauma",
        "Prolonged exposure versus cognitive processing therapy for veterans",
        "Memory reconsolidation blockade with propranolol",
    ]
    records = [record(f"d{n}", title=t, authors=[f"Author{n}, X"], volume=str(n), pages=f"{n}-9")
               for n, t in enumerate(distinct, start=1)]  # fmt: skip
    records += [
        record("p1", volume="36", issue="4", pages="100-110", doi="10.1177/0269881122"),
        record("p2", title=TITLE.upper() + ".", volume="36", issue="4", pages="100-10"),
    ]
    return records


def test_bib_dedupe_finds_the_copies_and_nothing_else():
    pytest.importorskip("bib_dedupe")
    assert bib_dedupe_pairs(as_bib_dedupe_rows(corpus())) == [("p1", "p2")]


def test_the_step_writes_the_matcher_its_version_and_the_pairs(tmp_path):
    pytest.importorskip("bib_dedupe")
    pubmed = tmp_path / "classified.jsonl"
    others = tmp_path / "imported.jsonl"
    pubmed.write_text(json.dumps({**record("x"), "pmid": "36713926"}) + "\n")
    copy = {**record("PsycINFO/imports/a.ris#1"), "source": "PsycINFO"}
    others.write_text(json.dumps(copy) + "\n")
    out = tmp_path / "pairs.json"
    found = write_second_opinion(str(pubmed), [str(others)], str(out), "bib-dedupe")
    assert json.loads(out.read_text()) == found
    assert found["matcher"] == "bib-dedupe" and found["version"] and found["records"] == 2
    assert read_second_opinion(str(out), "bib-dedupe")["pairs"] == [
        tuple(sorted(("PsycINFO/imports/a.ris#1", "pubmed:36713926")))
    ]


@pytest.mark.workflow
def test_switching_the_second_matcher_on_keeps_every_decision(tmp_path):
    """A review screened without the second matcher, then run with it: each decision is
    still shown on the row of the work it was recorded for."""
    pytest.importorskip("bib_dedupe")
    from tests.test_imports_workflow import DATA, EXPORTS, SNAPSHOT, decide_rows, with_imports

    workdir = copy_project(tmp_path)
    (workdir / "imports").mkdir()
    for name in ("psycinfo_2024-05.ris", "embase_2024-05.nbib"):
        (workdir / "imports" / name).write_bytes((DATA / name).read_bytes())
    with_imports(workdir, EXPORTS)
    snakemake(workdir, *SNAPSHOT)
    table = workdir / "results" / "screening" / "to_screen.csv"
    decide_rows(workdir, lambda row: {"decision": "exclude", "reviewer": "AB",
                                      "notes": f"n-{row['record_id']}"})  # fmt: skip
    before = {row["record_id"]: row for row in csv_rows(table)}

    config = workdir / "config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("second_matcher: none", "second_matcher: bib-dedupe"))
    snakemake(workdir, *SNAPSHOT)
    pairs = json.loads((workdir / "results" / "data" / "second_matcher_pairs.json").read_text())
    assert pairs["matcher"] == "bib-dedupe" and pairs["records"] >= len(before)
    after = csv_rows(table)
    notes = {note for row in after for note in row["notes"].split(" | ") if note}
    assert {f"n-{record_id}" for record_id in before} <= notes  # every note still shown
    assert all(row["decision"] == "exclude" for row in after)
    assert len(after) <= len(before)
    merges = csv_rows(workdir / "results" / "screening" / "merged_duplicates.csv")
    assert merges and {"record_id", "copy", "other_copy", "rule", "reason"} <= set(merges[0])
    report = workdir / "results" / "report" / "search_documentation.html"
    report = report.read_text(encoding="utf-8")
    assert f"with bib-dedupe {pairs['version']} as second matcher" in report
