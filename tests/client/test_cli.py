"""The ``docpipe`` command in-process (``main(argv)``) against the real app on a real HTTP server."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.client.proxy import Rule
from tests.conftest import ROOT, corpus_file
from webapp.client import DocpipeClient
from webapp.client.cli import main

GOOD = ["txt_norwich-city.txt", "html_tika_testHTML.html", "docx_docling_word_sample.docx"]
BAD = "bad_pdf_truncated_derived.pdf"
DOCPIPE = Path(sys.executable).parent / "docpipe"


@pytest.fixture
def env(monkeypatch, live_server, operator_key):
    monkeypatch.setenv("DOCPIPE_URL", live_server.url)
    monkeypatch.setenv("DOCPIPE_API_KEY", operator_key)
    return {"DOCPIPE_URL": live_server.url, "DOCPIPE_API_KEY": operator_key}


def folder_of(tmp_path: Path, name: str, files: list[str]) -> Path:
    """A folder holding copies of corpus files (made here: the corpus is never copied into the project)."""
    folder = tmp_path / name
    folder.mkdir()
    for file in files:
        shutil.copy(corpus_file(file), folder / file)
    return folder


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_submit_a_folder_waits_and_writes_every_result(env, worker, tmp_path, capsys):
    """GIVEN a folder (three documents, a truncated PDF, a hidden file and a sub-folder) and a second folder
    with a file of the same name WHEN submitted with --wait -o THEN the folder's files go in sorted order, each
    success is written as <stem>.md (the second same-named one as <stem>-2.md), and the exit status is 1."""
    docs = folder_of(tmp_path, "docs", [*GOOD, BAD])
    (docs / ".hidden.txt").write_text("not me")
    (docs / "sub").mkdir()
    shutil.copy(corpus_file(GOOD[0]), (docs / "sub" / "nested.txt"))
    more = folder_of(tmp_path, "more", [GOOD[0]])
    out = tmp_path / "out"

    code, stdout, stderr = run(
        capsys, "submit", str(docs), str(more / GOOD[0]), "--wait", "--format", "markdown", "-o", str(out)
    )

    assert code == 1, stderr
    lines = [line.split("\t") for line in stdout.splitlines()]
    assert sorted(file for _, _, file in lines) == sorted(
        [str(docs / name) for name in [*GOOD, BAD]] + [str(more / GOOD[0])]
    )
    status = {file: state for _, state, file in lines}
    assert status[str(docs / BAD)] == "failed" and list(status.values()).count("succeeded") == 4
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["docx_docling_word_sample.md", "html_tika_testHTML.md", "txt_norwich-city.md", "txt_norwich-city-2.md"]
    )
    assert "Norwich City" in (out / "txt_norwich-city.md").read_text()
    assert (out / "txt_norwich-city.md").read_text() == (out / "txt_norwich-city-2.md").read_text()
    assert f"{docs / BAD}: corrupt_file:" in stderr
    assert "docpipe: 5/5 finished: 4 done, 1 failed" in stderr  # stderr is no terminal: plain lines


def test_submit_json_lines_and_json_results(env, worker, tmp_path, capsys):
    out = tmp_path / "out"
    files = [str(corpus_file(name)) for name in GOOD[:2]]
    code, stdout, _ = run(capsys, "submit", *files, "--format", "json", "-o", str(out), "--json")
    assert code == 0
    records = [json.loads(line) for line in stdout.splitlines()]
    assert sorted(record["file"] for record in records) == sorted(files)
    for record in records:
        assert record["status"] == "succeeded" and record["error"] is None
        result = json.loads(Path(record["output"]).read_text())
        assert result["job_id"] == record["job_id"] and result["text"]


def test_submit_without_wait_passes_pipeline_priority_and_labels(env, tmp_path, capsys):
    code, stdout, _ = run(
        capsys, "submit", str(corpus_file(GOOD[0])), "--pipeline", "default", "--priority", "8",
        "--label", "team=finance", "--label", "batch=2026-11",
    )  # fmt: skip
    assert code == 0
    job_id, status, file = stdout.strip().split("\t")
    assert status == "queued" and file == str(corpus_file(GOOD[0]))
    with DocpipeClient(env["DOCPIPE_URL"], env["DOCPIPE_API_KEY"]) as docpipe:
        job = docpipe.get_job(job_id)
    assert job["priority"] == 8 and job["labels"] == {"team": "finance", "batch": "2026-11"}


def test_jobs_result_and_pipelines_commands(env, worker, tmp_path, capsys):
    code, stdout, _ = run(capsys, "submit", str(corpus_file(GOOD[0])), str(corpus_file(BAD)), "--wait")
    assert code == 1
    ids = {file: job_id for job_id, _, file in (line.split("\t") for line in stdout.splitlines())}
    good_id, bad_id = ids[str(corpus_file(GOOD[0]))], ids[str(corpus_file(BAD))]

    code, stdout, _ = run(capsys, "jobs", "list")
    assert code == 0 and stdout.splitlines()[0].split() == ["ID", "STATUS", "PIPELINE", "CREATED", "FILE"]
    assert {good_id, bad_id} <= {line.split()[0] for line in stdout.splitlines()[1:]}
    code, stdout, _ = run(capsys, "jobs", "list", "--status", "failed", "--json", "--limit", "5")
    assert code == 0 and [json.loads(line)["id"] for line in stdout.splitlines()] == [bad_id]
    code, stdout, _ = run(capsys, "jobs", "list", "--limit", "1", "--json")
    assert len(stdout.splitlines()) == 1

    code, stdout, _ = run(capsys, "jobs", "get", bad_id)
    assert code == 0 and json.loads(stdout)["error"]["type"] == "corrupt_file"

    code, stdout, _ = run(capsys, "result", good_id, "--format", "text")
    assert code == 0 and "Norwich City" in stdout
    code, _, _ = run(capsys, "result", good_id, "--format", "json", "-o", str(tmp_path / "r.json"))
    assert code == 0 and json.loads((tmp_path / "r.json").read_text())["job_id"] == good_id
    code, stdout, stderr = run(capsys, "result", bad_id)
    assert code == 1 and stdout == "" and "the job is failed" in stderr

    code, stdout, _ = run(capsys, "pipelines", "list")
    assert code == 0 and stdout.splitlines()[1].split()[0] == "default"
    code, stdout, _ = run(capsys, "--url", env["DOCPIPE_URL"], "pipelines", "list", "--json")
    assert [json.loads(line)["name"] for line in stdout.splitlines()] == ["default"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["submit", "no-such-file.pdf"], "no-such-file.pdf: no such file or folder"),
        (["submit", "README.md", "--label", "oops"], "expected KEY=VALUE"),
        (["submit", "README.md", "--priority", "12"], "invalid choice"),
        (["submit", "README.md", "--pipeline", "nope"], "no pipeline 'nope'"),
        (["jobs", "get", "job_nope"], "404"),
        (["jobs", "list", "--status", "bogus"], "unknown status 'bogus'"),
        (["frobnicate"], "invalid choice"),
        (["--url", "ftp://example.com", "pipelines", "list"], "must be http(s)://host[:port]"),
        (["pipelines", "list", "--url", "http://"], "must be http(s)://host[:port]"),
    ],
)
def test_usage_errors_exit_2(env, capsys, monkeypatch, argv, message):
    monkeypatch.chdir(ROOT)
    code, stdout, stderr = run(capsys, *argv)
    assert code == 2 and message in stderr and stdout == ""


def test_auth_errors_exit_3(env, accounts, capsys, monkeypatch):
    code, _, stderr = run(capsys, "--api-key", "dp_wrong", "jobs", "list")
    assert code == 3 and "401" in stderr
    monkeypatch.setenv("DOCPIPE_API_KEY", accounts.ensure("viewer"))
    code, _, stderr = run(capsys, "submit", str(corpus_file(GOOD[0])))
    assert code == 3 and "403" in stderr
    monkeypatch.delenv("DOCPIPE_API_KEY")
    code, _, stderr = run(capsys, "pipelines", "list")
    assert code == 3 and "set DOCPIPE_API_KEY" in stderr


def test_server_errors_exit_4(env, proxy, capsys):
    broken = b'{"type": "about:blank", "title": "Internal Server Error", "status": 500}'
    headers = {"Content-Type": "application/problem+json"}
    proxy.rules.append(Rule("GET", "/api/v1/pipelines", status=500, headers=headers, body=broken))
    code, _, stderr = run(capsys, "--url", proxy.url, "pipelines", "list")
    assert code == 4 and "500 Internal Server Error" in stderr


def test_a_refused_upload_stops_and_names_the_jobs_already_made(env, proxy, capsys):
    """GIVEN a server that takes the first upload and refuses the second with a 422 WHEN three files are submitted
    one at a time THEN the command stops with exit status 2, the server's reason, and a line per job made."""
    refused = {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
               "errors": [{"field": "file", "message": "refused by the test"}]}  # fmt: skip
    headers = {"Content-Type": "application/problem+json"}
    proxy.rules.append(
        Rule("POST", "/api/v1/jobs", after=1, status=422, headers=headers, body=json.dumps(refused).encode())
    )
    files = [str(corpus_file(name)) for name in GOOD]
    code, stdout, stderr = run(capsys, "--url", proxy.url, "submit", *files, "--concurrency", "1")
    assert code == 2 and "422 Unprocessable Content" in stderr and "file: refused by the test" in stderr
    made = [line.split("\t")[1:] for line in stdout.splitlines()]
    # The third upload may have started before the refusal came back: then it was made, and is named too.
    assert made in ([["queued", files[0]]], [["queued", files[0]], ["queued", files[2]]])
    assert len(proxy.exchanges("POST", "/api/v1/jobs")) == len(made) + 1


