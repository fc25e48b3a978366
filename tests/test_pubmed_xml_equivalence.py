"""The PubMed XML parser gives exactly the records of the parser it replaced (issue #19).

The reference is ``livescreen/parse/pubmed_xml.py`` as of commit ``REFERENCE_COMMIT`` (the
last version before the single-pass rewrite), read with ``git show`` and imported as a
standalone module; the tests skip when the checkout has no git history. Records are compared
record by record and field by field, key order and value types included; errors by class
name, message, line and last PMID.

Inputs: the bundled snapshot records, hand-written edge cases (books, missing and repeated
elements, markup, comments, entities, every notice type), seeded random mutations of all of
them (elements removed, repeated, moved, emptied; attributes changed), and, when
``../shared/fixtures`` is present, every XML file there (gzip too) plus mutations of its real
records.
"""

from __future__ import annotations

import copy
import gzip
import importlib.util
import random
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lxml import etree

from livescreen.parse import pubmed_xml

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT.parent / "shared" / "fixtures"
REFERENCE_COMMIT = "7d435a0"
MODULE_PATH = "livescreen/parse/pubmed_xml.py"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    try:
        source = subprocess.run(
            ["git", "show", f"{REFERENCE_COMMIT}:{MODULE_PATH}"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip(f"git history with commit {REFERENCE_COMMIT} is not available")
    path = tmp_path_factory.mktemp("reference") / "pubmed_xml_reference.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("pubmed_xml_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outcome(module: Any, data: bytes) -> tuple[list[list[tuple[str, str, Any]]], Any]:
    """Every record (key, type, value) until the end or the error, and the error's facts."""
    records: list[list[tuple[str, str, Any]]] = []
    try:
        for record in module.iter_articles(data):
            records.append([(key, type(value).__name__, value) for key, value in record.items()])
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        facts = (type(exc).__name__, str(exc), getattr(exc, "line", None))
        return records, (*facts, getattr(exc, "last_pmid", None))
    return records, None


def assert_same(reference: ModuleType, data: bytes, label: str) -> int:
    """Compare both parsers on ``data``; the number of records compared."""
    ours, ours_error = outcome(pubmed_xml, data)
    theirs, their_error = outcome(reference, data)
    assert len(ours) == len(theirs), label
    for index, (mine, old) in enumerate(zip(ours, theirs, strict=True)):
        assert [key for key, _, _ in mine] == list(pubmed_xml.RECORD_KEYS), label
        for field, expected in zip(mine, old, strict=True):
            assert field == expected, f"{label}: record {index}, {field[0]}"
    assert ours_error == their_error, label
    if ours_error is None:
        assert pubmed_xml.count_articles(data) == reference.count_articles(data), label
    return len(ours)


def article_set(*articles: bytes | str, prolog: str = "") -> bytes:
    body = b"".join(a.encode() if isinstance(a, str) else a for a in articles)
    return (
        f'<?xml version="1.0"?>\n{prolog}<PubmedArticleSet>'.encode()
        + body
        + (b"</PubmedArticleSet>")
    )


# --------------------------------------------------------------------------- edge cases

JOURNAL = (
    '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">'
    " 1001 </PMID><!-- a comment --><DateRevised><Year>2020</Year></DateRevised>"
    '<Article PubModel="Print-Electronic"><Journal><ISSN>1</ISSN><JournalIssue>'
    "<Volume> 12 </Volume><Issue>3</Issue><PubDate><Year>2001</Year><Season>May-Jun</Season>"
    "</PubDate></JournalIssue><Title>Journal  of\n tests</Title>"
    "<ISOAbbreviation>J Tests</ISOAbbreviation></Journal>"
    "<ArticleTitle>Effect of <i>E. coli</i> on Ca<sup>2+</sup> (NCT00000001, nct 00000002)"
    "</ArticleTitle><Pagination><StartPage>10</StartPage><EndPage>19</EndPage></Pagination>"
    '<ELocationID EIdType="doi" ValidYN="N">10.9/bad</ELocationID>'
    '<ELocationID EIdType="doi">10.9/eloc</ELocationID>'
    '<Abstract><AbstractText Label="UNLABELLED">Lead.</AbstractText>'
    '<AbstractText Label="BACKGROUND">Why <b>now</b>\t and\n here.</AbstractText>'
    '<AbstractText Label="EMPTY"/><AbstractText>Registered as Nct00000003 and'
    " NCT00000001.</AbstractText><?pi target?>"
    '<AbstractText>x <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML">\n'
    "  <mml:mi>y</mml:mi>\n</mml:math> z</AbstractText></Abstract>"
    '<AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Smith</LastName>'
    "<ForeName>Jane M</ForeName><Initials>JM</Initials><AffiliationInfo><Affiliation>X"
    '</Affiliation></AffiliationInfo></Author><Author ValidYN="N"><LastName>Gone</LastName>'
    "</Author><Author><LastName>Doe</LastName><ForeName>John</ForeName></Author>"
    "<Author><CollectiveName>The <i>Trial</i> Group</CollectiveName></Author>"
    "<Author><Initials>Q</Initials></Author><Author/></AuthorList>"
    "<Language>eng</Language><Language> fre </Language>"
    "<DataBankList><DataBank><DataBankName>ClinicalTrials.gov</DataBankName>"
    "<AccessionNumberList><AccessionNumber> nct00000004 </AccessionNumber>"
    "<AccessionNumber/></AccessionNumberList></DataBank><DataBank><DataBankName>ISRCTN"
    "</DataBankName><AccessionNumberList><AccessionNumber>ISRCTN1</AccessionNumber>"
    "</AccessionNumberList></DataBank></DataBankList>"
    "<PublicationTypeList><PublicationType>Journal Article</PublicationType>"
    "<PublicationType>Retracted Publication</PublicationType></PublicationTypeList>"
    '<ArticleDate DateType="Other"><Year>2000</Year></ArticleDate>'
    "<ArticleDate><Year>2001</Year><Month>2</Month><Day>31</Day></ArticleDate></Article>"
    "<MedlineJournalInfo><Country>X</Country></MedlineJournalInfo>"
    "<MedlineJournalInfo><MedlineTA>J  Tests TA</MedlineTA></MedlineJournalInfo>"
    "<CommentsCorrectionsList>"
    '<CommentsCorrections RefType="RetractionIn"><RefSource>J 2002;1:1</RefSource>'
    '<PMID Version="1">2002</PMID></CommentsCorrections>'
    '<CommentsCorrections RefType="RetractedandRepublishedIn"><RefSource/></CommentsCorrections>'
    '<CommentsCorrections RefType="ErratumIn"><RefSource>E <i>1</i></RefSource>'
    "</CommentsCorrections>"
    '<CommentsCorrections RefType="CorrectedandRepublishedIn"><PMID>3003</PMID>'
    "</CommentsCorrections>"
    '<CommentsCorrections RefType="ExpressionOfConcernIn"><RefSource>C</RefSource>'
    "</CommentsCorrections>"
    '<CommentsCorrections RefType="CommentIn"><RefSource>no</RefSource></CommentsCorrections>'
    "</CommentsCorrectionsList><MeshHeadingList>"
    '<MeshHeading><DescriptorName MajorTopicYN="Y">Humans</DescriptorName></MeshHeading>'
    '<MeshHeading><DescriptorName MajorTopicYN="N">Fear</DescriptorName>'
    '<QualifierName MajorTopicYN="N">drug effects</QualifierName>'
    '<QualifierName MajorTopicYN="Y">psychology</QualifierName></MeshHeading>'
    "<MeshHeading><DescriptorName>Adult</DescriptorName></MeshHeading>"
    '<MeshHeading><QualifierName MajorTopicYN="Y">orphan</QualifierName></MeshHeading>'
    "<MeshHeading><DescriptorName> </DescriptorName></MeshHeading>"
    "</MeshHeadingList>"
    '<KeywordList Owner="NOTNLM"><Keyword>one</Keyword><Keyword/></KeywordList>'
    "<KeywordList><Keyword>two <i>words</i></Keyword></KeywordList></MedlineCitation>"
    '<PubmedData><History><PubMedPubDate PubStatus="received"><Year>1999</Year>'
    '</PubMedPubDate><PubMedPubDate PubStatus="pubmed"><Year>2001</Year><Month>7</Month>'
    '<Day>12</Day></PubMedPubDate><PubMedPubDate PubStatus="entrez"><Year>2001</Year>'
    "<Month>Jul</Month><Day>11</Day><Hour>6</Hour></PubMedPubDate></History>"
    "<PublicationStatus>ppublish</PublicationStatus><ArticleIdList>"
    '<ArticleId IdType="pubmed">1001</ArticleId><ArticleId IdType="doi"> </ArticleId>'
    '<ArticleId IdType="doi">10.1/Real </ArticleId><ArticleId IdType="pmc">PMC1</ArticleId>'
    "<ArticleId>bare</ArticleId></ArticleIdList><ReferenceList><Reference><Citation>x"
    '</Citation><ArticleIdList><ArticleId IdType="doi">10.1/ref</ArticleId></ArticleIdList>'
    "</Reference></ReferenceList></PubmedData></PubmedArticle>"
)

REPEATED = (
    "<PubmedArticle><MedlineCitation><PMID/><PMID>7</PMID><Article><Journal><Title>First"
    "</Title></Journal><Journal><Title>Second</Title><JournalIssue><Volume/></JournalIssue>"
    "<JournalIssue><Volume>2</Volume><PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate>"
    "</PubDate></JournalIssue></Journal><ArticleTitle/><VernacularTitle>Titre</VernacularTitle>"
    "<ArticleTitle>Later</ArticleTitle><Abstract/><Abstract><AbstractText>Second"
    "</AbstractText></Abstract><Pagination><MedlinePgn>1-9</MedlinePgn><StartPage>5"
    "</StartPage></Pagination><Pagination><MedlinePgn>x</MedlinePgn></Pagination>"
    "<AuthorList><Author><LastName>A</LastName></Author></AuthorList><AuthorList><Author>"
    "<LastName>B</LastName><LastName>C</LastName><Initials/><ForeName>F</ForeName></Author>"
    "</AuthorList></Article><Article><ArticleTitle>Other</ArticleTitle></Article>"
    "</MedlineCitation><MedlineCitation><PMID>8</PMID></MedlineCitation><PubmedData>"
    '<History><PubMedPubDate PubStatus="pubmed"><Year>x</Year></PubMedPubDate></History>'
    '<History><PubMedPubDate PubStatus="pubmed"><Year>2005</Year></PubMedPubDate></History>'
    '<ArticleIdList><ArticleId IdType="pmc"/></ArticleIdList><ArticleIdList>'
    '<ArticleId IdType="pmc">PMC2</ArticleId></ArticleIdList></PubmedData>'
    "<PubmedData><PublicationStatus>epublish</PublicationStatus></PubmedData></PubmedArticle>"
)

SPARSE = (
    "<PubmedArticle/>",
    "<PubmedArticle><PubmedData/></PubmedArticle>",
    "<PubmedArticle><MedlineCitation><PMID>9</PMID></MedlineCitation></PubmedArticle>",
    "<PubmedArticle><MedlineCitation><Article><Journal><JournalIssue><PubDate><Year>20"
    "</Year></PubDate></JournalIssue></Journal><ArticleDate><Year>2019</Year><Month>13"
    "</Month></ArticleDate></Article></MedlineCitation></PubmedArticle>",
    '<PubmedArticle xmlns:x="urn:x"><MedlineCitation><x:PMID>10</x:PMID><PMID>11</PMID>'
    "<Article><x:ArticleTitle>ns</x:ArticleTitle><ArticleTitle>&amp; &#169; &lt;b&gt;"
    "</ArticleTitle></Article></MedlineCitation></PubmedArticle>",
    "<PubmedArticle><MedlineCitation><PMID>12</PMID><Article><Journal><JournalIssue><PubDate>"
    "<Year>2003</Year><Year>1990</Year><Month/><Month>4</Month><Season>Fall</Season></PubDate>"
    "</JournalIssue></Journal><ArticleTitle>only nct 01234567 here</ArticleTitle>"
    "</Article></MedlineCitation><PubmedData><History>"
    '<PubMedPubDate PubStatus="entrez"><Year>2004</Year><Month>2</Month></PubMedPubDate>'
    '<PubMedPubDate PubStatus="entrez"><Year>2005</Year></PubMedPubDate></History>'
    "</PubmedData></PubmedArticle>",
    "<PubmedArticle><MedlineCitation><PMID>13</PMID><Article><ArticleTitle>XNCT12345678, "
    "NCTNCT12345678, nct123456789, a-NCT12345678. ncT 1234567 NCT 12345678_</ArticleTitle>"
    "<Abstract><AbstractText>\u0130 NCT12345678 nct\u00a087654321 NCT\uff11\uff12\uff13"
    "\uff14\uff15\uff16\uff17\uff18 NcT22222222</AbstractText></Abstract></Article>"
    "</MedlineCitation></PubmedArticle>",
)

BOOKS = (
    "<PubmedBookArticle><BookDocument><PMID>20</PMID><ArticleIdList>"
    '<ArticleId IdType="bookaccession">NBK1</ArticleId><ArticleId IdType="doi">10.2/chap'
    "</ArticleId></ArticleIdList><Book><Publisher><PublisherName>P</PublisherName>"
    "</Publisher><BookTitle>The <i>Book</i></BookTitle><PubDate><Year>2010</Year>"
    '<Month>Mar</Month></PubDate><AuthorList Type="editors"><Author><LastName>Ed</LastName>'
    '</Author></AuthorList><AuthorList Type="authors"><Author><LastName>Bk</LastName>'
    "<Initials>B</Initials></Author></AuthorList><Volume>4</Volume>"
    '<ELocationID EIdType="doi">10.2/book</ELocationID></Book><ArticleTitle/>'
    '<Language>eng</Language><AuthorList Type="editors"><Author><LastName>E2</LastName>'
    "</Author></AuthorList><PublicationType>Review</PublicationType>"
    "<Abstract><AbstractText>Book abstract NCT00000009.</AbstractText></Abstract>"
    "<KeywordList><Keyword>k</Keyword></KeywordList><Pagination><StartPage>3</StartPage>"
    '</Pagination><CommentsCorrectionsList><CommentsCorrections RefType="ErratumIn">'
    "<RefSource>Err</RefSource></CommentsCorrections></CommentsCorrectionsList>"
    '</BookDocument><PubmedBookData><History><PubMedPubDate PubStatus="entrez"><Year>2010'
    "</Year><Month>3</Month><Day>1</Day></PubMedPubDate></History><PublicationStatus>"
    'ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pmc">PMC9</ArticleId>'
    '<ArticleId IdType="doi">10.2/data</ArticleId></ArticleIdList></PubmedBookData>'
    "</PubmedBookArticle>",
    "<PubmedBookArticle><BookDocument><PMID>21</PMID><Book><BookTitle>Only title</BookTitle>"
    "</Book><AuthorList><Author><LastName>Ch</LastName><ForeName>C</ForeName></Author>"
    "</AuthorList><VernacularTitle>Vern</VernacularTitle></BookDocument></PubmedBookArticle>",
    "<PubmedBookArticle/>",
)

ENTITY_PROLOG = '<!DOCTYPE PubmedArticleSet [<!ENTITY ent "expanded">]>\n'
ENTITY = (
    "<PubmedArticle><MedlineCitation><PMID>30</PMID><Article><ArticleTitle>A &ent; "
    "<i>b &ent;</i> c</ArticleTitle><Abstract><AbstractText>&ent;</AbstractText>"
    "</Abstract></Article><MeshHeadingList><MeshHeading><DescriptorName>D &ent;"
    "</DescriptorName></MeshHeading></MeshHeadingList></MedlineCitation></PubmedArticle>"
)

EDGE_CASES = {
    "journal": article_set(JOURNAL),
    "repeated": article_set(REPEATED),
    "sparse": article_set(*SPARSE),
    "books": article_set(*BOOKS, JOURNAL),
    "entity": article_set(ENTITY, prolog=ENTITY_PROLOG),
    "gzip": gzip.compress(article_set(JOURNAL, *BOOKS)),
    "truncated": article_set(JOURNAL, REPEATED)[:-300],
    "wrong root": b"<eFetchResult><PubmedArticle/></eFetchResult>",
    "nested": b"<PubmedArticleSet><X>" + JOURNAL.encode() + b"</X></PubmedArticleSet>",
    "html": b"<!DOCTYPE html><html><body>error</body></html>",
}


# --------------------------------------------------------------------------- mutations

FLAG_VALUES = {
    "MajorTopicYN": ("Y", "N"),
    "ValidYN": ("Y", "N"),
    "IdType": ("doi", "pmc", "pubmed"),
    "EIdType": ("doi", "pii"),
    "PubStatus": ("entrez", "pubmed", "received"),
    "DateType": ("Electronic", "Other"),
    "RefType": ("RetractionIn", "ErratumIn", "CommentIn", "ExpressionOfConcernIn"),
    "Type": ("authors", "editors"),
    "Label": ("UNLABELLED", "METHODS", ""),
}
TEXTS = ("", "  spaced \n\t text ", "NCT01234567", "2001 Spring", "Dec", "7", "Smith")


def mutate(article: etree._Element, rng: random.Random, steps: int) -> etree._Element:
    """A copy of ``article`` with ``steps`` random edits below its root."""
    article = copy.deepcopy(article)
    for _ in range(steps):
        nodes = [e for e in article.iter() if isinstance(e.tag, str) and e is not article]
        if not nodes:
            break
        node = rng.choice(nodes)
        parent = node.getparent()
        action = rng.randrange(7)
        if action == 0:
            parent.remove(node)
        elif action == 1:
            node.addnext(copy.deepcopy(node))
        elif action == 2:
            parent.remove(node)
            parent.insert(0, node)
        elif action == 3:
            node.text = rng.choice(TEXTS)
        elif action == 4:
            node.addprevious(etree.Comment(" mutation "))
        elif action == 5:
            for child in list(node):
                node.remove(child)
        else:
            name = rng.choice(sorted(FLAG_VALUES))
            if rng.random() < 0.25:
                node.attrib.pop(name, None)
            else:
                node.set(name, rng.choice(FLAG_VALUES[name]))
    return article


def articles_of(data: bytes) -> list[etree._Element]:
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    root = etree.fromstring(data, _PARSER)
    return [e for e in root if e.tag in ("PubmedArticle", "PubmedBookArticle")]


def mutated_sets(sources: list[bytes], seed: int, variants: int) -> list[bytes]:
    rng = random.Random(seed)
    sets = []
    for data in sources:
        for article in articles_of(data):
            mutants = [mutate(article, rng, rng.randint(1, 8)) for _ in range(variants)]
            sets.append(article_set(*(etree.tostring(m) for m in mutants)))
    return sets


def snapshot_sets() -> list[bytes]:
    from livescreen.sources.snapshot import Snapshot

    snapshot = Snapshot(ROOT / "resources" / "snapshot" / "snapshot_records.json")
    return [article_set(*snapshot.articles.values())]


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_cases_match_reference(reference: ModuleType, name: str) -> None:
    assert_same(reference, EDGE_CASES[name], name)


def test_snapshot_records_match_reference(reference: ModuleType) -> None:
    (data,) = snapshot_sets()
    assert assert_same(reference, data, "snapshot") == 34


def test_mutated_records_match_reference(reference: ModuleType) -> None:
    plain = [v for k, v in EDGE_CASES.items() if k in ("journal", "repeated", "sparse", "books")]
    sets = mutated_sets(snapshot_sets() + plain, seed=19, variants=12)
    compared = sum(assert_same(reference, data, f"mutation set {i}") for i, data in enumerate(sets))
    assert compared >= 400


def shared_files() -> list[Path]:
    if not FIXTURES.is_dir():
        return []
    return sorted(p for p in FIXTURES.rglob("*") if p.name.endswith((".xml", ".xml.gz")))


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not available")
def test_shared_fixture_files_match_reference(reference: ModuleType) -> None:
    files = shared_files()
    compared = sum(assert_same(reference, p.read_bytes(), str(p)) for p in files)
    assert files and compared > 400


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="../shared/fixtures is not available")
def test_mutated_shared_records_match_reference(reference: ModuleType) -> None:
    sources = []
    for path in shared_files():
        data = path.read_bytes()
        try:
            if articles_of(data):
                sources.append(data)
        except etree.XMLSyntaxError:
            continue
    sets = mutated_sets(sources, seed=1019, variants=2)
    compared = sum(
        assert_same(reference, data, f"shared mutation set {i}") for i, data in enumerate(sets)
    )
    assert compared > 800
