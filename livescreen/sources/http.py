"""Polite HTTP for every remote source: shared rate limit, deadlines, retries, clear errors.

`PoliteClient` is the plumbing the E-utilities and ClinicalTrials.gov clients share: each
request waits for the machine-wide rate limiter, must be answered in full within one deadline
(connecting, sending and reading every byte), and is retried with exponential backoff and
jitter (tenacity) when it fails in a way that may pass — 429 (honouring Retry-After), 5xx,
timeouts, reset connections, and 200 answers that are HTML pages or that the caller's `parse`
rejects as incomplete (`TransientError`). After the last attempt the caller gets one error
saying which request failed, how often, and why. Redirects are followed only within the
configured server (same scheme, host and port), so a request and the API key in its body
never go anywhere else. Secrets (an API key) are masked in every message.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from livescreen.errors import (
    BadResponse,
    LivescreenError,
    RateLimited,
    RemoteError,
    ServiceUnavailable,
    TransientError,
)
from livescreen.sources.ratelimit import SharedRateLimiter

log = logging.getLogger("livescreen.sources.http")
T = TypeVar("T")

REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Same-origin redirects followed for one request before giving up (a loop, or a misconfigured
# server); each hop is a request of its own, with its own rate-limit slot and deadline.
MAX_REDIRECTS = 5


class PoliteClient:
    """Requests to one server, under a rate limit shared by every process on the machine."""

    def __init__(
        self,
        base_url: str,
        *,
        rate: int,
        timeout: float = 30.0,
        max_retries: int = 6,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        session: requests.Session | None = None,
        limiter: SharedRateLimiter | None = None,
        secrets: Iterable[str] = (),
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        # One limiter per server: a service counts per address or key, a stand-in per port.
        self.limiter = limiter or SharedRateLimiter(rate, key=self.base_url)
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.session = session or requests.Session()
        for prefix in ("http://", "https://"):
            self.session.mount(prefix, DeadlineAdapter())
        self.secrets = [s for s in secrets if s]
        self.requests_sent = 0

    def request(
        self,
        method: str,
        path: str,
        parse: Callable[[bytes], T],
        *,
        params: dict | None = None,
        data: dict | None = None,
    ) -> T:
        """Send until `parse(body)` accepts an answer or the retries run out."""
        attempts = self.max_retries + 1
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            before_sleep=lambda state: log.warning(
                "%s attempt %d failed: %s; retrying",
                path,
                state.attempt_number,
                self.redact(str(state.outcome.exception())),
            ),
        )
        try:
            return retrying(self._send, method, path, parse, params, data)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise RemoteError(
                f"{path} at {self.base_url} failed after {attempts} attempts; "
                f"last error: {self.redact(str(last))}"
            ) from None

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def _wait(self, state) -> float:
        backoff = wait_exponential_jitter(
            multiplier=self.backoff_initial, max=self.backoff_max, jitter=self.backoff_initial
        )(state)
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None) or 0.0
        return max(backoff, min(retry_after, self.backoff_max))

    def _send(self, method, path, parse, params, data):
        """One attempt: the request, any same-origin redirects, then the answer's checks."""
        try:
            response = self._follow(method, self.base_url + path, params, data)
            check_status(response)
            return parse(response.content)
        except LivescreenError as exc:
            # Services echo keys in some bodies (NCBI's 429); messages quote bodies.
            exc.args = (self.redact(str(exc)),)
            raise

    def _follow(self, method, url, params, data) -> requests.Response:
        """Send, and re-send to each redirect's target while it stays on the configured server.

        requests would follow any redirect and re-send a 307/308 POST body — with the API key —
        to whatever host the Location names. Here a redirect is followed only within the base
        URL's origin, through this same code (rate limit, deadline), with the same method and
        body; its Location replaces the URL and its query.
        """
        for _ in range(MAX_REDIRECTS + 1):
            response = self._exchange(method, url, params, data)
            target = self._redirect_target(response)
            if target is None:
                return response
            status = response.status_code
            log.info("HTTP %d redirect to %s (same server): following", status, self.redact(target))
            url, params = target, None
        raise RemoteError(
            f"more than {MAX_REDIRECTS} redirects in a row at {origin_of(self.base_url)}, the "
            f"last to {url}; not followed further"
        )

    def _exchange(self, method, url, params, data) -> requests.Response:
        """One request on the wire, read in full within `timeout` seconds or failed as a timeout."""
        self.limiter.acquire()
        started = time.monotonic()
        self.requests_sent += 1
        with Deadline(self.timeout, on_sent=self.limiter.sent) as deadline:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                body = response.content
            except requests.RequestException as exc:
                raise self._transport_error(exc, deadline) from None
        if deadline.expired:  # a body ended by the deadline's shutdown may look complete
            response.close()
            raise ServiceUnavailable(deadline.message())
        log.info(
            "%s HTTP %d, %d bytes in %.2f s",
            urlsplit(url).path,
            response.status_code,
            len(body),
            time.monotonic() - started,
        )
        return response

    def _transport_error(self, exc: requests.RequestException, deadline: Deadline) -> Exception:
        """The typed error for a request that got no complete answer."""
        if deadline.expired:
            return ServiceUnavailable(deadline.message())
        if isinstance(exc, requests.Timeout):
            message = f"no answer within {self.timeout:g} s ({type(exc).__name__})"
            return ServiceUnavailable(message)
        if isinstance(exc, requests.ConnectionError):
            return ServiceUnavailable(f"connection failed: {self.redact(str(exc))}")
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return ServiceUnavailable(f"the answer was cut off: {self.redact(str(exc))}")
        return RemoteError(f"request failed: {type(exc).__name__}: {self.redact(str(exc))}")

    def _redirect_target(self, response: requests.Response) -> str | None:
        """Where a redirect points, if it is one to follow; a RemoteError for any other."""
        status = response.status_code
        if status not in REDIRECTS:
            return None
        location = response.headers.get("Location")
        if not location:
            raise RemoteError(f"HTTP {status} redirect without a Location header; not followed")
        target = urljoin(response.url, location)
        home = origin_of(self.base_url)
        if origin_of(target) != home:
            raise RemoteError(
                f"HTTP {status} redirect to {target} not followed: it leaves {home}, the "
                "configured server, and following it would send the request (and any API "
                "key) there; nothing was sent to it"
            )
        return target


