"""Where searches and records come from: live E-utilities or the bundled snapshot."""

from __future__ import annotations

from pathlib import Path

from .eutils import EutilsClient
from .snapshot import Snapshot


def open_source(config: dict, workdir: str | Path = ".") -> EutilsClient | Snapshot:
    """The configured source; both answer esearch/efetch the same way."""
    if config["source"] == "snapshot":
        return Snapshot(Path(workdir) / config["snapshot"])
    return EutilsClient.from_config(config)
