"""Files named on a command line (`form4 parse`, `form4 publish`), directories walked."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given; directories walked recursively in name order (hidden files skipped)."""
    for path in paths:
        if path.is_dir():
            yield from (
                p for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")
            )
        else:
            yield path
