"""Sources: where searches and records come from, live or from the bundled snapshot.

- `http` (one polite client: rate limit, retries, the API key kept to its base URL) and
  `ratelimit` (the limit shared by every parallel job, as the server counts it);
- `eutils` (NCBI E-utilities) and `ctgov` (ClinicalTrials.gov API v2), the live services;
- `snapshot` and `query` (the bundled PubMed snapshot and the evaluator that answers
  PubMed queries over it), `registry` (the bundled registrations);
- `imports`: database exports (RIS, MEDLINE/nbib, CSV) reviewers download by hand.

`open_pubmed()` and `open_registry()` give the configured source; live and offline answer
the same calls the same way, so every later step is the same code.
"""

from __future__ import annotations

from pathlib import Path

from livescreen.sources.eutils import EutilsClient
from livescreen.sources.registry import open_registry
from livescreen.sources.snapshot import Snapshot

__all__ = ["open_pubmed", "open_registry"]


def open_pubmed(config: dict, workdir: str | Path = ".") -> EutilsClient | Snapshot:
    """The configured PubMed source; both answer esearch/efetch the same way."""
    if config["source"] == "snapshot":
        return Snapshot(Path(workdir) / config["snapshot"])
    return EutilsClient.from_config(config)
