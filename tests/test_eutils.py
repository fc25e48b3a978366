"""The E-utilities client against the loopback stand-in: real HTTP, injected faults."""

import logging

import pytest

from livescreen.errors import BadResponse, EutilsError, QueryError
from livescreen.sources.eutils import (
    EutilsClient,
    efetch_articles,
    parse_ecitmatch,
    parse_esearch,
    shown_id,
)

QUERY = '(MDMA[tiab] OR ecstasy[tiab]) AND (PTSD[tiab] OR "posttraumatic stress"[tiab])'
SOME_PMIDS = ["30371148", "28635375", "38174611", "27118529"]


def client_for(server, **overrides):
    options = dict(timeout=0.5, max_retries=4, backoff_initial=0.01, backoff_max=0.05)
    options.update(overrides)
    return EutilsClient(server.base_url, email="reviewer@example.org", **options)


def test_esearch_returns_ids_count_and_translation(standin, snapshot):
    result = client_for(standin).esearch(QUERY)
    expected = snapshot.esearch(QUERY).ids
    assert result.count == len(expected) > 5
    assert sorted(result.ids) == sorted(expected)
    assert result.translation
    assert result.webenv and result.query_key == "1"
    (request,) = standin.recorded("esearch")
    assert request.method == "POST"
    assert request.params["usehistory"] == "y"
    assert request.params["email"] == "reviewer@example.org"
    assert request.params["tool"] == "livescreen"


def test_efetch_returns_every_article_asked(standin):
    body = client_for(standin).efetch(SOME_PMIDS)
    for pmid in SOME_PMIDS:
        assert f'<PMID Version="1">{pmid}</PMID>'.encode() in body


ESEARCH_FAULTS = [
    "429",
    "429-retry-after",
    "500",
    "502",
    "503",
    "html200",
    "truncated",
    "reset",
    "slow:1.5",
    "esearch-error",
]
EFETCH_FAULTS = [
    "429",
    "500",
    "503",
    "html200",
    "truncated",
    "short",
    "reset",
    "slow:1.5",
    "efetch-error",
]


@pytest.mark.parametrize("fault", ESEARCH_FAULTS)
def test_esearch_survives_fault_with_identical_answer(standin, fault):
    clean = client_for(standin).esearch(QUERY)
    standin.inject("esearch", fault)
    again = client_for(standin).esearch(QUERY)
    assert (again.count, again.ids) == (clean.count, clean.ids)
    assert [r.fault for r in standin.recorded("esearch")][1:] == [fault, None]


@pytest.mark.parametrize("fault", EFETCH_FAULTS)
def test_efetch_survives_fault_with_identical_answer(standin, fault):
    clean = client_for(standin).efetch(SOME_PMIDS)
    standin.inject("efetch", fault)
    assert client_for(standin).efetch(SOME_PMIDS) == clean


def test_gives_up_after_last_retry_saying_what_happened(standin):
    standin.inject("efetch", "500", "html200", "503")
    with pytest.raises(EutilsError) as error:
        client_for(standin, max_retries=2).efetch(SOME_PMIDS)
    message = str(error.value)
    assert "efetch.fcgi" in message and "failed after 3 attempts" in message
    assert "HTTP 503" in message
    assert len(standin.recorded("efetch")) == 3


def test_missing_records_are_named_after_retries(standin):
    with pytest.raises(EutilsError, match="missing PMIDs 99999999"):
        client_for(standin, max_retries=1).efetch(["30371148", "99999999"])


def test_unknown_field_fails_at_once_with_ncbis_message(standin):
    with pytest.raises(QueryError, match="does not know the field"):
        client_for(standin).esearch("MDMA[xyz]")
    assert len(standin.recorded("esearch")) == 1  # a bad query is not retried


def test_retry_after_is_honoured(standin):
    standin.inject("esearch", "429-retry-after")
    client_for(standin, backoff_max=2).esearch(QUERY)
    first, second = standin.recorded("esearch")
    assert second.time - first.time >= 0.95


