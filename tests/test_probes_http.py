"""Crafted answers from loopback servers: a drip that never ends, redirects that would carry
the API key away. Each test serves the answer, checks the exact message the job fails with,
and checks what reached (or did not reach) each server."""

from __future__ import annotations

import time

import pytest

from livescreen.errors import RemoteError
from livescreen.sources.http import PoliteClient
from tests.support.loopback import PlainServer

KEY = "0123456789abcdef0123456789abcdef0123"
TIMEOUT = 1.0
DEADLINE = (
    "no complete answer within 1 s (the deadline for connecting and reading the whole answer)"
)


def client_for(server: PlainServer, **overrides) -> PoliteClient:
    """A fast client (rate 100/s, tiny backoff) that knows the key is a secret."""
    options = dict(
        rate=100,
        timeout=TIMEOUT,
        max_retries=2,
        backoff_initial=0.01,
        backoff_max=0.05,
        secrets=[KEY],
    )
    options.update(overrides)
    return PoliteClient(server.base_url, **options)


def post(client: PoliteClient, path: str = "efetch.fcgi") -> bytes:
    """A POST like the E-utilities client's: the key travels in the body."""
    return client.request("POST", path, bytes, data={"db": "pubmed", "id": "1", "api_key": KEY})


# -- probe 1: a server that sends its headers, then one byte a second ------------------------


@pytest.mark.parametrize("fault", ["drip:0.2", "drip-head:0.2"])
def test_a_dripping_answer_fails_like_a_timeout_within_the_deadline(fault):
    # 100 bytes at 0.2 s each: every read is answered well within the 1 s timeout, so a
    # per-read timeout alone waited 20 s per attempt (and forever for an endless drip).
    with PlainServer(body=b"x" * 100) as server:
        base_url = server.base_url
        server.inject("drip:0.002")  # slow but complete within the deadline: accepted
        assert post(client_for(server)) == b"x" * 100
        server.reset()
        server.inject(fault, fault, fault)
        started = time.monotonic()
        with pytest.raises(RemoteError) as error:
            post(client_for(server))
        elapsed = time.monotonic() - started
        seen = server.recorded()
    assert str(error.value) == (
        f"efetch.fcgi at {base_url} failed after 3 attempts; last error: {DEADLINE}"
    )
    assert KEY not in str(error.value)
    assert [r.fault for r in seen] == [fault] * 3  # retried with backoff, each cut off
    assert elapsed < 3 * TIMEOUT + 1.5


# -- probe 2: a redirect that would take the request (and its key) elsewhere ----------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_server_is_refused_and_nothing_is_sent_there(status):
    with PlainServer() as elsewhere, PlainServer() as server:
        # A different port is a different server; the Location even echoes the key.
        target = f"{elsewhere.base_url}collect?api_key={KEY}"
        server.inject(f"redirect:{status}:{target}")
        with pytest.raises(RemoteError) as error:
            post(client_for(server), "esearch.fcgi")
        port, there = server.port, elsewhere.base_url
        assert elsewhere.recorded() == []
        assert len(server.recorded()) == 1  # refused at once, not retried
    assert str(error.value) == (
        f"HTTP {status} redirect to {there}collect?api_key=*** not followed: "
        f"it leaves http://127.0.0.1:{port}, the configured server, and following it would "
        "send the request (and any API key) there; nothing was sent to it"
    )


def test_a_redirect_to_another_scheme_on_the_same_host_is_refused():
    with PlainServer() as server:
        target = f"https://127.0.0.1:{server.port}/entrez/eutils/esearch.fcgi"
        server.inject(f"redirect:307:{target}")
        with pytest.raises(RemoteError, match="^HTTP 307 redirect to https://127.0.0.1:"):
            post(client_for(server), "esearch.fcgi")
        assert len(server.recorded()) == 1


def test_a_redirect_within_the_configured_server_is_followed_with_the_same_request():
    with PlainServer(body=b"the answer") as server:
        server.inject(f"redirect:308:{server.base_url}moved/esearch.fcgi", "redirect:302:/again")
        client = client_for(server)
        assert post(client, "esearch.fcgi") == b"the answer"
        first, second, third = server.recorded()
    assert [r.path for r in (first, second, third)] == [
        "/esearch.fcgi",
        "/moved/esearch.fcgi",
        "/again",
    ]
    assert {r.method for r in (second, third)} == {"POST"}
    assert second.body == third.body == first.body  # the key stays on the configured server
    assert client.requests_sent == 3  # each hop is a request, under the rate limit


def test_a_redirect_loop_within_the_server_ends_with_an_error():
    with PlainServer() as server:
        server.inject(*[f"redirect:307:{server.base_url}loop"] * 6)
        with pytest.raises(RemoteError) as error:
            post(client_for(server))
        port = server.port
        assert len(server.recorded()) == 6
    assert str(error.value) == (
        f"more than 5 redirects in a row at http://127.0.0.1:{port}, the last to "
        f"http://127.0.0.1:{port}/loop; not followed further"
    )
