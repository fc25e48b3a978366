"""Parsing the essay's numbered Vancouver reference list (livescreen.references.parse).

EXPECTED holds, typed by hand from resources/essay_references.txt, the value a careful reviewer
would accept for every field of all 33 references. Where the reference itself is defective
(no year, no volume, a title missing its first word) the expected value is what is written
and parse_status says what is missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from livescreen.errors import ConfigError
from livescreen.normalise import (
    journal_abbreviation_matches,
    normalise_journal,
    normalise_number,
    normalise_title,
    split_author,
)
from livescreen.references.parse import (
    REFERENCE_COLUMNS,
    page_range,
    parse_reference,
    parse_reference_list,
    read_reference_list,
    title_missing_first_word,
)
from livescreen.references.parse import surname_key_or_none as author_surname_key

ROOT = Path(__file__).resolve().parents[1]
ESSAY_REFERENCES = ROOT / "resources" / "essay_references.txt"

FIELDS = [
    "authors",
    "et_al",
    "first_author_surname",
    "title",
    "journal",
    "year",
    "month",
    "volume",
    "issue",
    "pages",
    "kind",
    "parse_status",
]

EJP = "European Journal of Psychotraumatology"

# fmt: off
EXPECTED: dict[int, dict] = {
    1: {
        "authors": ["Jerome L", "Feduccia AA", "Wang JB", "Hamilton S", "Yazar-Klosinski B",
                    "Emerson A"],
        "et_al": True,
        "first_author_surname": "jerome",
        "title": "Long-term follow-up outcomes of MDMA-assisted psychotherapy for treatment of "
        "PTSD: a longitudinal pooled analysis of six phase 2 trials",
        "journal": "Psychopharmacology",
        "year": 2020, "month": "Aug", "volume": "237", "issue": "8", "pages": "2485-97",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    2: {
        "authors": ["Mitchell JM", "Bogenschutz M", "Lilienstein A", "Harrison C", "Kleiman S",
                    "Parker-Guilbert K"],
        "et_al": True,
        "first_author_surname": "mitchell",
        "title": "MDMA-assisted therapy for severe PTSD: a randomized, double-blind, "
        "placebo-controlled phase 3 study",
        "journal": "Nat Med",
        "year": 2021, "month": "May", "volume": None, "issue": None, "pages": None,
        "kind": "journal-article",
        "parse_status": "partial: no volume; no pages",
    },
    3: {
        "authors": ["Kazdin AE"],
        "et_al": False,
        "first_author_surname": "kazdin",
        "title": "Mediators and Mechanisms of Change in Psychotherapy Research",
        "journal": "Annu Rev Clin Psychol",
        "year": 2007, "month": "Apr", "volume": "3", "issue": "1", "pages": "1-27",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    4: {
        "authors": ["Cusack K", "Jonas DE", "Forneris CA", "Wines C", "Sonis J", "Middleton JC"],
        "et_al": True,
        "first_author_surname": "cusack",
        "title": "Psychological treatments for adults with posttraumatic stress disorder: "
        "A systematic review and meta-analysis",
        "journal": "Clinical Psychology Review",
        "year": 2016, "month": "Feb", "volume": "43", "issue": None, "pages": "128-41",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    5: {
        "authors": ["Hendriks L", "Kleine RA de", "Broekman TG", "Hendriks G-J", "Minnen A van"],
        "et_al": False,
        "first_author_surname": "hendriks",
        "title": "Intensive prolonged exposure therapy for chronic PTSD patients following "
        "multiple trauma and multiple treatment attempts",
        "journal": EJP,
        "year": 2018, "month": "Jan", "volume": "9", "issue": "1", "pages": "1425574",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    6: {
        "authors": ["Karatzias T", "Murphy P", "Cloitre M", "Bisson J", "Roberts N", "Shevlin M"],
        "et_al": True,
        "first_author_surname": "karatzias",
        "title": "Psychological interventions for ICD-11 complex PTSD symptoms: systematic "
        "review and meta-analysis",
        "journal": "Psychol Med",
        "year": 2019, "month": "Aug", "volume": "49", "issue": "11", "pages": "1761-75",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    7: {
        "authors": ["Van Woudenberg C", "Voorendonk EM", "Bongaerts H", "Zoet HA", "Verhagen M",
                    "Lee CW"],
        "et_al": True,
        "first_author_surname": "vanwoudenberg",
        # As written; the published title begins "Effectiveness of an intensive ...".
        "title": "of an intensive treatment programme combining prolonged exposure and eye "
        "movement desensitization and reprocessing for severe post-traumatic stress disorder",
        "journal": EJP,
        "year": 2018, "month": "Jan", "volume": "9", "issue": "1", "pages": "1487225",
        "kind": "journal-article",
        "parse_status": "partial: title may be missing its first word",
    },
    8: {
        "authors": ["Zoet HA", "Wagenmans A", "van Minnen A", "de Jongh A"],
        "et_al": False,
        "first_author_surname": "zoet",
        "title": "Presence of the dissociative subtype of PTSD does not moderate the outcome of "
        "intensive trauma-focused treatment for PTSD",
        "journal": EJP,
        "year": 2018, "month": "Jan", "volume": "9", "issue": "1", "pages": "1468707",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    9: {
        "authors": ["Imel ZE", "Laska K", "Jakupcak M", "Simpson TL"],
        "et_al": False,
        "first_author_surname": "imel",
        "title": "Meta-analysis of dropout in treatments for posttraumatic stress disorder",
        "journal": "Journal of Consulting and Clinical Psychology",
        "year": 2013, "month": None, "volume": "81", "issue": "3", "pages": "394-404",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    10: {
        "authors": ["Lewis C", "Roberts NP", "Gibson S", "Bisson JI"],
        "et_al": False,
        "first_author_surname": "lewis",
        "title": "Dropout from psychological therapies for post-traumatic stress disorder "
        "(PTSD) in adults: systematic review and meta-analysis",
        "journal": EJP,
        "year": 2020, "month": "Dec", "volume": "11", "issue": "1", "pages": "1709709",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    11: {
        "authors": ["Bryant RA"],
        "et_al": False,
        "first_author_surname": "bryant",
        # U+2010 HYPHEN kept as written in the display title.
        "title": "Post\u2010traumatic stress disorder: a state\u2010of\u2010the\u2010art review "
        "of evidence and challenges",
        "journal": "World Psychiatry",
        "year": 2019, "month": "Oct", "volume": "18", "issue": "3", "pages": "259-69",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    12: {
        "authors": ["Hoskins MD", "Sinnerton R", "Nakamura A", "Underwood JFG", "Slater A",
                    "Lewis C"],
        "et_al": True,
        "first_author_surname": "hoskins",
        "title": "Pharmacological-assisted Psychotherapy for Post-Traumatic Stress Disorder: "
        "a systematic review and meta-analysis",
        "journal": EJP,
        "year": 2021, "month": "Jan", "volume": "12", "issue": "1", "pages": "1853379",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    13: {
        "authors": ["Mithoefer MC", "Grob CS", "Brewerton TD"],
        "et_al": False,
        "first_author_surname": "mithoefer",
        "title": "Novel psychopharmacological therapies for psychiatric disorders: psilocybin "
        "and MDMA",
        "journal": "The Lancet Psychiatry",
        "year": 2016, "month": "May", "volume": "3", "issue": "5", "pages": "481-8",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    14: {
        "authors": ["Gamma A"],
        "et_al": False,
        "first_author_surname": "gamma",
        "title": "3,4-Methylenedioxymethamphetamine (MDMA) Modulates Cortical and Limbic Brain "
        "Activity as Measured by [H215O]-PET in Healthy Humans",
        "journal": "Neuropsychopharmacology",
        "year": 2000, "month": "Oct", "volume": "23", "issue": "4", "pages": "388-95",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    15: {
        "authors": ["Dolder PC", "Müller F", "Schmid Y", "Borgwardt SJ", "Liechti ME"],
        "et_al": False,
        "first_author_surname": "dolder",
        "title": "Direct comparison of the acute subjective, emotional, autonomic, and endocrine "
        "effects of MDMA, methylphenidate, and modafinil in healthy subjects",
        "journal": "Psychopharmacology",
        "year": 2018, "month": "Feb", "volume": "235", "issue": "2", "pages": "467-79",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    16: {
        "authors": ["Hysek CM", "Schmid Y", "Simmler LD", "Domes G", "Heinrichs M",
                    "Eisenegger C"],
        "et_al": True,
        "first_author_surname": "hysek",
        "title": "MDMA enhances emotional empathy and prosocial behavior",
        "journal": "Soc Cogn Affect Neurosci",
        "year": 2014, "month": "Nov", "volume": "9", "issue": "11", "pages": "1645-52",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    17: {
        # U+2019 kept in display; surname "Ot’alora", initials "G M".
        "authors": ["Ot\u2019alora G M", "Grigsby J", "Poulter B", "Van Derveer JW", "Giron SG",
                    "Jerome L"],
        "et_al": True,
        "first_author_surname": "otalora",
        "title": "3,4-Methylenedioxymethamphetamine-assisted psychotherapy for treatment of "
        "chronic posttraumatic stress disorder: A randomized phase 2 controlled trial",
        "journal": "J Psychopharmacol",
        "year": 2018, "month": "Dec", "volume": "32", "issue": "12", "pages": "1295-307",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    18: {
        "authors": ["Kangaslampi S", "Peltonen K"],
        "et_al": False,
        "first_author_surname": "kangaslampi",
        "title": "Mechanisms of change in psychological interventions for posttraumatic stress "
        "symptoms: A systematic review with recommendations",
        "journal": "Curr Psychol",
        "year": 2019, "month": "Dec", "volume": None, "issue": None, "pages": None,
        "kind": "journal-article",
        "parse_status": "partial: no volume; no pages",
    },
    19: {
        "authors": ["Sripada RK", "Rauch SAM", "Liberzon I"],
        "et_al": False,
        "first_author_surname": "sripada",
        "title": "Psychological Mechanisms of PTSD and Its Treatment",
        "journal": "Curr Psychiatry Rep",
        "year": 2016, "month": "Nov", "volume": "18", "issue": "11", "pages": "99",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    20: {
        "authors": ["Barone W", "Beck J", "Mitsunaga-Whitten M", "Perl P"],
        "et_al": False,
        "first_author_surname": "barone",
        "title": "Perceived Benefits of MDMA-Assisted Psychotherapy beyond Symptom Reduction: "
        "Qualitative Follow-Up Study of a Clinical Trial for Individuals with "
        "Treatment-Resistant PTSD",
        "journal": "Journal of Psychoactive Drugs",
        "year": 2019, "month": "Mar", "volume": "51", "issue": "2", "pages": "199-208",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    21: {
        "authors": ["Sola EM"],
        "et_al": False,
        "first_author_surname": "sola",
        "title": "MDMA-Assisted Psychotherapy for PTSD: A Thematic Analysis of Transformation "
        "in Combat Veterans",
        "journal": None,
        "year": 2017, "month": None, "volume": None, "issue": None, "pages": None,
        "kind": "dissertation",
        "parse_status": "ok",
    },
    22: {
        "authors": ["Frye CG", "Wardle MC", "Norman GJ", "de Wit H"],
        "et_al": False,
        "first_author_surname": "frye",
        "title": "MDMA decreases the effects of simulated social rejection",
        "journal": "Pharmacology Biochemistry and Behavior",
        "year": 2014, "month": "Feb", "volume": "117", "issue": None, "pages": "1-6",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    23: {
        "authors": ["Brewin CR"],
        "et_al": False,
        "first_author_surname": "brewin",
        "title": "Memory and Forgetting",
        "journal": "Curr Psychiatry Rep",
        "year": 2018, "month": "Oct", "volume": "20", "issue": "10", "pages": "87",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    24: {
        # "Elber, T." read as "Elber T" (as written; the book's third author is T. Elbert).
        "authors": ["Schauer M", "Neuner F", "Elber T"],
        "et_al": False,
        "first_author_surname": "schauer",
        "title": "Narrative Exposure Therapy: A short-term treatment for traumatic stress "
        "disorders",
        "journal": None,
        "year": None, "month": None, "volume": None, "issue": None, "pages": None,
        "kind": "book",
        "parse_status": "partial: no year",
    },
    25: {
        "authors": ["Feduccia AA", "Mithoefer MC"],
        "et_al": False,
        "first_author_surname": "feduccia",
        "title": "MDMA-assisted psychotherapy for PTSD: Are memory reconsolidation and fear "
        "extinction underlying mechanisms?",
        "journal": "Progress in Neuro-Psychopharmacology and Biological Psychiatry",
        "year": 2018, "month": "Jun", "volume": "84", "issue": None, "pages": "221-8",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    26: {
        "authors": ["Carhart-Harris RL", "Wall MB", "Erritzoe D", "Kaelen M", "Ferguson B",
                    "De Meer I"],
        "et_al": True,
        "first_author_surname": "carhartharris",
        "title": "The effect of acutely administered MDMA on subjective and BOLD-fMRI responses "
        "to favourite and worst autobiographical memories",
        "journal": "Int J Neuropsychopharm",
        "year": 2014, "month": "Apr", "volume": "17", "issue": "04", "pages": "527-40",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    27: {
        "authors": ["Doss MK", "Weafer J", "Gallo DA", "de Wit H"],
        "et_al": False,
        "first_author_surname": "doss",
        "title": "MDMA Impairs Both the Encoding and Retrieval of Emotional Recollections",
        "journal": "Neuropsychopharmacol",
        "year": 2018, "month": "Mar", "volume": "43", "issue": "4", "pages": "791-800",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    28: {
        "authors": ["Foa EB", "Kozak MJ"],
        "et_al": False,
        "first_author_surname": "foa",
        "title": "Emotional Processing of Fear: Exposure to Corrective Information",
        "journal": "Psychological Bulletin",
        "year": 1986, "month": None, "volume": "99", "issue": "1", "pages": "20-35",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    29: {
        "authors": ["Craske MG", "Kircanski K", "Zelikowsky M", "Mystkowski J", "Chowdhury N",
                    "Baker A"],
        "et_al": False,
        "first_author_surname": "craske",
        "title": "Optimizing inhibitory learning during exposure therapy",
        "journal": "Behaviour Research and Therapy",
        "year": 2008, "month": "Jan", "volume": "46", "issue": "1", "pages": "5-27",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    30: {
        "authors": ["Craske MG", "Treanor M", "Conway CC", "Zbozinek T", "Vervliet B"],
        "et_al": False,
        "first_author_surname": "craske",
        "title": "Maximizing exposure therapy: An inhibitory learning approach",
        "journal": "Behaviour Research and Therapy",
        "year": 2014, "month": "Jul", "volume": "58", "issue": None, "pages": "10-23",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    31: {
        "authors": ["Wagner MT", "Mithoefer MC", "Mithoefer AT", "MacAulay RK", "Jerome L",
                    "Yazar-Klosinski B"],
        "et_al": True,
        "first_author_surname": "wagner",
        "title": "Therapeutic effect of increased openness: Investigating mechanism of action in "
        "MDMA-assisted psychotherapy",
        "journal": "J Psychopharmacol",
        "year": 2017, "month": "Aug", "volume": "31", "issue": "8", "pages": "967-74",
        "kind": "journal-article",
        "parse_status": "ok",
    },
    32: {
        # A corporate author has no surname to match on.
        "authors": ["Multidisciplinary Association for Psychedelic Studies Canada"],
        "et_al": False,
        "first_author_surname": None,
        "title": "Overview of CPT+MDMA Pilot Study",
        "journal": None,
        "year": None, "month": None, "volume": None, "issue": None, "pages": None,
        "kind": "web-page",
        "parse_status": "partial: no year",
    },
    33: {
        "authors": ["Monson CM", "Wagner AC", "Mithoefer AT", "Liebman RE", "Feduccia AA",
                    "Jerome L"],
        "et_al": True,
        "first_author_surname": "monson",
        "title": "MDMA-facilitated cognitive-behavioural conjoint therapy for posttraumatic "
        "stress disorder: an uncontrolled trial",
        "journal": EJP,
        "year": 2020, "month": "Dec", "volume": "11", "issue": "1", "pages": "1840123",
        "kind": "journal-article",
        "parse_status": "ok",
    },
}
# fmt: on


def field_accuracy(parsed: list[dict], expected: dict[int, dict]) -> dict[str, float]:
    """Per field, the share of expected references whose parsed value equals the expected one.

    `parsed` is matched to `expected` by `essay_ref`; a reference missing from `parsed`
    counts as wrong in every field.
    """
    by_ref = {reference["essay_ref"]: reference for reference in parsed}
    fields = sorted({field for values in expected.values() for field in values})
    accuracy = {}
    for field in fields:
        judged = [number for number, values in expected.items() if field in values]
        right = sum(
            1
            for number in judged
            if number in by_ref and by_ref[number].get(field) == expected[number][field]
        )
        accuracy[field] = right / len(judged) if judged else 1.0
    return accuracy


@pytest.fixture(scope="module")
def essay() -> list[dict]:
    return read_reference_list(ESSAY_REFERENCES)


@pytest.fixture(scope="module")
def by_ref(essay) -> dict[int, dict]:
    return {reference["essay_ref"]: reference for reference in essay}


# --------------------------------------------------------------------------------------------
# The 33 essay references, field by field
# --------------------------------------------------------------------------------------------


def test_essay_list_has_33_references_in_order(essay):
    assert [reference["essay_ref"] for reference in essay] == list(range(1, 34))
    assert set(EXPECTED) == set(range(1, 34))
    assert all(set(values) == set(FIELDS) for values in EXPECTED.values())


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_essay_reference_fields(by_ref, number):
    parsed = by_ref[number]
    mismatches = [
        f"ref {number} {field}: got {parsed.get(field)!r}, expected {expected!r}"
        for field, expected in EXPECTED[number].items()
        if parsed.get(field) != expected
    ]
    assert not mismatches, "\n".join(mismatches)


def test_field_accuracy_is_perfect(essay):
    accuracy = field_accuracy(essay, EXPECTED)
    print("\nper-field accuracy over the 33 essay references:")
    for field, share in accuracy.items():
        print(f"  {field:22} {share:.3f}")
    assert set(accuracy) == set(FIELDS)
    assert accuracy == dict.fromkeys(accuracy, 1.0)


def test_field_accuracy_counts_each_wrong_field():
    parsed = [{"essay_ref": 1, "year": 2020, "title": "x"}, {"essay_ref": 2, "year": 1999}]
    expected = {1: {"year": 2020, "title": "y"}, 2: {"year": 2000}, 3: {"year": 1}}
    assert field_accuracy(parsed, expected) == {"title": 0.0, "year": 1 / 3}


def test_every_reference_has_the_output_columns_and_raw_as_written(essay, by_ref):
    for reference in essay:
        assert set(REFERENCE_COLUMNS) <= set(reference)
        assert reference["kind"] in {"journal-article", "book", "dissertation", "web-page"}
        assert reference["parse_status"] == "ok" or reference["parse_status"].startswith(
            "partial: "
        )
    assert by_ref[17]["raw"].startswith("Ot\u2019alora G M, Grigsby J, Poulter B")
    assert by_ref[1]["raw"].endswith("2020 Aug;237(8):2485\u201397.")


def test_partial_references_are_exactly_the_defective_ones(by_ref):
    partial = {n: r["parse_status"] for n, r in by_ref.items() if r["parse_status"] != "ok"}
    assert partial == {
        2: "partial: no volume; no pages",
        7: "partial: title may be missing its first word",
        18: "partial: no volume; no pages",
        24: "partial: no year",
        32: "partial: no year",
    }


# --------------------------------------------------------------------------------------------
# Each defect of the essay's list
# --------------------------------------------------------------------------------------------


def test_et_al_is_dropped_and_recorded(by_ref):
    assert by_ref[1]["et_al"] is True
    assert "et al" not in " ".join(by_ref[1]["authors"])
    assert by_ref[3]["et_al"] is False


def test_internet_journal_reference_is_still_an_article_with_notes(by_ref):
    nat_med = by_ref[2]
    assert nat_med["kind"] == "journal-article"
    assert (nat_med["journal"], nat_med["year"], nat_med["month"]) == ("Nat Med", 2021, "May")
    assert nat_med["volume"] is None and nat_med["pages"] is None
    assert nat_med["notes"] == [
        "[Internet]",
        "cited 2021 Jun 8",
        "link lost after 'Available from:'",
    ]
    assert "cited 2020 Aug 12" in by_ref[18]["notes"]


def test_available_from_with_a_link_keeps_it():
    reference = parse_reference(
        1,
        "Doe J. Fear learning. Behav Res Ther [Internet]. 2020 Jan 5 [cited 2021 Jan 1];"
        "130:103–10. Available from: https://example.org/x",
    )
    assert reference["url"] == "https://example.org/x"
    assert "link lost after 'Available from:'" not in reference["notes"]
    assert (reference["volume"], reference["pages"], reference["parse_status"]) == (
        "130",
        "103-10",
        "ok",
    )


def test_dissertation(by_ref):
    sola = by_ref[21]
    assert sola["kind"] == "dissertation"
    assert (sola["place"], sola["publisher"], sola["year"]) == (
        "San Francisco, CA",
        "California Institute of Integral Studies",
        2017,
    )
    assert sola["notes"] == [
        "[dissertation on the Internet]",
        "cited 2021 May 05",
        "link lost after 'Available from:'",
    ]


def test_book_with_malformed_author(by_ref):
    book = by_ref[24]
    assert book["kind"] == "book"
    assert (book["edition"], book["place"], book["publisher"]) == ("2nd ed", "Göttingen", "Hogrefe")
    assert book["authors"][-1] == "Elber T"
    assert "author 'Elber, T' read as 'Elber T'" in book["notes"]
    assert book["year"] is None and book["parse_status"] == "partial: no year"


def test_web_page_with_corporate_author_and_no_year(by_ref):
    page = by_ref[32]
    assert page["kind"] == "web-page"
    assert page["first_author_surname"] is None
    assert "corporate author" in page["notes"]
    assert page["year"] is None
    assert split_author(page["authors"][0]) == (page["authors"][0], "")


def test_curly_quote_kept_for_display_folded_for_matching(by_ref):
    assert by_ref[17]["authors"][0] == "Ot\u2019alora G M"
    assert split_author("Ot\u2019alora G M") == ("Ot\u2019alora", "G M")
    # PubMed writes the same author with a straight or a curly apostrophe: one key.
    assert author_surname_key("Ot'alora G M") == author_surname_key("Ot\u2019alora G M")
    assert author_surname_key("Ot'alora G M") == "otalora"


def test_unicode_hyphens_kept_for_display_and_folded_for_matching(by_ref):
    bryant = by_ref[11]
    assert "\u2010" in bryant["title"]
    pubmed_title = "Post-traumatic stress disorder: a state-of-the-art review of evidence and "
    pubmed_title += "challenges"
    assert bryant["title_normalised"] == normalise_title(pubmed_title)
    assert bryant["title_normalised"] == (
        "posttraumatic stress disorder a stateoftheart review of evidence and challenges"
    )
    assert normalise_title("Posttraumatic stress") == normalise_title("Post\u2010traumatic stress")


def test_en_dash_page_ranges_become_ascii_and_expand(by_ref):
    assert by_ref[1]["pages"] == "2485-97"
    assert (by_ref[1]["first_page"], by_ref[1]["last_page"]) == ("2485", "2497")
    assert (by_ref[17]["first_page"], by_ref[17]["last_page"]) == ("1295", "1307")
    assert page_range("481-8") == ("481", "488")
    assert page_range("1-27") == ("1", "27")
    assert page_range("S12-S15") == ("S12", "S15")
    assert all("\u2013" not in (r["pages"] or "") for r in by_ref.values())


def test_title_missing_its_first_word(by_ref):
    assert "title may be missing its first word" in by_ref[7]["notes"]
    assert title_missing_first_word("of an intensive treatment programme")
    assert not title_missing_first_word("mRNA vaccines for PTSD")
    assert not title_missing_first_word("p53 and stress")
    assert not title_missing_first_word("3,4-Methylenedioxymethamphetamine (MDMA) Modulates")


def test_multi_part_surnames_and_particles_after_initials(by_ref):
    assert split_author("Kleine RA de") == ("de Kleine", "RA")
    assert split_author("Minnen A van") == ("van Minnen", "A")
    assert split_author("Van Derveer JW") == ("Van Derveer", "JW")
    assert author_surname_key("Kleine RA de") == author_surname_key("de Kleine RA") == "dekleine"
    # The same person written two ways in the essay (refs 5 and 8): one key.
    assert author_surname_key(by_ref[5]["authors"][4]) == author_surname_key(
        by_ref[8]["authors"][2]
    )
    assert author_surname_key("van Woudenberg C") == by_ref[7]["first_author_surname"]


def test_hyphenated_initials_and_surnames():
    assert split_author("Hendriks G-J") == ("Hendriks", "G-J")
    assert split_author("Rauch SAM") == ("Rauch", "SAM")
    assert author_surname_key("Carhart-Harris RL") == "carhartharris"
    assert author_surname_key("Müller K") == "muller"
    assert author_surname_key("MacAulay RK") == "macaulay"


def test_issue_with_leading_zero_kept_as_written(by_ref):
    assert by_ref[26]["issue"] == "04"
    assert normalise_number(by_ref[26]["issue"]) == "4"
    assert normalise_number("12") == "12" and normalise_number(None) is None


def test_e_location_number_as_pages(by_ref):
    hendriks = by_ref[5]
    assert (hendriks["pages"], hendriks["first_page"], hendriks["last_page"]) == (
        "1425574",
        "1425574",
        None,
    )
    assert any("e-location" in note for note in hendriks["notes"])


@pytest.mark.parametrize(
    ("written", "nlm"),
    [
        ("European Journal of Psychotraumatology", "Eur J Psychotraumatol"),
        ("Clinical Psychology Review", "Clin Psychol Rev"),
        ("Journal of Consulting and Clinical Psychology", "J Consult Clin Psychol"),
        ("Pharmacology Biochemistry and Behavior", "Pharmacol Biochem Behav"),
        (
            "Progress in Neuro-Psychopharmacology and Biological Psychiatry",
            "Prog Neuropsychopharmacol Biol Psychiatry",
        ),
        ("The Lancet Psychiatry", "Lancet Psychiatry"),
        ("Int J Neuropsychopharm", "Int J Neuropsychopharmacol"),
        ("Neuropsychopharmacol", "Neuropsychopharmacology"),
        ("Psychopharmacology", "Psychopharmacology (Berl)"),
        ("Behaviour Research and Therapy", "Behav Res Ther"),
        ("Journal of Psychoactive Drugs", "J Psychoactive Drugs"),
        ("Psychological Bulletin", "Psychol Bull"),
    ],
)
def test_full_journal_names_match_abbreviations(written, nlm):
    assert journal_abbreviation_matches(written, nlm)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("J Psychopharmacol", "J Psychiatr Res"),
        ("Psychopharmacology", "Neuropsychopharmacology"),
        ("Curr Psychol", "Curr Psychiatry Rep"),
        ("", "Nat Med"),
    ],
)
def test_different_journals_do_not_match(one, other):
    assert not journal_abbreviation_matches(one, other)


def test_journal_normalised(by_ref):
    assert by_ref[13]["journal_normalised"] == "lancet psychiatry"
    assert by_ref[5]["journal_normalised"] == "european journal psychotraumatology"
    assert normalise_journal("Psychopharmacology (Berl)") == "psychopharmacology"
    assert by_ref[21]["journal_normalised"] is None


def test_title_normalised_is_casefolded_without_punctuation(by_ref):
    assert by_ref[32]["title_normalised"] == "overview of cpt mdma pilot study"
    assert by_ref[14]["title_normalised"].startswith(
        "3 4methylenedioxymethamphetamine mdma modulates"
    )
    assert by_ref[25]["title_normalised"].endswith("underlying mechanisms")


def test_reference_without_year_or_volume():
    reference = parse_reference(1, "Roe A. A title. Some Journal.")
    assert reference["parse_status"] == (
        "partial: source not recognised; no journal; no year; no volume; no pages"
    )
    assert reference["title"] == "A title"


# --------------------------------------------------------------------------------------------
# The numbered list: comments, blank lines, errors, and any other list
# --------------------------------------------------------------------------------------------


def test_comments_and_blank_lines_are_skipped():
    text = (
        "# heading\n"
        "\n"
        "   \n"
        "1. Kazdin AE. Mediators. Annu Rev Clin Psychol. 2007;3(1):1-27.\n"
        "   # indented comment\n"
        "\n"
        "2. Brewin CR. Memory and Forgetting. Curr Psychiatry Rep. 2018 Oct;20(10):87.\n"
    )
    parsed = parse_reference_list(text)
    assert [(r["essay_ref"], r["title"]) for r in parsed] == [
        (1, "Mediators"),
        (2, "Memory and Forgetting"),
    ]


def test_line_not_starting_with_a_number_names_the_line():
    text = "# c\n\n1. Kazdin AE. Mediators. Annu Rev Clin Psychol. 2007;3:1-27.\n\nKazdin wrote\n"
    with pytest.raises(ConfigError, match=r'^line 5: expected "N\. reference", got \'Kazdin'):
        parse_reference_list(text)


@pytest.mark.parametrize("bad", ["3 Missing period after the number", "4.", "(5) Smith J."])
def test_malformed_numbered_lines_are_errors(bad):
    with pytest.raises(ConfigError, match=r"^line 2: expected"):
        parse_reference_list("1. Kazdin AE. Mediators. Annu Rev Clin Psychol. 2007;3:1-27.\n" + bad)


def test_duplicate_numbers_are_errors():
    text = (
        "1. Kazdin AE. Mediators. Annu Rev Clin Psychol. 2007;3:1-27.\n"
        "2. Brewin CR. Memory. Curr Psychiatry Rep. 2018;20:87.\n"
        "# comment\n"
        "2. Foa EB. Fear. Psychol Bull. 1986;99:20-35.\n"
    )
    with pytest.raises(ConfigError, match=r"^line 4: reference number 2 is used twice"):
        parse_reference_list(text)


def test_read_reference_list_accepts_a_bom(tmp_path):
    path = tmp_path / "refs.txt"
    path.write_text(
        "1. Brewin CR. Memory. Curr Psychiatry Rep. 2018;20:87.\n", encoding="utf-8-sig"
    )
    assert read_reference_list(path)[0]["authors"] == ["Brewin CR"]


def test_another_numbered_list():
    text = """# another review's list, numbered from 10