class OverHttp:
    """What a client built on a `PoliteClient` (its `http`) tells the pipeline about itself."""

    http: PoliteClient

    @property
    def base_url(self) -> str:
        return self.http.base_url

    @property
    def limiter(self) -> SharedRateLimiter:
        return self.http.limiter

    @property
    def requests_sent(self) -> int:
        return self.http.requests_sent


def origin_of(url: str) -> str:
    """scheme://host:port — what must match for a redirect to be followed ("" if unreadable)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:  # a port out of range or not a number: no configured server's
        return ""
    host = (parts.hostname or "").lower()
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def check_status(response: requests.Response) -> None:
    """Raise the right error for a non-200 answer or an HTML page served with 200."""
    status = response.status_code
    excerpt = excerpt_of(response.content)
    if status == 429:
        raise RateLimited(f"HTTP 429 rate limit exceeded: {excerpt}", _retry_after(response))
    if status >= 500:
        raise ServiceUnavailable(f"HTTP {status} from the server: {excerpt}")
    if status != 200:
        raise RemoteError(f"HTTP {status} (request rejected, not retried): {excerpt}")
    content_type = response.headers.get("Content-Type", "")
    if "html" in content_type.lower() or looks_like_html(response.content):
        raise BadResponse(f"an HTML page came back instead of data: {excerpt}")


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:200]


def excerpt_of(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return " ".join(text.split()) + ("..." if len(body) > limit else "")


def _retry_after(response: requests.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


# -- the deadline of one request ------------------------------------------------------------

_active = threading.local()  # .deadline: the Deadline of the request this thread is sending


class Deadline:
    """One request's whole time budget: connecting, sending, and reading every byte back.

    requests' `timeout` bounds each socket operation, not the request: a server that sends its
    headers and then one byte a second never trips it and holds a job for as long as it likes.
    A timer shuts down the socket(s) of the request when the budget is spent; the blocked read
    then ends, and `expired` tells the client why. Sockets are registered by the connections
    `DeadlineAdapter` makes, as they are opened or reused in this thread; those connections
    also call `on_sent` once the request is written (the rate limiter's stamp moves there).
    """

    def __init__(self, seconds: float, on_sent: Callable[[], None] | None = None):
        self.seconds = seconds
        self.on_sent = on_sent
        self.expired = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _active.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        _active.deadline = None

    def message(self) -> str:
        return (
            f"no complete answer within {self.seconds:g} s (the deadline for connecting and "
            "reading the whole answer)"
        )

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    """Wake a read blocked on `sock` (from another thread) by shutting the socket down."""
    try:
        # The plain socket's shutdown, also for TLS sockets: SSLSocket.shutdown would drop
        # its TLS state under the reading thread.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except OSError:
        pass  # already closed or detached


def _watch(sock: socket.socket | None) -> None:
    deadline = getattr(_active, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


def _sent() -> None:
    deadline = getattr(_active, "deadline", None)
    if deadline is not None and deadline.on_sent is not None:
        deadline.on_sent()


class _WatchedConnection:
    """A urllib3 connection under the current request's deadline, reporting when it sent."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a reused keep-alive connection (a new one is watched on connect)
        super().request(*args, **kwargs)  # type: ignore[misc]
        _sent()


class _WatchedHTTPConnection(_WatchedConnection, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnection, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter, with connections a `Deadline` can cut off (direct and HTTP proxies)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools are their own classes
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager
