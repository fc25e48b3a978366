"""RIS export (`livescreen.export.ris`): entries, the file, and reading it back.

The records are shaped like `livescreen.parse.pubmed_xml` output with their classification. The
first and the book chapter carry real bibliographic facts (PMIDs 33972795 and 32644555);
their abstracts, and the whole of the other records, are constructed for the edge cases:
Unicode names, a structured abstract, a title with a semicolon and end-tag-like text, a
paragraph that looks like a tag, a record without DOI, a book, a registration.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
import rispy

from livescreen.export.ris import (
    RisError,
    highlighted_entries,
    read_ris,
    record_entry,
    registration_entry,
    ris_author,
    screening_rows,
    to_screen_entries,
    write_ris,
)
from livescreen.files import read_json, write_json
from livescreen.review.tables import HIGHLIGHT_COLUMNS, SCREENING_COLUMNS
from livescreen.sources.snapshot import SUMMARY_LABEL

CLASSIFIED = {
    "design": "rct",
    "involves_mdma": True,
    "comparator": "placebo",
    "established_treatments": [],
    "relation_to_established": "placebo-only",
    "new_since_essay": False,
    "retracted": False,
    "highlight": False,
    "highlight_reason": "not highlighted: placebo comparator only",
}

PHASE3 = {
    **CLASSIFIED,
    "pmid": "33972795",
    "doi": "10.1038/s41591-021-01336-3",
    "pmcid": "PMC8205851",
    "title": "MDMA-assisted therapy for severe PTSD: a randomized, double-blind, "
    "placebo-controlled phase 3 study.",
    "abstract": "BACKGROUND: Post-traumatic stress disorder is common and disabling.\n"
    "METHODS: Participants were randomised to MDMA or placebo with therapy.\n"
    "RESULTS: CAPS-5 scores fell more with MDMA (d = 0.91).\n"
    "CONCLUSIONS: MDMA-assisted therapy was efficacious.",
    "authors": [
        "Mitchell JM",
        "Bogenschutz M",
        "Ot’alora G M",
        "van der Kolk BA",
        "Yazar-Klosinski B",
        "Doblin R",
    ],
    "journal": "Nat Med",
    "journal_title": "Nature medicine",
    "volume": "27",
    "issue": "6",
    "pages": "1025-1033",
    "pub_date": "2021-06",
    "year": 2021,
    "epub_date": "2021-05-10",
    "publication_types": ["Clinical Trial, Phase III", "Randomized Controlled Trial"],
    "mesh": ["Stress Disorders, Post-Traumatic", "N-Methyl-3,4-methylenedioxyamphetamine"],
    "keywords": [],
    "language": ["eng"],
    "nct_ids": ["NCT03537014"],
    "retraction_notices": [],
    "errata": [],
    "article_kind": "journal-article",
}

TRICKY = {
    **CLASSIFIED,
    "design": "protocol",
    "comparator": "established-treatment",
    "established_treatments": ["prolonged exposure", "cognitive processing therapy"],
    "relation_to_established": "head-to-head",
    "new_since_essay": True,
    "highlight": True,
    "highlight_reason": "highlighted: protocol; head-to-head with prolonged exposure",
    "pmid": "39999991",
    "doi": None,
    "pmcid": None,
    "title": "Shame; guilt ER  - and fear: MDMA versus prolonged exposure — a protocol",
    "abstract": f"{SUMMARY_LABEL}: First paragraph of the summary.\n"
    "ER  - a paragraph that starts like an end tag\n"
    "AB - and one like an abstract tag (Zotero takes one space)\n\n"
    "   Indented   paragraph\twith  tabs.",
    "authors": ["Núñez JÉ", "Søgaard-Ørsted Å", "Łukasik-Wiśniewska M", "MAPP2 Study Group"],
    "journal": "Trials",
    "journal_title": "Trials",
    "volume": "25",
    "issue": None,
    "pages": "e123",
    "pub_date": "2024",
    "year": 2024,
    "publication_types": ["Journal Article"],
    "mesh": [],
    "keywords": ["psilocybin; MDMA", "Ψ-therapy"],
    "language": ["eng", "spa"],
    "nct_ids": [],
    "article_kind": "journal-article",
}

CHAPTER = {
    **CLASSIFIED,
    "design": "review",
    "comparator": "none",
    "relation_to_established": "none",
    "pmid": "32644555",
    "doi": None,
    "title": "Posttraumatic Stress Disorder",
    "abstract": "",
    "authors": ["Mann SK", "Marwaha R", "Torrico TJ"],
    "journal": "StatPearls",
    "journal_title": "StatPearls",
    "volume": None,
    "issue": None,
    "pages": None,
    "pub_date": "2024-01",
    "year": 2024,
    "article_kind": "book",
}

WHOLE_BOOK = {
    **CHAPTER,
    "pmid": "39999992",
    "title": "Treating PTSD: A Handbook",
    "journal": "Treating PTSD: A Handbook",
    "journal_title": "Treating PTSD: A Handbook",
    "authors": ["Ørbæk K", "PTSD Guideline Writing Group"],
}

REGISTRATION = {
    **CLASSIFIED,
    "design": "rct",
    "comparator": "established-treatment",
    "established_treatments": ["cognitive processing therapy"],
    "relation_to_established": "head-to-head",
    "new_since_essay": True,
    "highlight": True,
    "nct_id": "NCT05837845",
    "title": "A Randomized Trial to Compare MDMA-assisted Cognitive Processing Therapy (aCPT) "
    "Versus a VA Standard-of-care CPT",
    "brief_title": "MDMA-assisted CPT Versus CPT for Veterans",
    "status": "RECRUITING",
    "phase": "PHASE2",
    "start_date": "2025-02-10",
    "first_posted": None,
    "completion_date": "2027-12-31",
    "completion_date_type": "ESTIMATED",
    "enrollment": 30,
    "enrollment_type": "ESTIMATED",
    "conditions": ["PTSD", "Stress Disorders, Post-Traumatic"],
    "arms": [
        {
            "label": "MDMA-assisted CPT",
            "type": "EXPERIMENTAL",
            "interventions": ["MDMA", "Cognitive Processing Therapy"],
        },
        {
            "label": "CPT",
            "type": "ACTIVE_COMPARATOR",
            "interventions": ["Cognitive Processing Therapy"],
        },
    ],
    "linked_pmids": [],
    "sponsor": "VA Office of Research and Development",
    "summary": "Veterans with severe PTSD receive CPT with or without MDMA.\n"
    "The primary outcome is CAPS-5.",
    "url": "https://clinicaltrials.gov/study/NCT05837845",
    "notes": {"arms_note": "arm labels paraphrased"},
}

DECIDED_ROW = {
    "pmid": "39999991",
    "decision": "include",
    "reviewer": "AK",
    "notes": "check the protocol's comparator\nER  - second line of the note",
    "mechanisms": "engagement_avoidance; comparative_trials",
    "nct_ids": "NCT05000001",
    "source": "snapshot",
}


@pytest.fixture
def entries() -> list[dict]:
    return [
        record_entry(PHASE3, {"pmid": "33972795", "mechanisms": "fear_extinction"}),
        record_entry(TRICKY, DECIDED_ROW),
        record_entry(CHAPTER),
        record_entry(WHOLE_BOOK),
        registration_entry(REGISTRATION, {"trial_id": "NCT05837845", "source": "snapshot"}),
    ]


def as_read_back(entry: dict) -> dict:
    """What rispy returns for a written entry: a multi-line AB joined with spaces, a
    multi-line N1 one list item per line; everything else as written."""
    expected = dict(entry)
    if "abstract" in expected:
        expected["abstract"] = " ".join(expected["abstract"].split("\n"))
    expected["notes"] = [line for note in expected.get("notes", []) for line in note.split("\n")]
    return expected


# -- round trip --------------------------------------------------------------------------------


def test_every_field_reads_back(tmp_path, entries):
    path = tmp_path / "export.ris"
    write_ris(path, entries)
    read = read_ris(path)
    assert len(read) == len(entries)
    for written, back in zip(entries, read, strict=True):
        assert back == as_read_back(written)


def test_entries_have_the_expected_tags(entries):
    phase3, tricky, chapter, book, registration = entries
    assert phase3["type_of_reference"] == "JOUR"
    assert phase3["authors"][:4] == [
        "Mitchell, J. M.",
        "Bogenschutz, M.",
        "Ot’alora G, M.",
        "van der Kolk, B. A.",
    ]
    assert phase3["secondary_title"] == "Nature medicine"
    assert phase3["alternate_title1"] == "Nat Med"
    assert (phase3["date"], phase3["year"]) == ("2021/06", "2021")
    assert (phase3["start_page"], phase3["end_page"]) == ("1025", "1033")
    assert (phase3["volume"], phase3["number"]) == ("27", "6")
    assert phase3["doi"] == "10.1038/s41591-021-01336-3"
    assert phase3["accession_number"] == phase3["id"] == "33972795"
    assert phase3["urls"] == ["https://pubmed.ncbi.nlm.nih.gov/33972795/"]
    assert phase3["abstract"].split("\n")[1].startswith("METHODS: ")
    assert "Stress Disorders, Post-Traumatic" in phase3["keywords"]
    assert "livescreen:mechanism:fear_extinction" in phase3["keywords"]
    note = phase3["notes"][0].split("\n")
    assert note[0] == "livescreen classification (PMID 33972795)"
    assert "design: rct" in note
    assert "relation to established treatments: placebo-only" in note
    assert "highlight: false" in note
    assert "highlight reason: not highlighted: placebo comparator only" in note
    assert "decision: none recorded" in note
    assert not any("summary written for livescreen" in line for line in note)

    assert "doi" not in tricky and "end_page" not in tricky and "date" not in tricky
    assert tricky["start_page"] == "e123"
    assert tricky["title"] == TRICKY["title"]
    assert tricky["authors"] == [
        "Núñez, J. É.",
        "Søgaard-Ørsted, Å.",
        "Łukasik-Wiśniewska, M.",
        "MAPP2 Study Group,",
    ]
    assert tricky["abstract"].split("\n")[-1] == "Indented   paragraph\twith  tabs."
    assert tricky["language"] == "eng; spa"
    note = tricky["notes"][0].split("\n")
    for line in (
        "highlight: true",
        "established treatments: prolonged exposure; cognitive processing therapy",
        "mechanisms (keyword searches that found it): engagement_avoidance; comparative_trials",
        "trial registrations: NCT05000001",
        "decision: include",
        "reviewer: AK",
        "reviewer notes: check the protocol's comparator",
        "ER  - second line of the note",
        "abstract: a summary written for livescreen from the bundled snapshot, "
        "not the publisher's abstract",
    ):
        assert line in note
    for tag in ("highlight", "decision:include", "treatment:prolonged exposure"):
        assert f"livescreen:{tag}" in tricky["keywords"]

    assert chapter["type_of_reference"] == "CHAP"
    assert (chapter["title"], chapter["secondary_title"]) == (
        "Posttraumatic Stress Disorder",
        "StatPearls",
    )
    assert "alternate_title1" not in chapter and "abstract" not in chapter
    assert book["type_of_reference"] == "BOOK"
    assert book["title"] == "Treating PTSD: A Handbook"
    assert "secondary_title" not in book and "alternate_title1" not in book
    assert book["authors"] == ["Ørbæk, K.", "PTSD Guideline Writing Group,"]

    assert registration["type_of_reference"] == "RPRT"
    assert registration["authors"] == ["VA Office of Research and Development,"]
    assert registration["issn"] == registration["accession_number"] == "NCT05837845"
    assert registration["publisher"] == registration["name_of_database"] == "ClinicalTrials.gov"
    assert registration["type_of_work"] == "Clinical trial registration"
    assert registration["short_title"] == "MDMA-assisted CPT Versus CPT for Veterans"
    assert (registration["date"], registration["year"]) == ("2025/02/10", "2025")
    assert registration["urls"] == ["https://clinicaltrials.gov/study/NCT05837845"]
    note = registration["notes"][0].split("\n")
    assert "arms: MDMA-assisted CPT:EXPERIMENTAL:MDMA+Cognitive Processing Therapy|" in "\n".join(
        note
    )
    assert "completion: 2027-12-31 (estimated)" in note
    assert "caveat, arms: arm labels paraphrased" in note
    assert registration["keywords"][:2] == ["PTSD", "Stress Disorders, Post-Traumatic"]


def test_a_note_zotero_would_read_as_html_is_escaped():
    row = {"notes": "n < 30 and age > 65", "decision": "maybe"}
    (reviewer_notes,) = [
        line for line in record_entry(PHASE3, row)["notes"][0].split("\n") if "n &lt;" in line
    ]
    assert reviewer_notes == "reviewer notes: n &lt; 30 and age > 65"
    lone = record_entry(PHASE3, {"notes": "n < 30"})["notes"][0]
    assert "reviewer notes: n < 30" in lone.split("\n")


def test_every_entry_has_two_keywords_or_more(entries):
    """Zotero splits a record's only tag at its commas."""
    assert all(len(entry["keywords"]) >= 2 for entry in entries)


