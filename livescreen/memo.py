"""Work done again only when what it is made from changed: the parse of the stored XML, the
cross-source clustering and the records-per-year figure are pure functions of their data,
and on a no-change update run their data is the same (issue #19: the local tail of such a
run should cost a few seconds).

An entry is keyed by a sha256 digest of the data (pickled) and of livescreen's own source
files and the versions of the libraries that parse, match or draw, so an edit to the code
or an upgrade misses every entry. Each kind of work has one slot under the memo folder
(`results/.memo/`) holding its last result only. A miss is never a wrong answer: an entry
whose key differs, that cannot be read, or whose stored files no longer have the digests
recorded with them is computed again. Snakemake deletes a job's declared outputs before the
job runs, so files are kept here as copies and copied back, not left in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from collections.abc import Callable, Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, TypeVar

from livescreen.files import atomic_path

T = TypeVar("T")
PACKAGE = Path(__file__).resolve().parent
# libraries whose upgrade may change a stored result (matching, drawing, parsing)
LIBRARIES = ("rapidfuzz", "matplotlib", "lxml")
MANIFEST = "manifest.json"


@cache
def code_fingerprint() -> bytes:
    """livescreen's source files and the result-deciding libraries' versions."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(source.relative_to(PACKAGE)).encode() + b"\0")
        digest.update(source.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=none".encode())
    return digest.digest()


def key(data: Any) -> str:
    """The digest of `data` and the code. Equal pickles are equal data; unequal pickles of
    equal data (another dict order) only cost a miss."""
    digest = hashlib.sha256(code_fingerprint())
    digest.update(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return digest.hexdigest()


def value(folder: str | Path | None, slot: str, data: Any, compute: Callable[[], T]) -> T:
    """`compute()`, or the result it gave last time for the same `data` and code. Without a
    folder, always `compute()`."""
    if folder is None:
        return compute()
    path = Path(folder) / f"{slot}.pickle"
    wanted = key(data)
    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
        if stored["key"] == wanted:
            return stored["value"]
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, AttributeError):
        pass
    result = compute()
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        pickle.dump({"key": wanted, "value": result}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return result


def files(
    folder: str | Path | None,
    slot: str,
    data: Any,
    outputs: Sequence[str | Path],
    make: Callable[[], None],
) -> bool:
    """Write `outputs` with `make()`, or copy in what `make()` wrote last time for the same
    `data` and code. Returns whether `make()` ran. Without a folder, always `make()`."""
    if folder is None:
        make()
        return True
    entry = Path(folder) / slot
    wanted = key(data)
    stored = _stored_files(entry, wanted, len(outputs))
    if stored is not None:
        for source, target in zip(stored, outputs, strict=True):
            with atomic_path(target) as tmp:
                shutil.copyfile(source, tmp)
        return False
    make()
    # the manifest goes first and comes back last: a stop in between leaves no entry
    (entry / MANIFEST).unlink(missing_ok=True)
    entry.mkdir(parents=True, exist_ok=True)
    digests = []
    for number, output in enumerate(outputs):
        _keep(Path(output), entry / str(number))
        digests.append(_sha256(entry / str(number)))
    with atomic_path(entry / MANIFEST) as tmp:
        Path(tmp).write_text(json.dumps({"key": wanted, "files": digests}), encoding="utf-8")
    return True


def _keep(output: Path, copy: Path) -> None:
    """`copy` becomes a hard link to `output` (no second copy of a large file on disk; our
    writers replace files, never write into them, and a copy altered anyway fails its
    digest), or a copy where the file system has no links."""
    copy.unlink(missing_ok=True)
    try:
        os.link(output, copy)
    except OSError:
        with atomic_path(copy) as tmp:
            shutil.copyfile(output, tmp)


def _stored_files(entry: Path, wanted: str, count: int) -> list[Path] | None:
    """The stored copies for key `wanted`, each still as recorded; None on any doubt."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
        if manifest["key"] != wanted or len(manifest["files"]) != count:
            return None
        paths = [entry / str(number) for number in range(count)]
        if [_sha256(path) for path in paths] != manifest["files"]:
            return None
        return paths
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
