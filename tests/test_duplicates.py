"""Cross-source deduplication (livescreen.dedup): identifiers, the matcher's hard cases,
related works, chains that must not join, merged metadata and determinism."""

import random

import pytest

from livescreen.dedup import compare_records, deduplicate
from livescreen.dedup.fields import author_keys, page_keys, title_key
from livescreen.dedup.kinds import kind_of
from livescreen.errors import LivescreenError
from livescreen.normalise import author_parts, extract_doi, nct_ids_in, normalise_pmcid

ARTICLE = {
    "title": "3,4-Methylenedioxymethamphetamine-assisted psychotherapy for treatment of "
    "chronic posttraumatic stress disorder: a randomized phase 2 controlled trial",
    "authors": ["Ot'alora G M", "Grigsby J", "Poulter B", "Van Derveer JW", "Giron SG"],
    "year": 2018,
    "journal": "J Psychopharmacol",
    "journal_title": "Journal of Psychopharmacology",
    "volume": "32",
    "issue": "12",
    "pages": "1295-1307",
}


def record(record_id, **fields):
    return {"record_id": record_id, **ARTICLE, **fields}


def decision(a, b):
    return compare_records(a, b).decision


# -- identifiers and normalisation -------------------------------------------------------------


def test_identifier_normalisation():
    assert extract_doi("https://dx.doi.org/10.1177/0269881118806297.") == "10.1177/0269881118806297"
    assert extract_doi("doi:10.1177/0269881118806297 [doi]") == "10.1177/0269881118806297"
    assert extract_doi("no doi here") is None
    assert normalise_pmcid("Pmc4348420") == "PMC4348420"
    assert nct_ids_in("registered as NCT01211405 and nct 01689740") == [
        "NCT01211405",
        "NCT01689740",
    ]
    assert author_parts("Mitchell, Jennifer M.") == ("Mitchell", "JM")
    assert author_parts("J. M. Mitchell") == ("Mitchell", "JM")
    assert author_keys("Zuna, R E and De Botton, S")[1][:2] == ("debotton", "botton")


def test_title_and_page_keys():
    assert title_key("Post-traumatic stress: a randomised trial [Review] [33 refs]") == (
        title_key("Posttraumatic stress. A randomised trial")
    )
    assert title_key("[Treatment of PTSD]. [German]") == "treatment of ptsd"
    assert title_key("Phase II trial") == title_key("phase 2 trial")
    assert page_keys("1297-306", 2010)[:2] == ("1297", "1306")
    assert page_keys("S27", None) == ("27", None, True)
    assert page_keys("01-Jun", 2013) == (None, None, False)  # a range a spreadsheet dated


def test_same_identifier_merges_however_written():
    a = record("a", doi="https://doi.org/10.1177/0269881118806297")
    b = record("b", doi="10.1177/0269881118806297", title=ARTICLE["title"].upper(), pages=None)
    assert decision(a, b) == "duplicate"
    c = record("c", pmid="30324842")
    d = {"record_id": "d", "pmid": "30324842", "title": ARTICLE["title"]}
    assert decision(c, d) == "duplicate"


def test_different_pmids_never_merge():
    a, b = record("a", pmid="30324842"), record("b", pmid="30324843")
    assert decision(a, b) != "duplicate"


def test_missing_doi_still_merges_on_metadata():
    a = record("a", doi="10.1177/0269881118806297")
    b = record(
        "b",
        authors=["Ot'alora, G. M.", "Grigsby, J.", "Poulter, B."],
        journal="Journal of Psychopharmacology (Oxford, England)",
    )
    result = deduplicate([a, b])
    assert [c.record_ids for c in result.duplicates] == [("a", "b")]
    assert result.duplicates[0].record["doi"] == "10.1177/0269881118806297"


def test_registration_is_related_to_the_publication_citing_it():
    registration = {
        "record_id": "NCT01793610",
        "nct_id": "NCT01793610",
        "source": "ctgov",
        "title": "A Phase 3 Program of MDMA-Assisted Psychotherapy",
        "year": 2018,
    }
    publication = record("p", nct_ids=["NCT01793610"])
    (pair,) = deduplicate([registration, publication]).related
    assert pair.relation == "registration of" and "NCT01793610" in pair.reason


