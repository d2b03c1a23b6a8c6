"""`form4 parse`: JSON lines out, one failure line each on stderr, exit status 1 on any failure."""

from __future__ import annotations

import json
import subprocess
import sys

import fastavro

from tests.conftest import FIXTURES


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "consumers", "parse", *args],
        capture_output=True,
        text=True,
        check=False,
    )


def test_parse_directory_prints_records_and_exits_zero() -> None:
    result = _run(
        str(FIXTURES / "xml" / "form4-10b5one-dutchbros.xml"),
        str(FIXTURES / "submissions" / "0000842517-24-000086.txt"),
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records[0]["price_per_share"] == "72.854"
    assert {r["source_format"] for r in records} == {"xml", "submission"}
    summary = json.loads(result.stderr)["summary"]
    assert summary["files"] == 2 and summary["parsed"] == 2 and summary["failed"] == {}


def test_failures_go_to_stderr_and_set_exit_status() -> None:
    result = _run(
        str(FIXTURES / "hostile" / "billion-laughs.xml"),
        str(FIXTURES / "xml" / "form3.nosecurities.xml"),
    )
    assert result.returncode == 1
    failure, summary = (json.loads(line) for line in result.stderr.splitlines())
    assert failure["reason"] == "forbidden_xml_construct"
    assert failure["file"].endswith("billion-laughs.xml")
    assert summary["summary"]["failed"] == {"forbidden_xml_construct": 1}
    assert summary["summary"]["parsed"] == 1
    assert len(result.stdout.splitlines()) == 1


def test_avro_output_file(tmp_path) -> None:
    out = tmp_path / "records.avro"
    result = _run("--avro", str(out), str(FIXTURES / "xml"))
    assert result.returncode == 0, result.stderr
    with out.open("rb") as handle:
        records = list(fastavro.reader(handle))
    assert len(records) > 100
    assert result.stdout == ""


def test_parallel_jobs_keep_input_order_and_the_same_output() -> None:
    """--jobs N parses in N processes; stdout is byte-equal to one process's, in input order."""
    inputs = (
        str(FIXTURES / "xml"),
        str(FIXTURES / "hostile" / "not-xml.xml"),
        str(FIXTURES / "submissions"),
    )
    one = _run("--jobs", "1", *inputs)
    three = _run("--jobs", "3", *inputs)
    assert one.returncode == three.returncode == 1
    assert one.stdout == three.stdout and one.stdout.count("\n") > 300
    failures = [json.loads(line) for line in three.stderr.splitlines()]
    assert failures[:-1] == [json.loads(line) for line in one.stderr.splitlines()][:-1]
    summary = failures[-1]["summary"]
    assert summary["files"] == summary["parsed"] + sum(summary["failed"].values())
    assert sum(summary["failed"].values()) == len(failures) - 1 >= 2
