"""The shipped Prometheus files (deploy/prometheus) are valid, and the alerts fire when, and only when, they should
(deploy/prometheus/alerts_test.yml: promtool's rule unit tests)."""

from __future__ import annotations

import re

from tests.observability.conftest import PROMETHEUS_DIR


def test_scrape_config_is_valid(promtool):
    checked = promtool("check", "config", "scrape.yml", cwd=PROMETHEUS_DIR)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_alert_rules_are_valid(promtool):
    checked = promtool("check", "rules", "alerts.yml", cwd=PROMETHEUS_DIR)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_alert_rules_pass_their_unit_tests(promtool):
    tested = promtool("test", "rules", "alerts_test.yml", cwd=PROMETHEUS_DIR)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test():
    alerts = set(re.findall(r"^\s*- alert: (\w+)$", (PROMETHEUS_DIR / "alerts.yml").read_text(), re.M))
    tested = set(re.findall(r"^\s*alertname: (\w+)$", (PROMETHEUS_DIR / "alerts_test.yml").read_text(), re.M))
    assert alerts == tested
    assert {"DocpipeNoWorkerHeartbeat", "DocpipeQueueGrowing", "DocpipeJobFailureRateHigh"} <= alerts
    assert "DocpipeWebhookEndpointDisabled" in alerts
