"""The short chaos run (bench/chaos.py --short) in CI: adversarial and real filings through a
processor that is SIGKILLed twice while its broker is restarted once; nothing lost, nothing
repeated, every adversarial input in the DLQ once with its reason, no exit but our kills."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.integration.helpers import repo_root

pytestmark = pytest.mark.kafka


def test_short_chaos_run_loses_and_repeats_nothing() -> None:
    run = subprocess.run(
        [sys.executable, str(repo_root() / "bench" / "chaos.py"), "--short"],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    table = run.stdout
    assert run.returncode == 0, f"{table}\n{run.stderr[-3000:]}"
    numbers = {
        name.strip(): value.strip()
        for name, value in (
            re.match(r"^(.+?)\s{2,}(.+)$", line).groups()  # type: ignore[union-attr]
            for line in table.splitlines()
            if re.match(r"^(.+?)\s{2,}(.+)$", line)
        )
    }
    for zero in ("duplicates", "lost", "wrong reason", "exits that were not kills"):
        assert numbers[zero] == "0", table
    assert numbers["kills (SIGKILL) / broker restarts"] == "2 / 1", table
    records, expected = re.match(r"(\d+) \(expected (\d+)\)", numbers["records"]).groups()  # type: ignore[union-attr]
    assert records == expected and int(records) > 0, table
    letters, expected = re.match(r"(\d+) \(expected (\d+)\)", numbers["dead letters"]).groups()  # type: ignore[union-attr]
    assert letters == expected and int(letters) >= 20, table