# -- the file ----------------------------------------------------------------------------------

# Zotero's RIS translator's tag line (one or two spaces); rispy's is stricter (two).
TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")


def test_file_structure(tmp_path, entries):
    """BOM on a line of its own, CRLF, TY first and ER last in each entry, blank lines
    between, no rispy numbering lines; each entry parses on its own."""
    path = tmp_path / "export.ris"
    write_ris(path, entries)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf\r\nTY  - JOUR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")

    text = raw.decode("utf-8-sig")
    chunks = text.strip("\r\n").split("\r\n\r\n")
    assert len(chunks) == len(entries)
    for chunk, entry in zip(chunks, entries, strict=True):
        lines = chunk.split("\r\n")
        assert lines[0] == f"TY  - {entry['type_of_reference']}"
        assert lines[-1] == "ER  - "
        tags = [m.group(1) for line in lines if (m := TAG_LINE.match(line))]
        assert tags.count("TY") == tags.count("ER") == 1
        assert all(line.strip() for line in lines)
        # the only lines that read as tags are the entry's own tags
        assert len(tags) == 2 + sum(
            len(value) if isinstance(value, list) else 1
            for key, value in entry.items()
            if key != "type_of_reference"
        )
        (alone,) = rispy.loads(chunk, newline="\r\n")
        assert alone == as_read_back(entry)


