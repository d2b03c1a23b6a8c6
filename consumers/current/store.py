"""One partition's filings as the current stage keeps them: pure (no Kafka). What it holds is
exactly what its changelog topic holds, one FilingVersion per accession, so a restore is a
replay of `load`; `apply` changes it and says what the current view must write, and `undo`
puts a batch back when its transaction aborts.
"""

from __future__ import annotations

import io
import zlib
from typing import Any

import fastavro

from consumers import limits as bounds
from consumers.current.view import (
    Change,
    FamilyKey,
    FilingVersion,
    Link,
    family_view,
    links,
    view_changes,
)
from consumers.schemas import FILING_VERSION, parsed_schema


def pack_lines(payloads: list[bytes]) -> bytes:
    """A filing's encoded records as one compressed blob: lines of one filing repeat the same
    context (owners, footnotes), which compresses several-fold."""
    out = io.BytesIO()
    for payload in payloads:
        out.write(len(payload).to_bytes(4, "big"))
        out.write(payload)
    return zlib.compress(out.getvalue(), 6)


def unpack_lines(content: bytes) -> list[bytes]:
    """The records of pack_lines, decompressed no further than a filing's records may reach
    (limits.MAX_FILING_OUTPUT_BYTES, with room for the length prefixes): a changelog value
    that would inflate past it is refused, not expanded."""
    inflate = zlib.decompressobj()
    data = inflate.decompress(content, 2 * bounds.MAX_FILING_OUTPUT_BYTES)
    if inflate.unconsumed_tail:
        raise ValueError("a filing's stored records inflate past their bound")
    payloads, at = [], 0
    while at < len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        payloads.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return payloads


def encode_version(version: FilingVersion) -> bytes:
    """The changelog's value for one filing (schemas/filing_version.avsc)."""
    family = version.family
    datum = {
        "accession": version.accession,
        "is_amendment": version.is_amendment,
        "issuer_cik": family.issuer_cik,
        "owner_ciks": list(family.owner_ciks),
        "form": family.form,
        "period_of_report": family.period_of_report,
        "filed_on": version.filed_on,
        "filed_at": version.filed_at_ms,
        "date_of_original_submission": version.original_date,
        "tags": list(version.tags),
        "content": version.content,
    }
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed_schema(FILING_VERSION), datum)
    return buffer.getvalue()


def decode_version(value: bytes) -> FilingVersion:
    datum: Any = fastavro.schemaless_reader(io.BytesIO(value), parsed_schema(FILING_VERSION), None)
    return FilingVersion(
        accession=datum["accession"],
        is_amendment=datum["is_amendment"],
        family=FamilyKey(
            datum["issuer_cik"],
            tuple(datum["owner_ciks"]),
            datum["form"],
            datum["period_of_report"],
        ),
        filed_on=datum["filed_on"],
        filed_at_ms=datum["filed_at"],
        original_date=datum["date_of_original_submission"],
        tags=tuple(datum["tags"]),
        content=datum["content"],
    )


class FilingStore:
    """accession -> FilingVersion, indexed by family."""

    def __init__(self) -> None:
        self.versions: dict[str, FilingVersion] = {}
        self._families: dict[FamilyKey, set[str]] = {}
        self.content_bytes = 0
        self._undo: list[tuple[str, FilingVersion | None]] = []

    def __len__(self) -> int:
        return len(self.versions)

    def load(self, version: FilingVersion) -> None:
        """A changelog entry at restore: no view to write."""
        self._put(version)

    def holds(self, accession: str, tag: str) -> bool:
        """This line of this filing is in the store already (a record read again)."""
        version = self.versions.get(accession)
        return version is not None and tag in version.tags

    def apply(self, version: FilingVersion) -> tuple[list[Change], dict[str, Link]]:
        """Store a complete filing; the view's changes in its family, and the family's
        amendment links after it. The same filing again (same lines, same bytes) changes
        nothing; a filing parsed anew rewrites the lines that stand from it."""
        previous = self.versions.get(version.accession)
        if previous == version:
            return [], {}
        family = self.family(version.family)
        before = family_view(family)
        self._undo.append((version.accession, previous))
        self._put(version)
        family = self.family(version.family)
        after = family_view(family)
        changes = view_changes(before, after)
        if previous is not None and previous.content != version.content:
            changed = {change.key for change in changes}
            changes += [
                Change(key, standing)
                for key, standing in after.items()
                if standing.accession == version.accession and key not in changed
            ]
        return changes, links(family)

    def family(self, key: FamilyKey) -> list[FilingVersion]:
        return [self.versions[a] for a in sorted(self._families.get(key, ()))]

    def payloads_of(self, accession: str) -> dict[str, bytes]:
        """The encoded records of a stored filing by tag (none when it is not stored)."""
        version = self.versions.get(accession)
        if version is None:
            return {}
        return dict(zip(version.tags, unpack_lines(version.content), strict=True))

    def commit(self) -> None:
        """The batch's transaction committed: nothing to put back any more."""
        self._undo.clear()

    def undo(self) -> None:
        """The batch's transaction aborted: the store as it was before the batch."""
        while self._undo:
            accession, previous = self._undo.pop()
            self._drop(accession)
            if previous is not None:
                self._put(previous)

    def _put(self, version: FilingVersion) -> None:
        self._drop(version.accession)
        self._families.setdefault(version.family, set()).add(version.accession)
        self.versions[version.accession] = version
        self.content_bytes += len(version.content)

    def _drop(self, accession: str) -> None:
        old = self.versions.pop(accession, None)
        if old is None:
            return
        self.content_bytes -= len(old.content)
        members = self._families.get(old.family)
        if members is not None:
            members.discard(accession)
            if not members:
                del self._families[old.family]