def test_shared_nct_id_does_not_merge_two_publications():
    a = record("a", nct_ids=["NCT01793610"])
    b = {
        "record_id": "b",
        "title": "MDMA-assisted therapy for severe PTSD: a phase 3 trial",
        "authors": ["Mitchell JM"],
        "year": 2021,
        "journal": "Nat Med",
        "nct_ids": ["NCT01793610"],
    }
    assert decision(a, b) == "distinct"


# -- the hard cases ------------------------------------------------------------------------------


def test_same_title_different_year_and_journal_is_not_merged():
    a = record("a")
    b = record(
        "b",
        year=2021,
        journal="Psychopharmacology",
        journal_title="Psychopharmacology",
        volume="238",
        pages="2301-2310",
    )
    assert decision(a, b) in {"possible", "distinct"}
    c = record(
        "c",
        year=2020,
        journal="Lancet Psychiatry",
        journal_title="",
        volume=None,
        issue=None,
        pages=None,
    )
    assert decision(a, c) == "possible"  # same title and authors: a human decides


def test_preprint_and_article_are_related_not_merged():
    article = record("a", doi="10.1038/s41591-021-01336-3")
    preprint = record(
        "p",
        doi="10.1101/2020.08.11.20172353",
        journal="medRxiv",
        journal_title="medRxiv",
        year=2020,
        volume=None,
        issue=None,
        pages=None,
    )
    result = deduplicate([article, preprint])
    assert not result.duplicates and not result.possible
    (pair,) = result.related
    assert (pair.a, pair.b, pair.relation) == ("a", "p", "preprint of")
    assert kind_of({"publication_types": ["Preprint"]}) == "preprint"


def test_erratum_retraction_and_conference_abstract_are_related():
    article = record("a")
    erratum = record("e", title="Erratum: " + ARTICLE["title"], pages="1308", issue="12")
    notice = record("r", title="Retraction notice to: " + ARTICLE["title"], pages=None)
    abstract = record(
        "c",
        publication_types=["Conference Abstract"],
        year=2017,
        journal="Eur Neuropsychopharmacol",
        journal_title="",
        volume="27",
        pages="S123",
    )
    result = deduplicate([article, erratum, notice, abstract])
    assert not result.duplicates
    relations = {(p.a, p.b): p.relation for p in result.related}
    assert relations[("a", "e")] == "erratum for"
    assert relations[("a", "r")] == "retraction notice for"
    assert relations[("a", "c")] == "conference version of"
    # an article flagged as retracted is the article itself
    retracted = record("x", title="RETRACTED: " + ARTICLE["title"])
    assert decision(article, retracted) == "duplicate"


def test_one_word_differences():
    a = record(
        "a",
        title="Effects of MDMA on fear extinction in women with PTSD",
        pages=None,
        volume=None,
        issue=None,
    )
    men = dict(a, record_id="b", title="Effects of MDMA on fear extinction in men with PTSD")
    assert decision(a, men) != "duplicate"
    spelling = dict(
        a, record_id="c", title="Effects of M.D.M.A. on fear-extinction in women with P.T.S.D."
    )
    british = record("d", title=ARTICLE["title"].replace("randomized", "randomised"))
    assert decision(record("e"), british) == "duplicate"
    assert decision(a, spelling) == "duplicate"
    part = dict(a, record_id="f", title=a["title"] + ": part 1")
    part2 = dict(a, record_id="g", title=a["title"] + ": part 2")
    assert decision(part, part2) != "duplicate"


def test_generic_titles_need_the_same_place():
    editorial = {
        "record_id": "a",
        "title": "Editorial",
        "authors": ["Lee AS"],
        "year": 2000,
        "journal": "MIS Quarterly",
        "volume": "24",
        "issue": "1",
    }
    other_issue = dict(editorial, record_id="b", issue="2")
    assert decision(editorial, other_issue) != "duplicate"


def test_chain_does_not_join_records_known_to_differ():
    # a and c differ (different PMIDs); b has no PMID and matches both
    a = record("a", pmid="1")
    b = record("b")
    c = record("c", pmid="2")
    result = deduplicate([a, b, c])
    clusters = [set(cl.record_ids) for cl in result.clusters]
    assert not any({"a", "c"} <= cl for cl in clusters)
    assert any("not merged" in p.reason or p.rule == "pmids-differ" for p in result.possible)


# -- the result ----------------------------------------------------------------------------------