def test_a_reader_that_keeps_the_bom_loses_no_entry(tmp_path, entries):
    path = tmp_path / "export.ris"
    write_ris(path, entries)
    assert rispy.load(path, encoding="utf-8") == read_ris(path)


def test_tag_like_continuation_lines_are_indented(tmp_path, entries):
    path = tmp_path / "export.ris"
    write_ris(path, entries)
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    assert " ER  - a paragraph that starts like an end tag" in lines
    assert " AB - and one like an abstract tag (Zotero takes one space)" in lines
    assert " ER  - second line of the note" in lines


def test_no_entries_is_an_empty_file(tmp_path):
    path = tmp_path / "empty.ris"
    write_ris(path, [])
    assert read_ris(path) == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type_of_reference": "JOUR", "pmid": "1"}, "no tag for field 'pmid'"),
        ({"type_of_reference": "JOUR", "title": "two\nlines"}, "title has a line break"),
        ({"type_of_reference": "JOUR", "abstract": "a\n\nb"}, "empty line"),
        ({"type_of_reference": "JOUR", "abstract": "a\r\nb"}, "line break other than"),
        ({"type_of_reference": "JOUR", "title": " padded"}, "whitespace"),
        ({"type_of_reference": "JOUR", "authors": "Mitchell, J. M."}, "list of strings"),
        ({"type_of_reference": "JOUR", "urls": ["https://x.org/a;b"]}, "split a URL"),
    ],
)
def test_entries_a_reader_would_misread_are_refused(tmp_path, entry, message):
    path = tmp_path / "bad.ris"
    with pytest.raises(RisError, match=re.escape(message)):
        write_ris(path, [entry])
    assert not path.exists()


