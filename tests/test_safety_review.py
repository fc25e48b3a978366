"""Safety review of the newest decision paths: decisions following merged works
(livescreen.dedup.works `cross_source` ids, livescreen.review.merges `merge_entries`).

Each test builds the works of two consecutive runs with `cross_source` (as the screening
step does), records a reviewer's decision in the store between them, carries decisions with
`merge_entries` as `screening.build` does, and checks what each row then shows
(`displayed_decisions`, keyed by the row's record_id). Each failed before ids were kept
from run to run (`previous`) and carries were ordered by the store's order; the comments
tell the sequence and the harm.
"""

from __future__ import annotations

import datetime as dt

from livescreen.dedup.works import cross_source
from livescreen.review.decisions import (
    Decision,
    append_entries,
    append_to_store,
    displayed_decisions,
    read_store,
)
from livescreen.review.merges import merge_entries
from livescreen.sources.imports import import_ids
from tests.test_imports_workflow import EMBASE, PSYCINFO, TITLE, exported

RUN_1 = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
DECIDED = RUN_1 + dt.timedelta(hours=2)
RUN_2 = RUN_1 + dt.timedelta(days=7)


def decide(store, when, *decisions):
    append_to_store(store, list(decisions), [], when)
    return read_store(store)


def run(store, works, when=RUN_2):
    """What the screening step does with the store and this run's works: carry decisions
    along member_ids, then show each row's decision by its record_id."""
    history = read_store(store)
    members = {w.record_id: w.member_ids for w in works}
    append_entries(store, merge_entries(history, members, when.isoformat(timespec="seconds")))
    return displayed_decisions(read_store(store))


def ids_of(works):
    """What the screening step keeps of a run for the next (record_id -> member_ids)."""
    return {w.record_id: list(w.member_ids) for w in works}


def row_of(works, title_start):
    (work,) = [w for w in works if w.record["title"].startswith(title_start)]
    return work.record_id


# -- 1. a DOI id handed to another work -----------------------------------------------------
#
# Sequence: run 1 has one import-only work A (PsycINFO, DOI D) -> row `doi:D`; the reviewer
# includes it. Run 2 adds an Embase export in which a different article B carries the same
# DOI (a wrong DOI in one database, or an erratum). Dedup rightly refuses to merge them
# (shared DOI, different title: a possible pair), but `cross_source` hands out ids in order
# of the works' `import:` hash, and B's hash sorts first, so B takes `doi:D`; A becomes
# `import:<hash of A>`, and `_unshared_aliases` drops `doi:D` from A's member_ids.
# Harm: A's include now shows on B's row (a decision on the wrong record, counted and
# exported as B's), and A shows undecided. The same happens when an import-only work was
# screened under a PMID its export gave and PubMed later returns that PMID for a different
# article (PubMed's work takes the PMID first).
SHARED_DOI = "10.1234/shared"
A_TITLE = "Psilocybin for treatment resistant depression a randomised trial"
B_TITLE = "Ketamine infusion in alcohol use disorder"


def test_a_work_keeps_its_doi_id_when_another_work_with_that_doi_appears(tmp_path):
    store = tmp_path / "decisions.csv"
    a = exported(PSYCINFO, A_TITLE, 1, authors=["Carhart-Harris R"], doi=SHARED_DOI, year=2021)
    b = exported(EMBASE, B_TITLE, 2, authors=["Zed Q"], doi=SHARED_DOI, year=2019)
    first = cross_source([], {}, [a]).works
    assert [w.record_id for w in first] == [f"doi:{SHARED_DOI}"]
    decide(store, DECIDED, Decision(f"doi:{SHARED_DOI}", "include", "", "AB", source_file="t"))

    second = cross_source([], {}, [a, b], previous=ids_of(first)).works
    shown = run(store, second)
    a_row, b_row = row_of(second, "Psilocybin"), row_of(second, "Ketamine")
    assert shown.get(b_row, Decision(b_row)).decision == "", "A's include shows on B's row"
    assert shown.get(a_row, Decision(a_row)).decision == "include", "A lost its decision"