def test_every_record_in_one_cluster_and_merged_metadata():
    records = [
        record("pubmed:1", pmid="30324842", abstract="Short."),
        record(
            "embase:7",
            authors=["Ot'alora G M", "Grigsby J"],
            abstract="A longer abstract.",
            accession_numbers=["L2001234"],
            source="embase",
        ),
        {"record_id": "other", "title": "Something else entirely", "year": 1999},
    ]
    result = deduplicate(records)
    assert sorted(r for c in result.clusters for r in c.record_ids) == sorted(
        r["record_id"] for r in records
    )
    merged = result.cluster_of("embase:7").record
    assert merged["pmid"] == "30324842" and merged["primary_record_id"] == "pubmed:1"
    assert merged["abstract"] == "A longer abstract."
    assert merged["accession_numbers"] == ["L2001234"] and merged["sources"] == ["embase"]
    assert merged["record_ids"] == ["pubmed:1", "embase:7"]
    assert result.cluster_of("other").record_ids == ("other",)
    assert result.stats["records"] == 3


def test_record_ids_are_required_and_unique():
    with pytest.raises(LivescreenError, match="record 2 has no 'record_id'"):
        deduplicate([record("a"), {"title": "x"}])
    with pytest.raises(LivescreenError, match="used twice"):
        deduplicate([record("a"), record("a")])
    assert deduplicate([{"id": "x", "title": "t"}], id_field="id").clusters[0].id == "x"


def _corpus():
    rows = []
    for n in range(40):
        base = {
            "title": f"Trial {n} of treatment {n % 7} for disorder {n % 5} in adults",
            "authors": [f"Author{n % 9} A", f"Second{n} B"],
            "year": 2000 + n % 6,
            "journal": f"Journal {n % 4}",
            "volume": str(n),
            "pages": f"{n}-{n + 9}",
        }
        rows.append({"record_id": f"x{n}", **base})
        if n % 3 == 0:
            rows.append({"record_id": f"y{n}", **base, "title": base["title"].upper()})
        if n % 4 == 0:
            rows.append({"record_id": f"z{n}", **base, "pages": None, "doi": f"10.1/{n}"})
    return rows


def test_deterministic_and_independent_of_input_order():
    rows = _corpus()
    first, second = deduplicate(rows), deduplicate([dict(r) for r in rows])
    assert first == second
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    as_sets = lambda result: sorted(sorted(c.record_ids) for c in result.clusters)  # noqa: E731
    assert as_sets(deduplicate(shuffled)) == as_sets(first)
    assert len(first.duplicates) == 14 + 10 - 4  # n % 3 == 0 or n % 4 == 0


def test_blocking_does_not_compare_all_pairs():
    rows = [
        {
            "record_id": str(n),
            "title": f"Unrelated study number {n} of topic {n * 7919}",
            "authors": [f"Name{n} X"],
            "year": 1990 + n % 30,
        }
        for n in range(2000)
    ]
    result = deduplicate(rows)
    assert result.stats["candidate_pairs"] < 2000 and not result.duplicates


def test_title_similarity_rows_are_title_similarity_at_the_cutoff():
    import random

    from livescreen.normalise import normalise_title, title_similarity, title_similarity_rows

    rng = random.Random(11)
    words = "mdma assisted therapy for ptsd a randomised trial of the effects phase 3 study".split()
    titles = ["", "mdma", *(" ".join(rng.choices(words, k=rng.randint(1, 12))) for _ in range(300))]
    others = [normalise_title(t) for t in rng.sample(titles, 40)] + ["", titles[7]]
    for cutoff in (0, 60, 85, 100):
        expected = [
            {i: s for i, o in enumerate(others) if (s := title_similarity(title, o)) >= cutoff}
            for title in titles
        ]
        assert title_similarity_rows(titles, others, cutoff) == expected
    assert title_similarity_rows([], others, 85) == []
    assert title_similarity_rows(["mdma"], [], 85) == [{}]


def test_ascii_fold_of_ascii_text_is_the_full_fold():
    """The ASCII shortcut gives what the full fold (translate, dashes, apostrophes, NFKD,
    combining marks dropped) gives, for every ASCII character and random ASCII text."""
    import random
    import unicodedata

    from livescreen import normalise as n

    def full(text):
        text = n.APOSTROPHE_RE.sub("'", n.ascii_dashes(text.translate(n.FOLD)))
        kept = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
        return kept.encode("ascii", "ignore").decode()

    rng = random.Random(2)
    texts = [chr(i) for i in range(128)]
    texts += ["".join(chr(rng.randrange(128)) for _ in range(30)) for _ in range(3000)]
    for text in texts:
        assert n.ascii_fold(text) == full(text), repr(text)