def test_api_key_travels_in_the_body_and_is_never_logged(standin, caplog):
    key = "0123456789abcdef0123456789abcdef0123"
    standin.inject("efetch", "429", "429")  # NCBI's 429 body echoes the key
    caplog.set_level(logging.DEBUG)
    client = client_for(standin, api_key=key)
    client.efetch(SOME_PMIDS)
    requests_seen = standin.recorded("efetch")
    assert all(r.params["api_key"] == key for r in requests_seen)
    assert all(key not in r.path for r in requests_seen)
    assert key not in caplog.text
    assert "429" in caplog.text
    standin.inject("efetch", "429", "429")
    with pytest.raises(EutilsError) as error:
        client_for(standin, api_key=key, max_retries=1).efetch(SOME_PMIDS)
    assert key not in str(error.value) and "***" in str(error.value)


def test_key_raises_the_default_rate():
    assert EutilsClient(api_key="k").limiter.rate == 10
    assert EutilsClient().limiter.rate == 3
    assert EutilsClient(requests_per_second=2).limiter.rate == 2


# -- change checks: which stored records did PubMed modify? ---------------------------------


def test_change_check_is_one_post_esearch_by_modification_date(standin, snapshot):
    standin.update_article("28635375", snapshot.articles["28635375"], "2026/03/02")
    found = client_for(standin).modified_among(SOME_PMIDS, "2026/03/01")
    assert found == ["28635375"]
    (request,) = standin.recorded()
    assert request.endpoint == "esearch" and request.method == "POST"
    assert request.params["term"] == " OR ".join(f"{pmid}[uid]" for pmid in SOME_PMIDS)
    assert request.params["datetype"] == "mdat"
    assert (request.params["mindate"], request.params["maxdate"]) == ("2026/03/01", "3000")
    assert request.params["retmax"] == str(len(SOME_PMIDS))
    assert "usehistory" not in request.params


def test_change_check_finding_nothing(standin):
    assert client_for(standin).modified_among(SOME_PMIDS, "2026/03/01") == []


def test_change_check_answer_naming_a_pmid_not_asked_about_is_retried(standin):
    standin.inject("esearch", "foreign-id")
    assert client_for(standin).modified_among(SOME_PMIDS, "2026/03/01") == []
    assert [r.fault for r in standin.recorded("esearch")] == ["foreign-id", None]


def test_change_check_answer_naming_a_pmid_not_asked_about_fails_naming_the_request(standin):
    standin.inject("esearch", "foreign-id", "foreign-id")
    with pytest.raises(EutilsError) as error:
        client_for(standin, max_retries=1).modified_among(SOME_PMIDS, "2026/03/01")
    message = str(error.value)
    assert "esearch.fcgi" in message and "failed after 2 attempts" in message
    assert "change check of 4 PMID(s) (30371148 ... 27118529) modified 2026/03/01-3000" in message
    assert "not asked about: 1" in message


def test_change_check_asks_about_at_most_one_chunk():
    with pytest.raises(ValueError, match="1 to 5000 PMIDs"):
        EutilsClient().modified_among([str(n) for n in range(1, 5002)], "2026/03/01")
    with pytest.raises(ValueError):
        EutilsClient().modified_among([], "2026/03/01")


# -- untrusted answers: ids and efetch bodies checked where they are read -------------------

NCBI_DOCTYPE = (
    b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)


def article(pmid: str, title: str = "A title") -> bytes:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article><ArticleTitle>{title}</ArticleTitle>'
        f"</Article></MedlineCitation></PubmedArticle>"
    ).encode()


def answer(*articles: bytes, prolog: bytes = NCBI_DOCTYPE) -> bytes:
    return (
        b'<?xml version="1.0" ?>\n'
        + prolog
        + b"<PubmedArticleSet>"
        + b"".join(articles)
        + (b"</PubmedArticleSet>")
    )


