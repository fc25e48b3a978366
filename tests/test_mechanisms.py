"""Mechanism evidence: which mechanism of change a record measures or analyses (from the
instruments in config.yaml's mechanism_instruments), the two columns, the rows of
mechanism_evidence.csv, the config block and its schema, and the evaluation's figures."""

from __future__ import annotations

import copy

import pytest
import yaml

from livescreen.classify import (
    ANALYSES,
    CLASSIFICATION_COLUMNS,
    MECHANISM_EVIDENCE_COLUMNS,
    classify,
    load_vocabulary,
    mechanism_evidence_rows,
    mechanism_slugs,
)
from livescreen.classify.evaluation import (
    EVALUATION_SETS,
    evaluate,
    load_items,
    load_registry_dates,
)
from livescreen.config import load_config, validate_config
from livescreen.errors import ConfigError
from tests.conftest import ROOT

ESSAY = "2021-09-03"


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary({})


def run(vocab, title="A trial", abstract="", types=(), **extra):
    record = {"title": title, "abstract": abstract, "publication_types": list(types), **extra}
    return classify(record, vocab, ESSAY)


# (mechanisms measured, analysis, abstract, publication types, keywords)
CASES = [
    ({"trauma_beliefs"}, "mediation",
     "Negative cognitions on the PTCI fell; cognitive change mediated symptom improvement.",
     [], []),
    (set(), "", "Performance IQ (PIQ) and the Morningness-Eveningness Questionnaire (MEQ) were "
     "stable; Brief Fatigue Inventory (BFI) scores fell.", [], []),
    ({"insight_breakthrough"}, "", "The Psychological Insight Questionnaire (PIQ) was completed "
     "after dosing; PIQ scores were high.", [], []),
    (set(), "", "Spinal cord stimulation (SCS) was an exclusion criterion.", [], []),
    (set(), "", "Future trials should measure the therapeutic alliance with the Working Alliance "
     "Inventory.", [], []),
    (set(), "", "Earlier studies reported increased openness on the NEO PI-R.", [], []),
    ({"openness"}, "", "Openness (NEO PI-R) increased from baseline to follow-up.", [], []),
    ({"openness"}, "", "BFI-2 openness rose after MDMA.", [], []),
    ({"alliance_empathy"}, "mechanism-of-change",
     "Alliance at session 3 (WAI-SR) predicted CAPS-5 severity after treatment.", [], []),
    (set(), "", "We review studies that measured the therapeutic alliance with the WAI.",
     ["Review"], []),
    (set(), "", "A comment on trials that measured guilt with the TRGI.", ["Comment"], []),
    (set(), "", "MDMA's serotonin-mediated effects in adults with moderate-to-severe PTSD.",
     [], []),
    ({"fear_extinction"}, "", "Skin conductance responses to trauma scripts were recorded.",
     [], []),
    ({"fear_extinction"}, "", "Fear-potentiated startle was measured at extinction recall.",
     [], []),
    ({"social_rejection_threat"}, "", "Participants played Cyberball.", [], []),
    ({"memory_reconsolidation"}, "", "Memory specificity was assessed with the Autobiographical "
     "Memory Test (AMT).", [], []),
    (set(), "", "Participants were recruited on Amazon Mechanical Turk (AMT).", [], []),
    ({"memory_reconsolidation"}, "", "Trauma memories were coded for narrative coherence.", [], []),
    (set(), "", "Trust in clinicians is important to patients.", [], []),
    ({"alliance_empathy"}, "", "Trust in the therapist was rated after each session.", [], []),
    ({"engagement_avoidance"}, "", "Experiential avoidance was measured with the AAQ-II.", [], []),
    ({"insight_breakthrough"}, "", "Mystical-type experience (MEQ30) was rated after dosing.",
     [], []),
    ({"trauma_beliefs"}, "", "Self-compassion was higher after MDMA (Self-Compassion Scale, SCS).",
     [], []),
    (set(), "moderation", "Sex moderated the treatment effect.", [], []),
    (set(), "moderation", "Age did not moderate the effect of treatment.", [], []),
    (set(), "", "Effects were mediated by serotonin release.", [], []),
    ({"trauma_beliefs"}, "mediation", "Trauma-related guilt (TRGI) and shame fell; the indirect "
     "effect through guilt was significant.", [], []),
    ({"insight_breakthrough"}, "", "", [], ["emotional breakthrough"]),
    (set(), "mediation", "", [], ["mediation analysis"]),
]  # fmt: skip


