"""Typed errors whose messages tell a reviewer what happened and what to do."""


class LivescreenError(Exception):
    """Base class for every error livescreen raises on purpose."""


class ConfigError(LivescreenError, ValueError):
    """config.yaml (or a --config override) is invalid; the message names the key."""


class QueryError(LivescreenError, ValueError):
    """A search query is malformed or was rejected by the search service."""


class RemoteError(LivescreenError):
    """A request to a remote service failed for good (after retries, or not worth retrying)."""


# The E-utilities client's failures are RemoteErrors; the name stays for readers of eutils.
EutilsError = RemoteError


class TransientError(RemoteError):
    """A failure worth retrying: the same request may succeed a moment later."""


class RateLimited(TransientError):
    """HTTP 429: NCBI's rate limit was exceeded."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(TransientError):
    """5xx, a timeout, a reset connection or a backend failure reported in the body."""


class BadResponse(TransientError):
    """HTTP 200 whose body is not what was asked for: HTML, truncated XML, missing articles."""


class UntranslatableQuery(QueryError):
    """A PubMed query term that has no faithful Europe PMC equivalent; `term` names it."""

    def __init__(self, message: str, term: str = ""):
        super().__init__(message)
        self.term = term

    def __reduce__(self):
        return type(self), (str(self), self.term)


class IncompleteResults(RemoteError):
    """A search or lookup answered, but not completely: the count announced and the records
    served disagree, or paging stopped early. Nothing partial is returned; run it again."""