def test_waiting_past_the_timeout_exits_5(env, capsys):
    code, stdout, stderr = run(capsys, "submit", str(corpus_file(GOOD[0])), "--wait", "--timeout", "0.5")
    assert code == 5 and "unfinished after 0.5 s" in stderr
    assert stdout.strip().split("\t")[1:] == ["queued", str(corpus_file(GOOD[0]))]


def test_a_progress_bar_on_a_terminal(env, worker, tmp_path):
    """GIVEN stderr is a terminal WHEN several files are waited for THEN a bar redrawn in place shows
    finished/done/failed, and stdout still gets one line per job."""
    assert DOCPIPE.exists(), f"{DOCPIPE} missing: `make install` installs the project with `pip install -e .`"
    leader, follower = pty.openpty()
    files = [str(corpus_file(name)) for name in [*GOOD, BAD]]
    process = subprocess.Popen(
        [str(DOCPIPE), "submit", *files, "--wait", "-o", str(tmp_path / "out")],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=os.environ | env,
        text=True,
    )
    os.close(follower)
    stdout, _ = process.communicate(timeout=120)
    terminal = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end is closed: everything has been read
            break
        if not chunk:
            break
        terminal += chunk
    os.close(leader)
    assert process.returncode == 1
    assert len(stdout.splitlines()) == 4
    assert b"\r\x1b[K[" in terminal and b"] 4/4 finished: 3 done, 1 failed" in terminal
    assert b"uploaded 4/4" in terminal


def test_a_file_over_the_upload_limit_fails_alone(small_uploads, operator_key, worker, monkeypatch, capsys):
    """GIVEN a server taking at most 1 MiB WHEN a small text and a 3.6 MB PDF are submitted THEN the PDF is
    rejected with the server's 413 while the text is processed, and the exit status is 1."""
    monkeypatch.setenv("DOCPIPE_URL", small_uploads)
    monkeypatch.setenv("DOCPIPE_API_KEY", operator_key)
    small, large = str(corpus_file(GOOD[0])), str(corpus_file("pdf_large_400p.pdf"))
    code, stdout, stderr = run(capsys, "submit", small, large, "--wait")
    assert code == 1
    states = {file: (job_id, state) for job_id, state, file in (line.split("\t") for line in stdout.splitlines())}
    assert states[large] == ("-", "rejected") and states[small][1] == "succeeded"
    assert "413 Request Entity Too Large" in stderr and "1 MiB" in stderr