# -- authors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Mitchell JM", "Mitchell, J. M."),
        ("Doblin R", "Doblin, R."),
        ("de Wit H", "de Wit, H."),
        ("van der Kolk BA", "van der Kolk, B. A."),
        ("Ot’alora G M", "Ot’alora G, M."),
        ("Van Derveer JW", "Van Derveer, J. W."),
        ("Yazar-Klosinski B", "Yazar-Klosinski, B."),
        ("Núñez JÉ", "Núñez, J. É."),
        ("Øvergaard ÅB", "Øvergaard, Å. B."),
        # collective names, and anything else that is not "Surname Initials", stay whole
        ("MAPP1 Study Group", "MAPP1 Study Group,"),
        ("Multidisciplinary Association for Psychedelic Studies MAPS", None),
        ("PTSD Guideline Panel UK", None),
        ("Cochrane Common Mental Disorders Group", None),
        ("NICE", "NICE,"),
        ("Zeifman Richard", "Zeifman Richard,"),
        ("World Health Organization,", "World Health Organization,"),
        ("  Mitchell \n JM ", "Mitchell, J. M."),
    ],
)
def test_authors(name, expected):
    assert ris_author(name) == (expected or name + ",")


# -- from screening.json ------------------------------------------------------------------------


def screening_json(path, publications, highlighted):
    """`screening.json` as the screening step writes it (every row's columns as text, the
    decision store's decisions), written and read back."""
    write_json(
        path,
        {
            "run": "2026-12-01T12:00:00Z",
            "run_folder": "results/runs/2026-12-01T120000Z",
            "publications": [dict.fromkeys(SCREENING_COLUMNS, "") | r for r in publications],
            "registrations": [],
            "essay_matches": [],
            "highlighted": [dict.fromkeys(HIGHLIGHT_COLUMNS, "") | r for r in highlighted],
        },
    )
    return read_json(path)