10. Smith J, Jones AB. Trauma. Part 1: Basics. J Trauma Stress. 2019 Spring;32(2):e12-e20. doi:10.1002/jts.1234
11. World Health Organization. Guidelines for the management of conditions specifically related to stress. Geneva: World Health Organization; 2013.
  12.   Åberg  K ,  O'Brien S. Ecstasy   and memory. Psychopharmacology (Berl). 2010 Jan-Feb;207(4):1-9.
7. Lee CW, Cuijpers P. A meta-analysis. J Behav Ther Exp Psychiatry. 2013;44(2):231–9.
"""  # noqa: E501
    parsed = parse_reference_list(text)
    assert [r["essay_ref"] for r in parsed] == [10, 11, 12, 7]

    smith, who, aberg, lee = parsed
    assert smith["authors"] == ["Smith J", "Jones AB"]
    assert smith["title"] == "Trauma. Part 1: Basics"
    assert (smith["journal"], smith["year"], smith["month"]) == ("J Trauma Stress", 2019, "Spring")
    assert (smith["volume"], smith["issue"], smith["pages"]) == ("32", "2", "e12-e20")
    assert smith["doi"] == "10.1002/jts.1234"
    assert smith["parse_status"] == "ok"

    assert who["kind"] == "book"
    assert who["authors"] == ["World Health Organization"]
    assert who["first_author_surname"] is None
    assert (who["place"], who["publisher"], who["year"]) == (
        "Geneva",
        "World Health Organization",
        2013,
    )
    assert who["parse_status"] == "ok"

    assert aberg["authors"] == ["Åberg K", "O'Brien S"]
    assert aberg["first_author_surname"] == "aberg"
    assert aberg["title"] == "Ecstasy and memory"
    assert (aberg["journal"], aberg["month"]) == ("Psychopharmacology (Berl)", "Jan-Feb")
    assert aberg["raw"].startswith("Åberg  K ,  O'Brien S.")

    assert (lee["pages"], lee["last_page"], lee["parse_status"]) == ("231-9", "239", "ok")
