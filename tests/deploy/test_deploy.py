"""deploy/ and the Dockerfile fit the code: only flags and env vars the CLI accepts, valid
Prometheus config and rules, and a container that runs `form4` as a non-root user."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import click
import pytest
import yaml

from consumers.alerts.settings import AlertsSettings
from consumers.cli import main as cli
from consumers.current.settings import CurrentSettings
from consumers.edgar.settings import WatcherSettings
from consumers.processor.settings import ProcessorSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _options(command: str) -> set[str]:
    group = cli
    sub = group.commands[command] if isinstance(group, click.Group) else group
    return {opt for param in sub.params for opt in getattr(param, "opts", [])}


def _accepted_env() -> set[str]:
    names = {
        f"FORM4_{name.upper()}"
        for settings in (ProcessorSettings, WatcherSettings, AlertsSettings, CurrentSettings)
        for name in settings.model_fields
    }
    for command in cli.commands.values():
        for param in command.params:
            envvar = getattr(param, "envvar", None)
            if isinstance(envvar, str):
                names.add(envvar)
    return names


def _check_form4_invocations(text: str) -> int:
    """Every `form4 SUB --flag` in a shell snippet names a real subcommand and real flags."""
    checked = 0
    for line in text.splitlines():
        if "form4 " not in line:
            continue
        words = shlex.split(line[line.index("form4 ") :].rstrip("\\"))
        sub = words[1]
        assert sub in cli.commands, sub
        for word in words[2:]:
            if word.startswith("--"):
                assert word.split("=")[0] in _options(sub), f"form4 {sub} has no {word}"
        checked += 1
    return checked


def test_compose_uses_only_real_flags_and_env() -> None:
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]
    processor = services["processor"]
    assert processor["command"][0] == "run"
    for flag in processor["command"][1:]:
        if flag.startswith("--"):
            assert flag in _options("run"), flag
    env = set(processor["environment"])
    assert env <= _accepted_env(), env - _accepted_env()
    assert processor["deploy"]["replicas"] == 2
    assert _check_form4_invocations("\n".join(services["feeder"]["command"])) == 1
    for name, command in (("watcher", "watch-edgar"), ("alerts", "alerts"), ("current", "current")):
        service = services[name]
        assert service["command"][0] == command
        for flag in service["command"][1:]:
            if flag.startswith("--"):
                assert flag in _options(command), flag
        assert set(service["environment"]) <= _accepted_env()
    assert {"kafka", "schema-registry", "topics", "prometheus", "grafana"} <= set(services)


def test_k8s_manifests_parse_and_use_only_real_settings() -> None:
    documents = [
        doc
        for path in sorted((DEPLOY / "k8s").glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    kinds = {doc["kind"] for doc in documents}
    assert {
        "StatefulSet",
        "Service",
        "PodMonitor",
        "PodDisruptionBudget",
        "ScaledObject",
        "ConfigMap",
        "Secret",
    } <= kinds
    accepted = _accepted_env()
    for doc in documents:
        if doc["kind"] in ("ConfigMap", "Secret"):
            keys = set(doc.get("data", {})) | set(doc.get("stringData", {}))
            assert keys <= accepted, keys - accepted
        if doc["kind"] == "StatefulSet":  # stable pod names: stable transactional.id
            container = doc["spec"]["template"]["spec"]["containers"][0]
            instance = next(e for e in container["env"] if e["name"] == "FORM4_INSTANCE_ID")
            assert instance["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
            assert container["args"] == ["run"]
            assert {e["name"] for e in container["env"]} <= accepted
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
            assert doc["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        if doc["kind"] == "ScaledObject":
            assert doc["spec"]["maxReplicaCount"] <= 6  # the input topic's partitions
            assert doc["spec"]["scaleTargetRef"]["kind"] == "StatefulSet"


def test_dockerfile_runs_form4_as_non_root_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["form4"]' in text
    assert "/healthz" in text and "HEALTHCHECK" in text
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and user[-1] not in ("root", "0")
    for source in re.findall(r"^COPY\s+(?!--from)(\S+)", text, re.M):
        assert (ROOT / source).exists(), source
    assert re.search(r"^CMD \[\"run\"\]", text, re.M)
    assert "run" in cli.commands
    assert "tesseract-ocr" in text  # scanned PDFs are re-read cell by cell with it


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool not installed (apt-get install prometheus)")
    return path


def test_promtool_accepts_rules_and_config() -> None:
    promtool = _promtool()
    rules = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert rules.returncode == 0, rules.stdout + rules.stderr
    config = subprocess.run(
        [promtool, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_rule_fires_and_stays_silent_in_promtool_unit_tests() -> None:
    """deploy/prometheus/alerts_test.yml: each alert fires on a series that should trigger it
    and stays silent on one that should not, as promtool evaluates them."""
    promtool = _promtool()
    tests_file = DEPLOY / "prometheus" / "alerts_test.yml"
    run = subprocess.run(
        [promtool, "test", "rules", str(tests_file)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    alerts = {
        rule["alert"]
        for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
        for rule in group["rules"]
    }
    cases = [
        case
        for test in yaml.safe_load(tests_file.read_text())["tests"]
        for case in test["alert_rule_test"]
    ]
    assert {c["alertname"] for c in cases if c["exp_alerts"]} == alerts  # each one fires
    assert {c["alertname"] for c in cases if not c["exp_alerts"]} == alerts  # and stays silent


def metric_names_used() -> set[str]:
    """Every form4_* series the dashboard and the alert rules query."""
    texts = [(DEPLOY / "prometheus" / "alerts.yml").read_text()]
    texts += [p.read_text() for p in (DEPLOY / "grafana" / "dashboards").glob("*.json")]
    return {name for text in texts for name in re.findall(r"\bform4_[a-z0-9_]+", text)}


def _watcher_metrics():
    from consumers.edgar.metrics import WatcherMetrics

    return WatcherMetrics()


def _alerts_metrics():
    from consumers.alerts.subscriber import AlertMetrics

    return AlertMetrics()


def _current_metrics():
    from consumers.current.metrics import CurrentMetrics

    return CurrentMetrics()


@pytest.mark.parametrize(
    ("prefix", "metrics"),
    [
        ("form4_watch_", _watcher_metrics),
        ("form4_alerts_", _alerts_metrics),
        ("form4_current_", _current_metrics),
    ],
    ids=["watch-edgar", "alerts", "current"],
)
def test_every_series_of_the_side_commands_the_rules_query_is_exported(prefix, metrics) -> None:
    """The processor's series are checked on a running processor (tests/integration); the
    watcher's and the alerts subscriber's from the start, as their metrics classes make them."""
    from prometheus_client import generate_latest

    text = generate_latest(metrics().registry).decode()
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    used = {name for name in metric_names_used() if name.startswith(prefix)}
    assert used, f"the alert rules watch {prefix}* series"
    assert used <= exported, used - exported


def test_the_dashboard_covers_what_operators_need() -> None:
    used = metric_names_used()
    for needed in (
        "form4_filings_failed_total",
        "form4_consumer_lag",
        "form4_end_to_end_latency_seconds_bucket",
        "form4_worker_restarts_total",
        "form4_transaction_commit_duration_seconds_bucket",
        "form4_in_flight_documents",
        "form4_records_produced_total",
        "form4_unread_values_total",
        "form4_unverified_values_total",
        "form4_issuer_cik_total",
        # the freshness row: each stage measured from EDGAR's acceptance
        "form4_watch_acceptance_to_publish_seconds_bucket",
        "form4_acceptance_to_commit_seconds_bucket",
        "form4_alerts_acceptance_to_alert_seconds_bucket",
        # the current view: amendments, state, restore
        "form4_current_amendment_links_total",
        "form4_current_state_filings",
        "form4_current_restore_seconds_bucket",
    ):
        assert needed in used
