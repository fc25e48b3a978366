"""Registrations: real ClinicalTrials.gov API v2 records, the bundled registrations, the
offline search, the arms column and registration-publication links.

Expected values for the real records were read by hand from the files in
../shared/fixtures/ctgov/aact (see the PROVENANCE.md there); tests that need those files skip
when the folder is absent. The bundled registrations are the project's own
resources/snapshot/registered_trials.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from livescreen.errors import QueryError
from livescreen.parse.registrations import (
    REGISTRATION_KEYS,
    RegistrationError,
    arm_summary,
    link_publications,
    parse_study,
)
from livescreen.sources.ctgov import CtgovClient
from livescreen.sources.registry import (
    RegistrySnapshot,
    load_snapshot_registrations,
    open_registry,
    parse_terms,
    study_json,
    study_matches,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "resources" / "snapshot" / "registered_trials.json"
FIXTURES = ROOT.parent / "shared" / "fixtures" / "ctgov" / "aact"
FIXTURE_FILES = [
    "NCT00763412.json",
    "NCT00973089.json",
    "NCT02210780.json",
    "NCT02552212.json",
    "NCT03418623.json",
    "NCT03475563.json",
    "NCT03630471.json",
    "NCT04207047.json",
    "NCT05594173.json",
    "NCT06171568.json",
    "initialize_participant_flow_data.json",
]
CONDITION = "PTSD OR posttraumatic stress"
INTERVENTION = "MDMA OR midomafetamine OR methylenedioxymethamphetamine"


def real(name: str) -> dict:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"shared fixture not available: {path}")
    return parse_study(json.loads(path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def bundled() -> dict[str, dict]:
    return {r["nct_id"]: r for r in load_snapshot_registrations(BUNDLED)}


@pytest.fixture(scope="module")
def raw_bundled() -> list[dict]:
    return json.loads(BUNDLED.read_text(encoding="utf-8"))


# -- real API v2 records ------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIXTURE_FILES)
def test_every_real_record_parses_with_every_key(name):
    registration = real(name)
    assert tuple(registration) == REGISTRATION_KEYS
    assert registration["nct_id"].startswith("NCT")
    assert registration["url"] == f"https://clinicaltrials.gov/study/{registration['nct_id']}"
    assert registration["notes"] == {}


def test_phase3_placebo_controlled_trial_with_results_and_publications():
    r = real("NCT02552212.json")
    assert r["title"].startswith("Phase 3, Multicenter, Randomized, Placebo-Controlled")
    assert r["brief_title"].startswith("Multicenter Study Evaluating Certolizumab Pegol")
    assert (r["acronym"], r["status"], r["phase"], r["study_type"]) == (
        "C-AXSPAND",
        "COMPLETED",
        "PHASE3",
        "INTERVENTIONAL",
    )
    assert (r["start_date"], r["primary_completion_date"]) == ("2015-09", "2018-05")
    assert (r["completion_date"], r["completion_date_type"]) == ("2020-05", "ACTUAL")
    assert (r["first_posted"], r["results_first_posted"]) == ("2015-09-17", "2020-08-17")
    assert (r["enrollment"], r["enrollment_type"]) == (317, "ACTUAL")
    assert r["results_posted"] is True
    assert r["sponsor"] == "UCB BIOSCIENCES GmbH"
    assert r["conditions"] == [
        "Axial Spondyloarthritis",
        "Nonradiographic Axial Spondyloarthritis",
        "Nr-axSpA",
    ]
    assert [(a["label"], a["type"], a["interventions"]) for a in r["arms"]] == [
        ("Certolizumab Pegol 200 mg Q2W", "EXPERIMENTAL", ["Certolizumab Pegol"]),
        ("Placebo", "PLACEBO_COMPARATOR", ["Placebo"]),
    ]
    assert r["arms"][1]["description"].startswith("Matching placebo to Certolizumab Pegol")
    biological, placebo = r["interventions"]
    assert (biological["name"], biological["type"], biological["other_names"]) == (
        "Certolizumab Pegol",
        "BIOLOGICAL",
        ["Cimzia", "CDP870"],
    )
    assert (placebo["type"], placebo["arms"]) == ("OTHER", ["Placebo"])
    assert r["linked_pmids"] == ["35296532", "35733363", "34715908", "30848558"]
    assert [ref["type"] for ref in r["references"]] == ["RESULT", "RESULT", "DERIVED", "DERIVED"]
    assert r["references"][0]["citation"].startswith("van der Heijde D, Gensler LS")
    assert r["summary"].startswith("Patients with active Axial Spondyloarthritis")


def test_behavioural_trial_with_an_active_comparator_and_background_references():
    r = real("NCT03630471.json")
    assert (r["acronym"], r["phase"], r["status"]) == ("PRIDE", "NA", "COMPLETED")
    assert [(a["label"], a["type"], a["interventions"]) for a in r["arms"]] == [
        ("Control", "ACTIVE_COMPARATOR", ["Enhanced usual care"]),
        ("Intervention", "EXPERIMENTAL", ["PRIDE 'Step 1' problem-solving intervention"]),
    ]
    assert {i["type"] for i in r["interventions"]} == {"BEHAVIORAL"}
    assert (r["start_date"], r["completion_date"], r["first_posted"]) == (
        "2018-08-20",
        "2019-02-28",
        "2018-08-14",
    )
    assert (r["enrollment"], r["results_posted"], r["results_first_posted"]) == (250, False, None)
    # 12 references, two without a PMID: all kept, only PMIDs linked
    assert len(r["references"]) == 12
    assert [ref["pmid"] for ref in r["references"]].count(None) == 2
    assert len(r["linked_pmids"]) == 10
    assert r["linked_pmids"][-3:] == ["34582460", "32585185", "31533783"]
    assert [ref["type"] for ref in r["references"]][-3:] == ["DERIVED"] * 3


def test_withdrawn_trial_with_a_no_intervention_arm():
    r = real("NCT00973089.json")
    assert (r["status"], r["enrollment"], r["enrollment_type"]) == ("WITHDRAWN", 0, "ACTUAL")
    assert r["start_date"] == "2010-05"  # no type given for this date
    assert [(a["label"], a["type"], a["interventions"]) for a in r["arms"]] == [
        ("Complete caries removal", "NO_INTERVENTION", []),
        ("Incomplete caries removal", "OTHER", ["Incomplete caries removal in primary teeth"]),
    ]
    assert r["interventions"][0]["other_names"] == ["Indirect pulp capping"]
    assert r["references"] == [
        {
            "pmid": "18519994",
            "type": "BACKGROUND",
            "citation": r["references"][0]["citation"],
        }
    ]
    assert r["references"][0]["citation"].startswith("Thompson V, Craig RG")


def test_registry_types_are_kept_as_registered():
    """NCT02210780 registers its placebo arm as EXPERIMENTAL; the parser does not second-guess."""
    r = real("NCT02210780.json")
    assert [(a["label"], a["type"]) for a in r["arms"]] == [
        ("Placebo qw", "EXPERIMENTAL"),
        ("Dupilumab 300 mg qw", "EXPERIMENTAL"),
    ]
    assert r["interventions"][0]["other_names"] == ["REGN668", "SAR231893", "Dupixent"]
    assert (r["phase"], r["results_posted"], r["linked_pmids"]) == ("PHASE2", True, [])


def test_observational_studies_have_no_phase_and_untyped_groups():
    registry = real("NCT03475563.json")
    assert (registry["study_type"], registry["phase"], registry["status"]) == (
        "OBSERVATIONAL",
        None,
        "UNKNOWN",
    )
    assert (registry["completion_date"], registry["completion_date_type"]) == (
        "2019-12-30",
        "ESTIMATED",
    )
    assert registry["enrollment_type"] == "ESTIMATED"
    assert registry["arms"] == [
        {
            "label": "Patients with coronary artery disease",
            "type": None,
            "description": registry["arms"][0]["description"],
            "interventions": ["Coronary angioplasty with stent implantation"],
        }
    ]
    assert [ref["type"] for ref in registry["references"]] == ["RESULT"] * 3
    no_groups = real("NCT05594173.json")
    assert no_groups["arms"] == [] and no_groups["phase"] is None
    assert no_groups["interventions"][0]["name"] == "Food texture modification"
    assert no_groups["interventions"][0]["arms"] == []
    assert no_groups["results_posted"] is True


def test_same_named_interventions_stay_with_their_arms():
    r = real("initialize_participant_flow_data.json")
    assert (r["nct_id"], r["acronym"], r["enrollment"]) == ("NCT02299791", "ALL", 4856)
    assert [(a["label"], a["interventions"]) for a in r["arms"]] == [
        ("Early Intervention", ["ALL"]),
        ("Late implementation", ["ALL"]),
    ]
    assert [i["arms"] for i in r["interventions"]] == [
        ["Early Intervention"],
        ["Late implementation"],
    ]
    assert r["linked_pmids"] == ["22864500", "28381249", "27113199", "26059264"]


def test_na_phase_results_and_a_device_study():
    older = real("NCT00763412.json")
    assert (older["phase"], older["start_date"], older["results_posted"]) == ("NA", "2006-11", True)
    assert [a["type"] for a in older["arms"]] == ["PLACEBO_COMPARATOR", "EXPERIMENTAL"]
    device = real("NCT04207047.json")
    assert arm_summary(device).split("|")[-1] == (
        "Group D:EXPERIMENTAL:Genius+eC02+PicoPlus+LaseMD+LaseMD Flex"
    )
    assert {i["type"] for i in device["interventions"]} == {"DEVICE"}


# -- missing modules ------------------------------------------------------------------------


def test_every_module_is_optional_but_the_nct_id():
    r = parse_study({"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}})
    assert r["nct_id"] == "NCT01234567"
    assert all(r[k] is None for k in ("title", "status", "phase", "enrollment", "sponsor"))
    assert all(r[k] == [] for k in ("conditions", "arms", "interventions", "references"))
    assert (r["results_posted"], r["linked_pmids"], r["notes"]) == (False, [], {})
    broken = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567"},
            "statusModule": "?",
            "designModule": {"phases": None, "enrollmentInfo": {"count": "12"}},
            "armsInterventionsModule": {"armGroups": [None, {"label": "A"}]},
        },
        "resultsSection": {},
    }
    r = parse_study(broken)
    assert (r["enrollment"], r["phase"], r["results_posted"]) == (12, None, True)
    assert r["arms"] == [{"label": "A", "type": None, "description": None, "interventions": []}]
    with pytest.raises(RegistrationError, match="nctId"):
        parse_study({"protocolSection": {}})
    with pytest.raises(RegistrationError, match="JSON object"):
        parse_study([])  # type: ignore[arg-type]


def test_arm_interventions_come_from_either_side():
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567"},
            "armsInterventionsModule": {
                "armGroups": [
                    {"label": "A", "type": "EXPERIMENTAL", "interventionNames": ["Drug: MDMA"]},
                    {"label": "B", "type": "SHAM_COMPARATOR"},
                ],
                "interventions": [
                    {"type": "DRUG", "name": "MDMA"},
                    {"type": "BEHAVIORAL", "name": "CPT", "armGroupLabels": ["A", "B"]},
                ],
            },
        }
    }
    assert arm_summary(parse_study(study)) == "A:EXPERIMENTAL:MDMA+CPT|B:SHAM_COMPARATOR:CPT"


# -- bundled registrations ----------------------------------------------------------------------


def test_bundled_registrations_load_with_their_facts(bundled):
    assert len(bundled) == 8
    assert all(tuple(r) == REGISTRATION_KEYS for r in bundled.values())
    mapp1 = bundled["NCT03537014"]
    assert (mapp1["acronym"], mapp1["phase"], mapp1["enrollment"]) == ("MAPP1", "PHASE3", 90)
    assert mapp1["title"] is None and mapp1["status"] is None  # not given: not invented
    assert [(a["label"], a["type"]) for a in mapp1["arms"]] == [
        ("MDMA-assisted therapy", "EXPERIMENTAL"),
        ("Placebo with therapy", "PLACEBO_COMPARATOR"),
    ]
    assert mapp1["linked_pmids"] == ["33972795", "35286849", "35272210", "36815187", "38198456"]
    assert {ref["type"] for ref in mapp1["references"]} == {None}
    assert mapp1["notes"]["enrollment_note"].startswith("number randomized")
    assert "gold" not in mapp1 and all("gold" not in r["notes"] for r in bundled.values())

    cpt = bundled["NCT05837845"]
    assert cpt["title"].startswith("A Randomized Trial to Compare MDMA-assisted Cognitive")
    assert cpt["brief_title"].startswith("MDMA-assisted Cognitive Processing Therapy Versus")
    assert (cpt["status"], cpt["start_date"], cpt["completion_date"]) == (
        "RECRUITING",
        "2025-02-10",
        "2027-12-31",
    )
    assert cpt["completion_date_type"] == "ESTIMATED"
    assert arm_summary(cpt) == (
        "MDMA-assisted cognitive processing therapy:EXPERIMENTAL:MDMA+Cognitive Processing "
        "Therapy|Cognitive processing therapy:ACTIVE_COMPARATOR:Cognitive Processing Therapy"
    )
    assert [(i["name"], i["type"]) for i in cpt["interventions"]] == [
        ("MDMA", "DRUG"),
        ("Cognitive Processing Therapy", "BEHAVIORAL"),
    ]

    assert bundled["NCT02876172"]["phase"] == "PHASE1/PHASE2"
    open_label = bundled["NCT03282123"]
    assert (open_label["results_posted"], open_label["results_first_posted"]) == (
        True,
        "2025-06-05",
    )
    assert (open_label["first_posted"], open_label["linked_pmids"]) == ("2017-09-11", ["36405923"])
    assert bundled["NCT04968938"]["enrollment"] is None
    assert bundled["NCT05746572"]["enrollment_type"] == "ESTIMATED"
    doses = bundled["NCT01211405"]
    assert [a["type"] for a in doses["arms"]] == [
        "EXPERIMENTAL",
        "EXPERIMENTAL",
        "PLACEBO_COMPARATOR",
    ]
    assert doses["arms"][2]["interventions"] == ["Low dose MDMA", "Therapy"]
    assert not any(r["results_posted"] for k, r in bundled.items() if k != "NCT03282123")


def test_bundled_facts_survive_the_api_shape(bundled, raw_bundled):
    """study_json -> parse_study keeps every fact the bundled file gives."""
    for item in raw_bundled:
        r = bundled[item["nct_id"]]
        assert r["brief_title"] == item.get("title")
        assert r["title"] == (item.get("official_title") or item.get("title"))
        assert r["acronym"] == item.get("acronym")
        assert r["status"] == item.get("overall_status")
        assert r["phase"] == item.get("phase")
        assert r["start_date"] == item.get("start_date")
        assert r["completion_date"] == item.get("completion_date")
        assert r["first_posted"] == item.get("first_posted")
        assert r["enrollment"] == item.get("enrollment")
        assert r["conditions"] == item["conditions"]
        assert r["sponsor"] == item.get("sponsor")
        assert r["linked_pmids"] == item["linked_pmids"]
        assert [(a["label"], a["type"], a["description"]) for a in r["arms"]] == [
            (a["label"], a["type"], a["description"]) for a in item["arms"]
        ]
        assert [(i["name"], i["type"], i["arms"]) for i in r["interventions"]] == [
            (i["name"], i["type"], i["arms"]) for i in item["interventions"]
        ]
        for arm in r["arms"]:
            assert arm["interventions"] == [
                i["name"] for i in item["interventions"] if arm["label"] in i["arms"]
            ]


def test_study_json_refuses_a_registration_without_an_nct_id():
    with pytest.raises(RegistrationError, match="nct_id"):
        study_json({"title": "x"})


def test_the_bundled_file_is_the_shared_copy():
    shared = ROOT.parent / "shared" / "data" / "registered_trials.json"
    if not shared.exists():
        pytest.skip("../shared/data is not present")
    assert BUNDLED.read_bytes() == shared.read_bytes()


# -- offline search ------------------------------------------------------------------------------


def test_snapshot_search_finds_every_bundled_trial_and_nothing_else():
    snapshot = RegistrySnapshot(BUNDLED, condition=CONDITION, intervention=INTERVENTION)
    result = snapshot.search_studies()
    assert result["total"] == 8 == len(result["studies"])
    assert (result["pages"], result["source"]) == (1, "snapshot")
    assert result["query"] == {"query.cond": CONDITION, "query.intr": INTERVENTION}
    assert (
        result["source_label"]
        == "offline registry snapshot registered_trials.json (8 registrations)"
    )
    assert snapshot.search_studies("diabetes", INTERVENTION)["total"] == 0
    cpt = snapshot.search_studies(CONDITION, "cognitive processing therapy")
    assert [s["protocolSection"]["identificationModule"]["nctId"] for s in cpt["studies"]] == [
        "NCT05837845"
    ]
    assert snapshot.requests_sent == 3


def test_terms_match_whole_words_with_hyphens_as_spaces():
    snapshot = RegistrySnapshot(BUNDLED)

    def found(condition: str, intervention: str = "MDMA") -> set[str]:
        studies = snapshot.search_studies(condition, intervention)["studies"]
        return {s["protocolSection"]["identificationModule"]["nctId"] for s in studies}

    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567"},
            "conditionsModule": {"conditions": ["Post Traumatic Stress Disorder"]},
        }
    }
    assert study_matches(study, "post-traumatic stress")
    assert study_matches(study, '"POST TRAUMATIC stress"')
    assert not study_matches(study, "posttraumatic stress")  # no synonyms, unlike the service
    assert found("PTSD") == found("ptsd")
    assert found("PTS") == set()  # whole words only
    assert found("", "prolonged exposure") == {"NCT05746572"}  # empty side matches all


@pytest.mark.parametrize(
    "expression", ["PTSD AND MDMA", "(PTSD OR trauma)", "AREA[Phase]PHASE3", 'a "b" c', "PTSD OR "]
)
def test_unsupported_syntax_fails_naming_the_term(expression):
    with pytest.raises(QueryError, match="outside what the offline snapshot evaluates"):
        parse_terms(expression, "condition")


def test_study_matches_a_single_study(raw_bundled):
    study = study_json(raw_bundled[0])
    assert study_matches(study, CONDITION, INTERVENTION)
    assert not study_matches(study, "alcohol use disorder", INTERVENTION)


def test_open_registry_picks_the_configured_source():
    registry = {"condition": CONDITION, "intervention": INTERVENTION, "page_size": 10}
    offline = open_registry({"source": "snapshot", "registry": registry}, ROOT)
    assert isinstance(offline, RegistrySnapshot) and offline.path == BUNDLED
    assert offline.search_studies()["total"] == 8
    live = open_registry({"source": "pubmed", "registry": registry})
    assert isinstance(live, CtgovClient) and live.page_size == 10


# -- outputs -------------------------------------------------------------------------------------


def test_arm_summary_keeps_the_cell_readable():
    registration = {
        "arms": [
            {"label": "A | B", "type": "EXPERIMENTAL", "interventions": ["MDMA", "PE"]},
            {"label": "Waitlist", "type": "NO_INTERVENTION", "interventions": []},
        ]
    }
    assert arm_summary(registration) == "A / B:EXPERIMENTAL:MDMA+PE|Waitlist:NO_INTERVENTION:"
    assert arm_summary({"arms": []}) == ""


def test_links_run_both_ways(bundled):
    records = json.loads((ROOT / "resources/snapshot/snapshot_records.json").read_text("utf-8"))
    links = {(x["nct_id"], x["pmid"]): x for x in link_publications(bundled.values(), records)}
    assert links["NCT03537014", "36815187"]["via"] == "both"  # MAPP1 <-> its methylation study
    assert links["NCT03282123", "36405923"]["via"] == "both"
    assert links["NCT03537014", "33972795"]["via"] == "registry"
    assert links["NCT01928732", "35044471"] == {
        "nct_id": "NCT01928732",
        "pmid": "35044471",
        "via": "pubmed",
        "reference_type": None,
    }


def test_background_references_are_not_publications_of_the_trial():
    registration = parse_study(
        {
            "protocolSection": {
                "identificationModule": {"nctId": "NCT01234567"},
                "referencesModule": {
                    "references": [
                        {"pmid": "111", "type": "BACKGROUND"},
                        {"pmid": "222", "type": "RESULT"},
                        {"pmid": "333", "type": "BACKGROUND"},
                    ]
                },
            }
        }
    )
    record = {"pmid": "333", "nct_ids": ["nct01234567"]}
    links = link_publications([registration], [record])
    assert [(x["pmid"], x["via"], x["reference_type"]) for x in links] == [
        ("222", "registry", "RESULT"),
        ("333", "both", "BACKGROUND"),
    ]
    everything = link_publications([registration], [record], include_background=True)
    assert [x["pmid"] for x in everything] == ["111", "222", "333"]


def test_allocation_and_acronym_come_from_real_registrations(shared):
    folder = shared / "fixtures" / "ctgov" / "aact"
    parsed = {
        r["nct_id"]: r
        for r in (
            parse_study(json.loads(p.read_text(encoding="utf-8"))) for p in folder.glob("*.json")
        )
    }
    assert parsed["NCT03630471"]["allocation"] == "RANDOMIZED"
    assert parsed["NCT03630471"]["acronym"] == "PRIDE"
    assert parsed["NCT04207047"]["allocation"] == "NON_RANDOMIZED"
    assert parsed["NCT03475563"]["allocation"] is None  # observational: no allocation


def test_registered_allocation_decides_the_design_and_no_date_is_not_new(shared):
    from livescreen.classify import classify, load_vocabulary, record_from_registration

    vocabulary = load_vocabulary({})
    folder = shared / "fixtures" / "ctgov" / "aact"
    randomised = parse_study(json.loads((folder / "NCT00763412.json").read_text("utf-8")))
    assert randomised["allocation"] == "RANDOMIZED"
    assert (
        classify(record_from_registration(randomised), vocabulary, "2021-09-03")["design"] == "rct"
    )
    undated = {"nct_id": "NCT00000001", "title": "MDMA-assisted CPT versus CPT", "arms": []}
    result = classify(record_from_registration(undated), vocabulary, "2021-09-03")
    assert result["new_since_essay"] is False
    assert "no registration or start date: not known to be new" in result["highlight_reason"]


def test_an_active_comparator_is_never_called_background():
    from livescreen.classify import classify, load_vocabulary, record_from_registration

    bundled = json.loads(
        (ROOT / "resources" / "snapshot" / "registered_trials.json").read_text("utf-8")
    )
    acpt = next(item for item in bundled if item["nct_id"] == "NCT05837845")
    result = classify(record_from_registration(acpt), load_vocabulary({}), "2021-09-03")
    assert result["relation_to_established"] == "head-to-head"
    assert "background" not in result["highlight_reason"]


def test_experimental_against_placebo_arms_is_an_rct_when_allocation_is_not_given():
    from livescreen.classify import classify, load_vocabulary, record_from_registration

    bundled = json.loads(BUNDLED.read_text("utf-8"))
    mapp1 = next(item for item in bundled if item["nct_id"] == "NCT03537014")
    assert "allocation" not in mapp1  # the bundled copy does not say
    result = classify(record_from_registration(mapp1), load_vocabulary({}), "2021-09-03")
    assert result["design"] == "rct" and "randomized" in result["highlight_reason"]