# -- 2./3. numbered fallback ids (`import:<hash>-2`) move between works ------------------------
#
# Two different records of one export with the same normalised title and year (two
# commentaries, a conference abstract and a letter under one title) share one `import:` hash;
# dedup keeps them apart, and the second is numbered `import:<hash>-2`. Which one is "second"
# is the order of the clusters, i.e. of the records in the export.
COMMENT = "Commentary on MDMA-assisted therapy for PTSD"


def _twins():
    alpha = exported(PSYCINFO, COMMENT, 1, authors=["Alpha A"], year=2022,
                     journal="J Psychopharmacol", volume="30", pages="100-101")  # fmt: skip
    beta = exported(PSYCINFO, COMMENT, 2, authors=["Beta B"], year=2022,
                    journal="Lancet Psychiatry", volume="9", pages="500-501")  # fmt: skip
    return alpha, beta


def _by_author(works):
    return {w.record["authors"][0]: w.record_id for w in works}


def _twins_decided(store):
    """Run 1 of the twins: (alpha, beta, its works, id by first author), with alpha
    included and beta excluded in `store`."""
    alpha, beta = _twins()
    first_works = cross_source([], {}, [alpha, beta]).works
    first = _by_author(first_works)
    decide(
        store,
        DECIDED,
        Decision(first["Alpha A"], "include", "", "AB", source_file="t"),
        Decision(first["Beta B"], "exclude", "not a trial", "AB", source_file="t"),
    )
    return alpha, beta, first_works, first


# Sequence: run 1 reads the export as [alpha, beta]; the reviewer includes alpha (row
# `import:h`) and excludes beta (row `import:h-2`). The database re-sorts the results in the
# next export of the same search (relevance/date order), so run 2 reads [beta, alpha]: the ids
# swap. Harm: each decision shows on the other record (an include moved to a record the
# reviewer excluded, and vice versa) with nothing flagged.
def test_numbered_ids_do_not_swap_when_an_export_lists_records_in_another_order(tmp_path):
    store = tmp_path / "decisions.csv"
    alpha, beta, first_works, first = _twins_decided(store)
    second_works = cross_source([], {}, [beta, alpha], previous=ids_of(first_works)).works
    shown = run(store, second_works)
    second = _by_author(second_works)
    assert shown[second["Alpha A"]].decision == "include"
    assert shown[second["Beta B"]].decision == "exclude"


# Sequence: as above, run 1 gives alpha `import:h` (included) and beta `import:h-2`
# (excluded). In run 2 alpha's record has gained a DOI (a new export of the same search):
# alpha takes `doi:…`, and beta, first free id now `import:h`, takes it. `import:h` is in
# both works' import_ids, so `_unshared_aliases` drops it from alpha's member_ids.
# Harm: alpha's include shows on beta's row; alpha shows undecided; beta's own exclude
# (`import:h-2`, now nobody's id or alias) only survives on a "no longer found" row.
def test_a_doi_appearing_later_does_not_hand_the_import_id_and_its_decision_to_its_twin(
    tmp_path,
):
    store = tmp_path / "decisions.csv"
    alpha, beta, first_works, first = _twins_decided(store)
    alpha_doi = {**alpha, "doi": "10.1177/02698811221000001"}
    alpha_doi["import_ids"] = import_ids(alpha_doi)
    second_works = cross_source([], {}, [alpha_doi, beta], previous=ids_of(first_works)).works
    shown = run(store, second_works)
    second = _by_author(second_works)
    assert second == first  # each keeps the id it was screened under
    assert shown.get(second["Beta B"], Decision("")).decision == "exclude", (
        "beta shows alpha's include"
    )
    assert shown.get(second["Alpha A"], Decision("")).decision == "include", "alpha lost it"