def test_entries_follow_screening_json(tmp_path):
    """Rows from screening.json: order kept, cells exactly as the store holds them (no
    spreadsheet-formula guard to undo), a record missing from the data exported from its
    row."""
    rows = [
        {
            "pmid": "39999991",
            "decision": "exclude",
            "exclusion_reason": "-not a trial",
            "notes": "=SUM(A1)",
            "mechanisms": "openness",
        },
        {"pmid": "33972795"},
        {
            "pmid": "30000001",
            "title": "A record the searches no longer find",
            "authors": "Smith AB; Jones C",
            "still_found": "false",
            "highlight": "false",
        },
        {"pmid": "30000002", "title": "'t Hooft's record", "notes": "'=kept as typed"},
    ]
    highlighted = [
        {"record_type": "registration", "trial_id": "NCT05837845", "nct_ids": "NCT05837845"},
        {"record_type": "publication", "trial_id": "PMID:39999991", "pmid": "39999991"},
        {
            "record_type": "registration",
            "trial_id": "NCT09999999",
            "title": "A registration no longer found",
            "status": "COMPLETED",
            "registry_url": "https://clinicaltrials.gov/study/NCT09999999",
        },
    ]
    to_screen, highlighted = screening_rows(
        screening_json(tmp_path / "screening.json", rows, highlighted)
    )
    records = {r["pmid"]: r for r in (PHASE3, TRICKY)}

    entries = to_screen_entries(to_screen, records)
    assert [e["id"] for e in entries] == ["39999991", "33972795", "30000001", "30000002"]
    note = entries[0]["notes"][0].split("\n")
    assert "reviewer notes: =SUM(A1)" in note
    assert "exclusion reason: -not a trial" in note
    assert "livescreen:decision:exclude" in entries[0]["keywords"]
    gone = entries[2]
    assert gone["title"] == "A record the searches no longer find"
    assert gone["authors"] == ["Smith, A. B.", "Jones, C."]
    note = gone["notes"][0].split("\n")
    assert "still found: false (the latest searches no longer find this record)" in note
    assert not any(line.startswith(("involves MDMA", "established treatments")) for line in note)
    assert entries[3]["title"] == "'t Hooft's record"
    assert "reviewer notes: '=kept as typed" in entries[3]["notes"][0].split("\n")
    write_ris(tmp_path / "to_screen.ris", entries)
    assert len(read_ris(tmp_path / "to_screen.ris")) == 4

    entries = highlighted_entries(highlighted, records, {"NCT05837845": REGISTRATION})
    assert [(e["type_of_reference"], e["id"]) for e in entries] == [
        ("RPRT", "NCT05837845"),
        ("JOUR", "39999991"),
        ("RPRT", "NCT09999999"),
    ]
    assert "trial id in highlighted_trials: PMID:39999991" in entries[1]["notes"][0].split("\n")
    assert entries[2]["urls"] == ["https://clinicaltrials.gov/study/NCT09999999"]
    assert "status: COMPLETED" in entries[2]["notes"][0].split("\n")


