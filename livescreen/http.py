"""Polite HTTP for every remote source: shared rate limit, timeouts, retries, clear errors.

`PoliteClient` is the plumbing the E-utilities and ClinicalTrials.gov clients share: each
request waits for the machine-wide rate limiter, has a timeout, and is retried with
exponential backoff and jitter (tenacity) when it fails in a way that may pass — 429
(honouring Retry-After), 5xx, timeouts, reset connections, and 200 answers that are HTML
pages or that the caller's `parse` rejects as incomplete (`TransientError`). After the last
attempt the caller gets one error saying which request failed, how often, and why. Secrets
(an API key) are masked in every message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

import requests
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from .errors import (
    BadResponse,
    LivescreenError,
    RateLimited,
    RemoteError,
    ServiceUnavailable,
    TransientError,
)
from .ratelimit import SharedRateLimiter

log = logging.getLogger("livescreen.http")
T = TypeVar("T")


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
        self.limiter.acquire()
        started = time.monotonic()
        self.requests_sent += 1
        try:
            response = self.session.request(
                method, self.base_url + path, params=params, data=data, timeout=self.timeout
            )
        except requests.Timeout as exc:
            message = f"no answer within {self.timeout:g} s ({type(exc).__name__})"
            raise ServiceUnavailable(message) from None
        except requests.ConnectionError as exc:
            raise ServiceUnavailable(f"connection failed: {self.redact(str(exc))}") from None
        log.info(
            "%s HTTP %d, %d bytes in %.2f s",
            path,
            response.status_code,
            len(response.content),
            time.monotonic() - started,
        )
        try:
            check_status(response)
            return parse(response.content)
        except LivescreenError as exc:
            # Services echo keys in some bodies (NCBI's 429); messages quote bodies.
            exc.args = (self.redact(str(exc)),)
            raise


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