# -- 4. a merge, then a split (an export removed from config) ---------------------------------
#
# Sequence: an import-only work has two copies, PsycINFO's (no DOI) and Embase's (DOI D), so
# its row is `doi:D` (member_ids: doi:D and both import hashes). The reviewer excludes it.
# The Embase export is then removed from config (or its DOI dropped): the work is only
# PsycINFO's copy, its row `import:<PsycINFO hash>`. member_ids lists only the ids of the
# copies present now, and nothing remembers that this id was a member of row `doi:D`.
# Harm: the remaining row shows undecided (the reviewer's exclusion gone from the row the
# work is screened on; it is screened and counted again), while `doi:D` lingers as a
# "no longer found" row with the exclusion. The mirror case (the PubMed record of a merged
# row stops being found) shows the member's *older* decision on the surviving row, not the
# reviewer's later one on the merged row.
def test_a_split_keeps_the_decision_on_the_copy_that_remains(tmp_path):
    store = tmp_path / "decisions.csv"
    authors = ["Singleton SP", "Wang JB"]
    psycinfo = exported(PSYCINFO, TITLE, 1, authors=authors, journal="Front Psychiatry")
    embase = exported(EMBASE, TITLE, 2, authors=authors, journal="Front Psychiatry",
                      doi="10.3389/fpsyt.2022.947622")  # fmt: skip
    first = cross_source([], {}, [psycinfo, embase]).works
    (merged,) = first
    assert merged.record_id == "doi:10.3389/fpsyt.2022.947622"
    decide(store, DECIDED, Decision(merged.record_id, "exclude", "design", "SK", source_file="t"))

    (alone,) = cross_source([], {}, [psycinfo], previous=ids_of(first)).works
    shown = run(store, [alone])
    assert shown.get(alone.record_id, Decision("")).decision == "exclude"


# -- 5. a carried member's newer entry in the same second -----------------------------------
#
# Sequence: a run merges `import:h` into row P and carries its include at second T. In that
# same second (timestamps have one-second resolution) another process holding the lock next,
# e.g. `livescreen asreview-import` run right after the step, or the next invocation's
# start-up harvest of a stale workbook, records a new decision under `import:h`. The next
# run's "already carried" check is `carried time >= member's last time`, true on a tie.
# Harm: the newer decision is never carried: it is in the store but shown nowhere (the
# member id has no row). Low likelihood, silent when it happens.
def test_a_member_entry_recorded_in_the_second_of_its_carry_is_still_carried(tmp_path):
    store = tmp_path / "decisions.csv"
    member, row = "import:0123456789abcdef", "36713926"
    members = {row: [row, member]}
    decide(store, DECIDED, Decision(member, "include", "", "AB", source_file="t"))
    run(store, [type("W", (), {"record_id": row, "member_ids": members[row]})()], RUN_2)
    decide(store, RUN_2, Decision(member, "exclude", "not a trial", "AB", source_file="x"))
    shown = run(store, [type("W", (), {"record_id": row, "member_ids": members[row]})()],
                RUN_2 + dt.timedelta(days=1))  # fmt: skip
    assert shown[row].decision != "include", "the newer exclude was never carried"


# Sequence: as in 1, but A's export is gone from config when B (same DOI, another article)
# arrives. Harm, had B taken `doi:D` or kept it as an alias: A's include on B's row.
def test_a_new_work_never_takes_a_gone_works_id_or_decision(tmp_path):
    store = tmp_path / "decisions.csv"
    a = exported(PSYCINFO, A_TITLE, 1, authors=["Carhart-Harris R"], doi=SHARED_DOI, year=2021)
    b = exported(EMBASE, B_TITLE, 2, authors=["Zed Q"], doi=SHARED_DOI, year=2019)
    first = cross_source([], {}, [a]).works
    decide(store, DECIDED, Decision(f"doi:{SHARED_DOI}", "include", "", "AB", source_file="t"))
    (b_work,) = cross_source([], {}, [b], previous=ids_of(first)).works
    assert b_work.record_id != f"doi:{SHARED_DOI}"
    assert f"doi:{SHARED_DOI}" not in b_work.member_ids
    assert b_work.record_id not in run(store, [b_work])


# Sequence (found by the update-run benchmark): two PubMed records with different PMIDs carry
# one DOI (a comment, an erratum, an error), and a Europe PMC copy of one joins the run. The
# shared DOI merged the two PubMed records into one work. Harm: one PMID vanished from the
# tables (its decision shown nowhere) and the PRISMA counts refused to add up.
def test_two_pubmed_records_sharing_a_doi_stay_two_rows():
    from tests.test_imports_workflow import pubmed

    doi = "10.1000/shared"
    records = [pubmed("111", TITLE, doi=doi), pubmed("222", TITLE, doi=doi)]
    copy = exported("Europe PMC", TITLE, 3, pmid="111", doi=doi)
    works = cross_source(records, {"111": ["fear"], "222": ["fear"]}, [copy]).works
    assert sorted(w.record_id for w in works) == ["111", "222"]