def test_a_screening_json_of_another_version_is_named():
    with pytest.raises(RisError, match="screening.json has no highlighted"):
        screening_rows({"run": "x", "publications": []})


# -- a second, independent reader --------------------------------------------------------------

MODS = "{http://www.loc.gov/mods/v3}"


def test_bibutils_reads_the_same_records(tmp_path, entries):
    """bibutils' ris2xml (Debian package bibutils), a RIS reader written apart from rispy,
    finds the same records, titles, identifiers and personal names."""
    ris2xml = shutil.which("ris2xml")
    if not ris2xml:
        pytest.skip("bibutils (ris2xml) is not installed")
    path = tmp_path / "export.ris"
    write_ris(path, entries)
    result = subprocess.run(
        [ris2xml, "-i", "utf8", "-un", "-nt", str(path)],
        capture_output=True,
        check=True,
        timeout=60,
    )
    mods = ET.fromstring(result.stdout).findall(f"{MODS}mods")
    assert [m.get("ID") for m in mods] == [e["id"] for e in entries]
    for record, entry in zip(mods, entries, strict=True):
        assert record.findtext(f"{MODS}titleInfo/{MODS}title") == entry["title"]
        dois = [i.text for i in record.iter(f"{MODS}identifier") if i.get("type") == "doi"]
        assert dois == ([entry["doi"]] if "doi" in entry else [])
    families = [
        part.text
        for name in mods[0].findall(f"{MODS}name")
        for part in name.findall(f"{MODS}namePart")
        if part.get("type") == "family"
    ]
    assert families[:4] == ["Mitchell", "Bogenschutz", "Ot’alora G", "van der Kolk"]


# -- the rule ----------------------------------------------------------------------------------


@pytest.mark.workflow
def test_rule_writes_both_files(tmp_path):
    """`snakemake` on the snapshot writes both RIS files, one entry per screening.json row."""
    from tests.test_workflow import copy_project, snakemake

    workdir = copy_project(tmp_path)
    snakefile = workdir / "Snakefile"
    text = snakefile.read_text(encoding="utf-8")
    if 'include: "rules/export.smk"' not in text:
        snakefile.write_text(text + '\n\ninclude: "rules/export.smk"\n', encoding="utf-8")
    targets = ["results/screening/to_screen.ris", "results/screening/highlighted_trials.ris"]
    snakemake(workdir, "all", *targets, "--configfile", ".test/config/snapshot.yaml")
    screening = read_json(workdir / "results" / "screening" / "screening.json")
    for target, rows in zip(targets, screening_rows(screening), strict=True):
        read = read_ris(workdir / target)
        assert len(read) == len(rows) > 0
        ids = [row.get("pmid") or row["trial_id"] for row in rows]
        assert [entry["id"] for entry in read] == ids
    assert "entries" in (workdir / "logs" / "ris.log").read_text(encoding="utf-8")
