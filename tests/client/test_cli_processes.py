"""The installed ``docpipe`` command, as a user runs it, against real gunicorn and huey_consumer processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import corpus_file
from tests.e2e.conftest import service  # noqa: F401 - gunicorn + huey_consumer on a data dir of the test's own
from tests.e2e.service import free_port

pytestmark = pytest.mark.slow

DOCPIPE = Path(sys.executable).parent / "docpipe"
# A phrase from each document: the results are the documents' content, not placeholders.
EXPECTED = {
    "csv_stanley-cups.csv": "Maple Leafs",
    "docx_docling_word_sample.docx": "Swimming in the lake",
    "html_tika_testHTML.html": "Indexation du fichier",
    "md_docling_wiki.md": "International Business Machines",
    "pdf_arxiv_2201.00029.pdf": "white dwarf KIC 8626021",
    "pdf_fake-memo.pdf": "20,000 bottles of water",
    "txt_norwich-city.txt": "Norwich City",
}
GOOD = sorted(EXPECTED)
BAD = "bad_pdf_truncated_derived.pdf"


def docpipe(service, *args: str, **env: str) -> subprocess.CompletedProcess:  # noqa: F811
    assert DOCPIPE.exists(), f"{DOCPIPE} missing: `make install` installs the project with `pip install -e .`"
    variables = service.env | {"DOCPIPE_URL": service.base, "DOCPIPE_API_KEY": service.api_key} | env
    return subprocess.run([str(DOCPIPE), *args], env=variables, capture_output=True, text=True, timeout=600)


def test_the_command_against_real_processes(service, tmp_path):  # noqa: F811
    """GIVEN gunicorn and a consumer WHEN `docpipe submit FOLDER --wait --format markdown -o out/` runs on eight
    corpus files, one of them a truncated PDF THEN seven Markdown files with the documents' content are written
    and the exit status is 1; with good files only it is 0; jobs, result and pipelines read them back; a wrong
    key exits 3 and no server exits 4."""
    service.start_web()
    service.start_consumer(workers=2)
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in [*GOOD, BAD]:
        shutil.copy(corpus_file(name), folder / name)
    out = tmp_path / "out"

    mixed = docpipe(service, "submit", str(folder), "--wait", "--format", "markdown", "-o", str(out))

    assert mixed.returncode == 1, mixed.stderr
    rows = (line.split("\t") for line in mixed.stdout.splitlines())
    lines = {file: (job_id, status) for job_id, status, file in rows}
    assert sorted(lines) == sorted(str(folder / name) for name in [*GOOD, BAD])
    assert lines[str(folder / BAD)][1] == "failed" and "corrupt_file" in mixed.stderr
    assert all(lines[str(folder / name)][1] == "succeeded" for name in GOOD)
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{Path(name).stem}.md" for name in GOOD)
    for name, phrase in EXPECTED.items():
        assert phrase in (out / f"{Path(name).stem}.md").read_text(), name

    good = docpipe(service, "submit", str(corpus_file(GOOD[0])), str(corpus_file(GOOD[3])), "--wait", "--json")
    assert good.returncode == 0, good.stderr
    assert len(good.stdout.splitlines()) == 2

    listed = docpipe(service, "jobs", "list", "--limit", "100")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 1 + 8 + 2
    norwich_id = lines[str(folder / "txt_norwich-city.txt")][0]
    result = docpipe(service, "result", norwich_id, "--format", "text")
    assert result.returncode == 0 and "Norwich City" in result.stdout
    pipelines = docpipe(service, "pipelines", "list")
    assert pipelines.returncode == 0 and pipelines.stdout.splitlines()[1].startswith("default")

    wrong_key = docpipe(service, "jobs", "list", DOCPIPE_API_KEY="dp_wrong")
    assert wrong_key.returncode == 3 and "401" in wrong_key.stderr
    nobody = docpipe(service, "jobs", "list", DOCPIPE_URL=f"http://127.0.0.1:{free_port()}")
    assert nobody.returncode == 4 and "Connection refused" in nobody.stderr