@pytest.mark.parametrize(("measures", "analysis", "abstract", "types", "keywords"), CASES)
def test_mechanism_measures(vocab, measures, analysis, abstract, types, keywords):
    out = run(vocab, abstract=abstract, types=types, keywords=keywords)
    assert set(mechanism_slugs(out["mechanism_measures"])) == measures, out["mechanism_measures"]
    assert out["mechanism_analysis"] == analysis


def test_the_columns_are_classification_columns(vocab):
    assert CLASSIFICATION_COLUMNS[-2:] == ["mechanism_measures", "mechanism_analysis"]
    out = run(vocab, abstract="Changes on the PTCI and the NEO PI-R Openness scale were measured.")
    assert list(out) == CLASSIFICATION_COLUMNS
    assert out["mechanism_measures"] == "trauma_beliefs: PTCI; openness: NEO-PI-R"


def test_an_instrument_is_shown_rather_than_construct_words(vocab):
    out = run(vocab, abstract="Guilt was rated on the Trauma-Related Guilt Inventory (TRGI).")
    assert out["mechanism_measures"] == "trauma_beliefs: TRGI"
    out = run(vocab, abstract="Trauma-related guilt decreased more with MDMA.")
    assert out["mechanism_measures"] == "trauma_beliefs: 'trauma-related guilt'"


def test_analysis_values(vocab):
    assert ANALYSES == ("mediation", "moderation", "mechanism-of-change")
    out = run(vocab, abstract="Openness moderated outcome; guilt mediated the effect of MDMA.")
    assert out["mechanism_analysis"] == "mediation; moderation"
    out = run(vocab, abstract="Cross-lagged panel models showed that PTCI change preceded "
              "symptom change.")  # fmt: skip
    assert out["mechanism_analysis"] == "mechanism-of-change"


def test_highlight_reason_mentions_a_highlighted_trials_measures(vocab):
    out = run(
        vocab,
        "MDMA-assisted cognitive processing therapy versus cognitive processing therapy: a "
        "randomized trial",
        "Posttraumatic cognitions (PTCI) mediated the effect of MDMA.",
        pub_date="2024-01-01",
    )
    assert out["highlight"] is True
    reason = out["highlight_reason"]
    assert "mechanism measures: trauma_beliefs: PTCI" in reason
    assert "mediation analysis ('mediated')" in reason


# --------------------------------------------------------------------------- the table


def test_mechanism_evidence_rows_one_per_record_and_mechanism(vocab):
    records = [
        {"pmid": "1", "title": "PTCI and NEO", "pub_date": "2024-05-01",
         "abstract": "The PTCI and the NEO PI-R were completed; guilt mediated outcome."},
        {"pmid": "2", "title": "Nothing", "pub_date": "2024-05-01", "abstract": "CAPS-5 fell."},
        {"nct_id": "NCT00000001", "title": "Analysis only", "pub_date": "2025",
         "abstract": "Sex moderated the treatment effect."},
    ]  # fmt: skip
    rows = [{**r, **classify(r, vocab, ESSAY)} for r in records]
    table = mechanism_evidence_rows(rows)
    assert [list(row) for row in table] == [MECHANISM_EVIDENCE_COLUMNS] * len(table)
    assert [(r["record_id"], r["mechanism"], r["measures"]) for r in table] == [
        ("1", "trauma_beliefs", "PTCI"),
        ("1", "openness", "NEO-PI-R"),
        ("NCT00000001", "", ""),
    ]
    assert table[0]["mechanism_analysis"] == "mediation"
    assert table[0]["year"] == "2024"
    assert table[2]["mechanism_analysis"] == "moderation"