def test_an_efetch_answer_is_stored_as_sent_article_by_article():
    body = answer(article("1"), article("22", "Caf&#233; &amp; tea"))
    assert efetch_articles(body, ["22", "1"]) == [
        ("1", article("1")),
        ("22", article("22", "Caf\u00e9 &amp; tea")),  # stored as UTF-8
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            answer(article("1"), prolog=b"<!DOCTYPE PubmedArticleSet [<!ELEMENT x ANY>]>"),
            "it carries a DTD internal subset",
        ),
        (
            answer(article("1"), prolog=b'<!DOCTYPE PubmedArticleSet [<!ENTITY % p SYSTEM "x">]>'),
            "it carries a DTD internal subset declaring entities 'p'",
        ),
        (
            answer(
                article("1", "&b;"),
                prolog=b'<!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>',
            ),
            "declaring entities 'a', 'b'; entity reference '&b;' in PMID(s) 1",
        ),
        (answer(article("1", "&foo;")), "entity reference '&foo;' in PMID(s) 1"),
        (
            answer(article("1").replace(b'Version="1"', b'Version="&foo;"')),
            "entity reference(s) '&foo;' outside element text",
        ),
        (
            answer(article("1"), b"<PubmedArticle><MedlineCitation/></PubmedArticle>"),
            "article 2 has no PMID",
        ),
        (answer(article("\u0661\u0662")), "article 1 has PMID '\u0661\u0662', not a PMID"),
        (answer(article("1"), article("1", "Forged")), "PMID(s) served more than once: 1"),
        (answer(article("1"), article("99")), "PMID(s) not asked for: 99"),
        (
            answer(
                article("1").replace(b"</MedlineCitation>", b"</MedlineCitation>" + article("2"))
            ),
            "the parser refuses PMID 1: <PubmedArticle> sits inside <PubmedArticle>",
        ),
    ],
)
def test_an_efetch_answer_unfit_to_store_is_a_bad_response(body, reason):
    with pytest.raises(BadResponse) as caught:
        efetch_articles(body, ["1"])
    assert reason in str(caught.value)


def esearch_answer(*ids: str, count: str | None = None) -> bytes:
    listed = "".join(f"<Id>{i}</Id>" for i in ids)
    return (
        f"<eSearchResult><Count>{count or len(ids)}</Count><IdList>{listed}</IdList>"
        "</eSearchResult>"
    ).encode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            esearch_answer("12", "=HYPERLINK(1)"),
            "1 id(s) that are not PMIDs (1 to 9 digits): '=HYPERLINK(1)'",
        ),
        (esearch_answer("\u00b2"), "not PMIDs (1 to 9 digits): '\u00b2'"),
        (esearch_answer("12 "), "not PMIDs (1 to 9 digits): '12 '"),
        (esearch_answer("1234567890"), "'1234567890'"),
        (esearch_answer("12", count="1e3"), "<Count> is '1e3', not a number"),
    ],
)
def test_an_esearch_id_that_is_not_a_pmid_is_a_bad_response(body, message):
    with pytest.raises(BadResponse) as caught:
        parse_esearch(body, "esearch for 'x'")
    assert str(caught.value).startswith("esearch for 'x': ")
    assert message in str(caught.value)


def ecitmatch_line(result: str) -> bytes:
    return f"j|2020|1|1|doe j|ref1|{result}\n".encode()


@pytest.mark.parametrize(
    ("result", "status", "candidates"),
    [
        ("2014248", "found", []),
        ("AMBIGUOUS 33057196,32076266", "ambiguous", ["33057196", "32076266"]),
        ("AMBIGUOUS (5 citations)", "ambiguous", []),
        ("NOT_FOUND;INVALID_JOURNAL", "not_found", []),
    ],
)
def test_ecitmatch_results_ncbi_gives_are_read(result, status, candidates):
    (match,) = parse_ecitmatch(ecitmatch_line(result), ["ref1"])
    assert (match.status, match.candidates) == (status, candidates)


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (
            "=HYPERLINK(1)",
            "'=HYPERLINK(1)' is neither a PMID (1 to 9 digits), AMBIGUOUS nor NOT_FOUND",
        ),
        ("\u00b2", "'\u00b2' is neither a PMID (1 to 9 digits), AMBIGUOUS nor NOT_FOUND"),
        ("AMBIGUOUS 1,=2", "AMBIGUOUS lists 1 id(s) that are not PMIDs (1 to 9 digits): '=2'"),
    ],
)
def test_an_ecitmatch_result_that_is_no_answer_is_a_bad_response(result, message):
    with pytest.raises(BadResponse) as caught:
        parse_ecitmatch(ecitmatch_line(result), ["ref1"])
    assert str(caught.value) == f"ecitmatch answer for citation 'ref1': {message}"


def test_ids_from_servers_are_quoted_safely_and_cut():
    assert shown_id("=HYPERLINK(1)") == "'=HYPERLINK(1)'"
    assert shown_id("a\nb") == "'a\\nb'"
    assert shown_id("9" * 100) == f"'{'9' * 40}'... (100 characters)"
    assert shown_id(12) == "12" and shown_id(None) == "None"
    assert len(shown_id({"k": "v" * 100})) == 43
