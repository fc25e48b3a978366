"""Searched records against the essay's references: by PMID, DOI, title; close calls kept."""

from livescreen.dedup.essay import match_essay_references

REFS = [
    {
        "essay_ref": 3,
        "pmid": "17716046",
        "doi": "10.1146/annurev.clinpsy.3.022806.091432",
        "title": "Mediators and Mechanisms of Change in Psychotherapy Research",
        "authors": ["Kazdin AE"],
        "year": 2007,
    },
    {
        "essay_ref": 7,
        "pmid": "",
        "doi": "",
        "title": "of an intensive treatment programme combining prolonged exposure and eye "
        "movement desensitization and reprocessing for severe post-traumatic stress disorder",
        "authors": ["Van Woudenberg C", "Voorendonk EM"],
        "year": 2018,
    },
    {
        "essay_ref": 14,
        "pmid": "",
        "doi": "10.1016/S0893-133X(00)00119-1",
        "title": "3,4-Methylenedioxymethamphetamine (MDMA) Modulates Cortical and Limbic Brain "
        "Activity as Measured by [H215O]-PET in Healthy Humans",
        "authors": ["Gamma A"],
        "year": 2000,
    },
    {
        "essay_ref": 23,
        "pmid": "",
        "doi": "",
        "title": "Memory and Forgetting",
        "authors": ["Brewin CR"],
        "year": 2018,
    },
]


def record(pmid, title, authors, year, doi=None, epub_date=None):
    return {
        "pmid": pmid,
        "title": title,
        "authors": authors,
        "year": year,
        "doi": doi,
        "epub_date": epub_date,
    }


def run(records):
    return match_essay_references(records, REFS, match=93, possible=80)


def test_match_by_pmid():
    matches, possible = run([record("17716046", "Something else entirely", ["X Y"], 1990)])
    assert [(m["essay_ref"], m["method"], m["score"]) for m in matches] == [(3, "pmid", 100)]
    assert possible == []


def test_match_by_doi_in_any_case_or_url_form():
    rec = record(
        "10989265",
        "Other title",
        ["Gamma A"],
        2000,
        doi="https://doi.org/10.1016/s0893-133x(00)00119-1",
    )
    matches, _ = run([rec])
    assert [(m["essay_ref"], m["method"]) for m in matches] == [(14, "doi")]


def test_match_by_title_when_pubmed_retitles_the_work():
    """PubMed's version has its first word, PubMed-style casing and a different hyphen."""
    rec = record(
        "30083304",
        "Outcome of an intensive treatment programme combining prolonged exposure and eye "
        "movement desensitization and reprocessing for severe post‐traumatic stress disorder.",
        ["Van Woudenberg C", "Voorendonk EM"],
        2018,
    )
    matches, possible = run([rec])
    assert [(m["essay_ref"], m["method"]) for m in matches] == [(7, "title")]
    assert matches[0]["score"] >= 93 and possible == []


def test_title_with_other_markup_still_matches():
    rec = record(
        "10989265",
        "3,4-Methylenedioxymethamphetamine (MDMA) modulates cortical and "
        "limbic brain activity as measured by [H(2)(15)O]-PET in healthy humans.",
        ["Gamma A", "Buck A"],
        2000,
    )
    matches, _ = run([rec])
    assert [(m["essay_ref"], m["method"]) for m in matches] == [(14, "title")]


def test_same_title_wrong_author_is_a_close_call_not_a_match():
    rec = record("1", "Memory and forgetting", ["Smith J"], 2018)
    matches, possible = run([rec])
    assert matches == []
    assert (
        possible[0]["essay_ref"] == 23
        and "first author smith vs cited brewin" in possible[0]["reason"]
    )


def test_year_within_one_counts_and_further_is_a_close_call():
    near = record("2", "Memory and forgetting", ["Brewin CR"], 2019)
    far = record("3", "Memory and forgetting", ["Brewin CR"], 2021)
    matches, possible = run([near, far])
    assert [m["pmid"] for m in matches] == ["2"]
    assert [p["pmid"] for p in possible] == ["3"] and "year 2021" in possible[0]["reason"]


def test_similar_but_different_title_is_a_close_call():
    rec = record("4", "Memory and forgetting in PTSD", ["Brewin CR"], 2018)
    matches, possible = run([rec])
    assert matches == [] and possible[0]["essay_ref"] == 23
    assert "below 93" in possible[0]["reason"]


def test_unrelated_record_is_left_alone():
    rec = record("5", "MDMA-assisted therapy for severe PTSD", ["Mitchell JM"], 2021)
    assert run([rec]) == ([], [])
