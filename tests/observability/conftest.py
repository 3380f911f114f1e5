"""Observability fixtures: scrapes parsed into samples, promtool, and the dashboard's browser fixtures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.dashboard.conftest import browser, live_server  # noqa: F401 - fixtures for the overview browser test

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "prometheus"
PROMTOOL = shutil.which("promtool")


class Scrape:
    """One /metrics answer: its text and its samples by (name, labels)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.samples: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value

    def value(self, name: str, **labels: object) -> float:
        """The sample's value; 0 when it is absent (a counter not yet incremented)."""
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        return self.samples.get(key, 0.0)

    def series(self, name: str) -> list[dict[str, str]]:
        return [dict(labels) for sample_name, labels in self.samples if sample_name == name]


def scrape(client, **kwargs) -> Scrape:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    return Scrape(response.get_data(as_text=True))


@pytest.fixture
def promtool():
    """Runs promtool; the tests that need it are skipped, saying why, only where it is not installed."""
    if PROMTOOL is None:
        pytest.skip("promtool is missing: install Debian's prometheus package (make install-dev does)")

    def run(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PROMTOOL, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60, check=False
        )

    return run