def test_mechanism_evidence_rows_reads_csv_cells_back():
    row = {"pmid": "7", "title": "t", "year": "2023", "highlight": "False",
           "new_since_essay": "True", "mechanism_measures": "alliance_empathy: WAI, 'trust'",
           "mechanism_analysis": ""}  # fmt: skip
    (out,) = mechanism_evidence_rows([row])
    assert out["highlight"] is False and out["new_since_essay"] is True
    assert out["measures"] == "WAI, 'trust'"
    assert mechanism_evidence_rows([{"pmid": "8", "mechanism_measures": ""}]) == []


# --------------------------------------------------------------------------- the config block


def test_shipped_block_validates_and_maps_to_keyword_slugs():
    config = load_config(ROOT / "config.yaml")
    vocabulary = load_vocabulary(config)
    slugs = {k["slug"] for k in config["keywords"]}
    assert {m.slug for m in vocabulary.mechanisms} <= slugs
    assert {m.slug for m in vocabulary.mechanisms} >= {
        "trauma_beliefs", "alliance_empathy", "memory_reconsolidation", "fear_extinction",
        "openness", "insight_breakthrough", "social_rejection_threat", "engagement_avoidance",
    }  # fmt: skip


def test_a_reviewer_extends_the_instruments_without_code(raw_config):
    record = {"title": "A trial", "abstract": "Moral injury was rated with the MISS-M."}
    assert run(load_vocabulary({}), **record)["mechanism_measures"] == (
        "trauma_beliefs: 'moral injury'"
    )
    config = copy.deepcopy(raw_config)
    config["mechanism_instruments"]["trauma_beliefs"]["measures"].append(
        {"name": "MISS-M", "terms": ["Moral Injury Symptom Scale"], "abbreviations": ["MISS-M"]}
    )
    vocabulary = load_vocabulary(validate_config(config))
    assert classify(record, vocabulary, ESSAY)["mechanism_measures"] == "trauma_beliefs: MISS-M"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda b: b["openness"].update(colour=1), "mechanism_instruments.openness"),
        (lambda b: b["openness"]["measures"][0].pop("terms"), "'terms' is a required"),
        (lambda b: b["openness"]["measures"][0].update(name="NEO; PI"), "name"),
        (lambda b: b.update({"Bad-Slug": {}}), "Bad-Slug"),
    ],
)
def test_schema_refuses_a_malformed_block(raw_config, change, named):
    change(raw_config["mechanism_instruments"])
    with pytest.raises(ConfigError) as error:
        validate_config(raw_config)
    assert named in str(error.value)


def test_a_slug_that_is_not_a_keyword_is_refused(raw_config):
    raw_config["mechanism_instruments"]["no_such_keyword"] = {"constructs": ["x"]}
    config = validate_config(raw_config)
    with pytest.raises(ConfigError, match="mechanism_instruments.no_such_keyword: not a keyword"):
        load_vocabulary(config)


def test_config_without_the_block_takes_the_shipped_one(raw_config):
    raw_config.pop("mechanism_instruments")
    vocabulary = load_vocabulary(validate_config(raw_config))
    assert vocabulary.mechanisms == load_vocabulary({}).mechanisms
    empty = load_vocabulary({"mechanism_instruments": {}})
    assert empty.mechanisms == ()
    assert run(empty, abstract="The PTCI was completed.")["mechanism_measures"] == ""


def test_the_block_sits_beside_the_vocabulary():
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    assert text.index("\nvocabulary:") < text.index("\nmechanism_instruments:")
    assert "mechanism_instruments" in yaml.safe_load(text)


# --------------------------------------------------------------------------- evaluation


def test_evaluation_reports_mechanism_precision_and_recall_per_set():
    dates = load_registry_dates()
    vocabulary = load_vocabulary({})
    for name, paths in EVALUATION_SETS:
        result = evaluate(load_items(paths), vocabulary, ESSAY, dates)
        mech = result["mechanisms"]
        assert mech["records"] == result["records"], name  # every record carries gold
        assert mech["per_mechanism"], name
        assert mech["precision"] >= 0.9 and mech["recall"] >= 0.9, (name, mech)
