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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from livescreen.sources.ctgov import CtgovClient
    from livescreen.sources.eutils import EutilsClient
    from livescreen.sources.registry import RegistrySnapshot
    from livescreen.sources.snapshot import Snapshot

__all__ = ["open_pubmed", "open_registry"]

# The clients are imported when a source is opened, not with this package, so a step that
# needs one module of it (the RIS export, the snapshot's labels) does not load the HTTP stack.


def open_pubmed(config: dict, workdir: str | Path = ".") -> EutilsClient | Snapshot:
    """The configured PubMed source; both answer esearch/efetch the same way."""
    if config["source"] == "snapshot":
        from livescreen.sources.snapshot import Snapshot

        return Snapshot(Path(workdir) / config["snapshot"])
    from livescreen.sources.eutils import EutilsClient

    return EutilsClient.from_config(config)


def open_registry(config: dict, workdir: str | Path = ".") -> CtgovClient | RegistrySnapshot:
    """The configured registry source; both answer `search_studies` the same way."""
    from livescreen.sources.registry import open_registry as open_configured

    return open_configured(config, workdir)
