"""The pipelines pages through the Flask test client: the editor's fields, its errors beside the fields, versions
and their diff, what viewers see, delete, and "try it" (real corpus documents through the real sandbox)."""

from __future__ import annotations

import html as html_module
import io
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.conftest import corpus_file
from tests.dashboard.helpers import csrf_from, signed_in_client
from tests.pipeline.chunking_helpers import train_tokenizer
from webapp.extensions import db
from webapp.models import AuditEvent, Job, StoredFile
from webapp.pipeline.chunking.tokenizers import TOKENIZERS_ENV
from webapp.pipeline.config import OPTIONAL_STAGES
from webapp.pipeline.registry import stage_class, stage_names

SAMPLE_PDF = "pdf_docling_multi_page.pdf"
SAMPLE_TEXT = "The Evolution of the Word Processor"


def default_pipeline(client) -> dict:
    return client.get("/api/v1/pipelines/default").get_json()


def editor_form(client, path: str) -> MultiDict:
    """The fields the edit page would post, as a browser fills them from the page (all at their shown values)."""
    html = client.get(path).get_data(as_text=True)
    form: MultiDict = MultiDict()
    for tag in re.findall(r"<input [^>]+>", html):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="file"' in tag:
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        form.add(name.group(1), value.group(1) if value else "")
    form["description"] = html_module.unescape(
        re.search(r'<textarea id="description"[^>]*>([^<]*)</textarea>', html).group(1)
    )
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        form[name] = re.search(r'<option value="([^"]*)" selected>', options).group(1)
    return form


def field_errors(html: str, field_id: str) -> list[str]:
    block = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S)
    if block is None:
        return []
    items = re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    return [html_module.unescape(re.sub(r"<[^>]+>", "", item)).replace("Error: ", "").strip() for item in items]


def audit_actions(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.execute(db.select(AuditEvent).filter_by(action=action)).scalars().all()
        db.session.expunge_all()
        db.session.remove()
    return events


def counts(app) -> tuple[int, int]:
    with app.app_context():
        jobs = db.session.execute(db.select(db.func.count()).select_from(Job)).scalar_one()
        files = db.session.execute(db.select(db.func.count()).select_from(StoredFile)).scalar_one()
        db.session.remove()
    return jobs, files


def files_under(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.is_file()] if folder.exists() else []


def try_it(client, ref: str, form: MultiDict, content: bytes, filename: str):
    """POST the editor with a sample, encoded in memory (the test client would spool a big body to a temporary
    file it never closes)."""
    data = MultiDict(form)
    data["sample"] = FileStorage(io.BytesIO(content), filename)
    boundary, body = encode_multipart(data)
    return client.post(f"/pipelines/{ref}/try", data=body, content_type=f"multipart/form-data; boundary={boundary}")


# --- list and fields --------------------------------------------------------------------------------------


def test_the_list_shows_version_priority_stages_and_the_links_a_role_may_use(client, accounts):
    pipeline = default_pipeline(client)
    html = client.get("/pipelines").get_data(as_text=True)
    assert "version 1" in html and "ingest → detect → parse → enrich → output" in html
    assert f'href="/pipelines/{pipeline["id"]}/edit"' in html and 'href="/pipelines/new"' in html
    assert f'href="/pipelines/{pipeline["id"]}/versions"' in html
    assert "<dt>Queued or running</dt><dd>none</dd>" in html

    viewer = accounts.client("viewer").get("/pipelines").get_data(as_text=True)
    assert "version 1" in viewer and f'href="/pipelines/{pipeline["id"]}/versions"' in viewer
    assert "/edit" not in viewer and "/pipelines/new" not in viewer


def test_the_editor_has_a_labelled_field_for_every_declared_option(client):
    """GIVEN the stages' declared options WHEN the new-pipeline form is opened THEN each has a labelled field
    named stage.option, so an option added to a stage shows up without a template change."""
    html = client.get("/pipelines/new").get_data(as_text=True)
    assert "<script>" not in html and " style=" not in html
    for stage in stage_names():
        assert f'id="stage-{stage}"' in html
        for key, option in stage_class(stage).options.items():
            field_id = f"opt-{stage}-{key}"
            assert f'name="{stage}.{key}"' in html, field_id
            if option.kind is list and option.item_choices:
                assert re.search(rf'<fieldset class="choices" id="{field_id}"[^>]*>\s*<legend>', html), field_id
            else:
                assert f'<label for="{field_id}">' in html, field_id
            assert f'id="{field_id}-help"' in html
    assert 'name="enrich.enabled"' in html and 'name="parse.enabled"' not in html
    assert 'id="stage-chunk-enabled" name="chunk.enabled" value="on">' in html, "the chunk stage starts off"
    assert 'name="csrf_token" type="hidden"' in html and "novalidate" in html


# --- validation -------------------------------------------------------------------------------------------


def test_invalid_values_are_shown_next_to_their_fields_in_the_apis_words(app, accounts):
    """GIVEN an operator on the edit page WHEN they save an unknown OCR language and a zero size limit
    THEN the page says so beside each field (and in a summary linking to them), in the words the API uses for
    the same body, and no version is saved."""
    operator = accounts.client("operator")
    pipeline = default_pipeline(operator)
    form = editor_form(operator, f"/pipelines/{pipeline['id']}/edit")
    form["parse.ocr_languages"] = "klingon"
    form["ingest.max_size_mb"] = "0"

    response = operator.post(f"/pipelines/{pipeline['id']}/edit", data=form)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    (language_error,) = field_errors(html, "opt-parse-ocr_languages")
    assert "'klingon' is not a Tesseract language code" in language_error
    assert field_errors(html, "opt-ingest-max_size_mb") == ["must be at least 1"]
    assert 'value="klingon"' in html and 'id="opt-ingest-max_size_mb" name="ingest.max_size_mb" value="0"' in html
    assert 'aria-describedby="opt-parse-ocr_languages-help opt-parse-ocr_languages-errors" aria-invalid="true"' in html
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert "There are 2 problems" in summary
    assert 'href="#opt-ingest-max_size_mb">Ingest › Max size (MiB): must be at least 1</a>' in summary
    assert 'href="#opt-parse-ocr_languages">Parse › OCR languages:' in summary

    stages = [stage for stage in pipeline["stages"]]
    stages[2] = {"name": "parse", "options": {"ocr_languages": ["klingon"]}}
    api = operator.put(f"/api/v1/pipelines/{pipeline['id']}", json={"stages": stages}).get_json()
    assert api["errors"] == [{"field": "stages[2].options.ocr_languages", "message": language_error}]
    assert default_pipeline(operator)["version"] == 1


def test_errors_follow_the_stage_when_an_optional_stage_is_off(client):
    """GIVEN enrich switched off (so output is stages[3], not stages[4]) WHEN an output option is bad
    THEN its error is shown on the output field, not on another stage's."""
    pipeline = default_pipeline(client)
    form = editor_form(client, f"/pipelines/{pipeline['id']}/edit")
    del form["enrich.enabled"]
    form.setlist("output.formats", ["text", "pdf"])

    html = client.post(f"/pipelines/{pipeline['id']}/edit", data=form).get_data(as_text=True)

    assert field_errors(html, "opt-output-formats") == [
        "unknown value 'pdf'; allowed: text, markdown, elements, tables"
    ]
    assert 'id="stage-enrich-enabled" name="enrich.enabled" value="on">' in html, "enrich stays switched off"


def test_a_taken_name_is_refused_beside_the_name_field(client):
    form = editor_form(client, "/pipelines/new")
    form["name"] = "default"
    response = client.post("/pipelines/new", data=form)
    assert response.status_code == 409
    assert field_errors(response.get_data(as_text=True), "name") == ["a pipeline named 'default' already exists"]


def test_the_preview_shows_the_body_that_would_be_saved(client):
    pipeline = default_pipeline(client)
    form = editor_form(client, f"/pipelines/{pipeline['id']}/edit")
    form["parse.ocr"] = "never"
    html = client.post("/pipelines/_preview", data=form).get_data(as_text=True)
    assert "Valid." in html and "&#34;ocr&#34;: &#34;never&#34;" in html
    form["ingest.max_size_mb"] = "lots"
    html = client.post("/pipelines/_preview", data=form).get_data(as_text=True)
    assert "Not valid yet: 1 problem." in html and "Ingest › Max size (MiB): must be an integer" in html


# --- the chunk stage --------------------------------------------------------------------------------------


@pytest.fixture
def tokenizers_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two tokenizer files an operator installed in DOCPIPE_TOKENIZERS_DIR."""
    folder = tmp_path / "tokenizers"
    train_tokenizer(folder, "mini")
    train_tokenizer(folder / "BAAI", "bge-mini")
    monkeypatch.setenv(TOKENIZERS_ENV, str(folder))
    return folder


def set_fields(form: MultiDict, name: str | None = None, **chunk: str) -> MultiDict:
    """Set the chunk stage's fields (``chunk.<key>``), and the pipeline's name, as a person types them."""
    if name is not None:
        form["name"] = name
    for key, value in chunk.items():
        form[f"chunk.{key}"] = value
    return form


def test_a_new_pipeline_can_add_the_chunk_stage_and_set_its_options(client, tokenizers_dir):
    """GIVEN tokenizers installed WHEN the new-pipeline form is opened THEN the chunk stage is there but off, and
    its tokenizer field offers "words" and each installed tokenizer; WHEN it is switched on with a strategy, a
    size and a tokenizer THEN the saved pipeline has the chunk stage with exactly those options."""
    html = client.get("/pipelines/new").get_data(as_text=True)
    assert 'id="stage-chunk-enabled" name="chunk.enabled" value="on">' in html, "off in a new pipeline"
    select = re.search(r'<select id="opt-chunk-tokenizer" name="chunk.tokenizer"[^>]*>(.*?)</select>', html, re.S)
    assert re.findall(r'<option value="([^"]+)"', select.group(1)) == ["words", "hf:BAAI/bge-mini", "hf:mini"]
    assert '<option value="words" selected>' in select.group(1)
    assert re.findall(r'<option value="([^"]+)"', html.split('id="opt-chunk-strategy"')[1].split("</select>")[0]) == [
        "by_title", "by_tokens", "by_page", "by_element",
    ]  # fmt: skip

    form = set_fields(editor_form(client, "/pipelines/new"), name="retrieval", strategy="by_tokens")
    set_fields(form, enabled="on", max_tokens="256", tokenizer="hf:BAAI/bge-mini")
    assert client.post("/pipelines/new", data=form).status_code == 302

    created = client.get("/api/v1/pipelines/retrieval").get_json()
    assert [stage["name"] for stage in created["stages"]] == list(stage_names())
    assert created["stages"][4] == {
        "name": "chunk",
        "options": {"strategy": "by_tokens", "max_tokens": 256, "tokenizer": "hf:BAAI/bge-mini"},
    }
    page = client.get(f"/pipelines/{created['id']}").get_data(as_text=True)
    assert "hf:BAAI/bge-mini" in page and "by_tokens" in page


def test_chunk_option_errors_are_shown_beside_their_fields(client, tokenizers_dir):
    """GIVEN the chunk stage switched on WHEN the overlap is more than half the size THEN the error is beside the
    overlap field; GIVEN a saved tokenizer whose file was removed WHEN the pipeline is edited THEN the field
    still shows it, and saving names the problem beside it (a 422, never a failed job)."""
    form = set_fields(editor_form(client, "/pipelines/new"), name="overlapping", enabled="on", max_tokens="64")
    set_fields(form, overlap_tokens="40")
    response = client.post("/pipelines/new", data=form)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "opt-chunk-overlap_tokens") == [
        "must be below max_tokens: at most half of it (32)"
    ]

    set_fields(form, overlap_tokens="0", tokenizer="hf:mini")
    assert client.post("/pipelines/new", data=form).status_code == 302
    (tokenizers_dir / "mini" / "tokenizer.json").unlink()
    pipeline = client.get("/api/v1/pipelines/overlapping").get_json()
    edit = f"/pipelines/{pipeline['id']}/edit"
    assert '<option value="hf:mini" selected>' in client.get(edit).get_data(as_text=True)
    form = editor_form(client, edit)
    form["description"] = "changed"
    html = client.post(edit, data=form).get_data(as_text=True)
    (error,) = field_errors(html, "opt-chunk-tokenizer")
    assert error.startswith("tokenizer 'mini' is not installed")


# --- saving and versions ----------------------------------------------------------------------------------


def test_saving_an_edit_creates_version_2_and_jobs_keep_theirs(app, accounts):
    operator = accounts.client("operator")
    pipeline = default_pipeline(operator)
    submitted = operator.post(
        "/api/v1/jobs", data={"file": (io.BytesIO(b"Minutes of the meeting."), "minutes.txt")}
    ).get_json()
    form = editor_form(operator, f"/pipelines/{pipeline['id']}/edit")
    form["description"] = "Scans first"
    form["default_priority"] = "7"
    form["parse.ocr"] = "always"
    del form["enrich.enabled"]

    response = operator.post(f"/pipelines/{pipeline['id']}/edit", data=form)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/pipelines/{pipeline['id']}"
    page = operator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved version 2 of default." in page
    saved = default_pipeline(operator)
    assert saved["version"] == 2 and saved["default_priority"] == 7 and saved["description"] == "Scans first"
    assert [stage["name"] for stage in saved["stages"]] == ["ingest", "detect", "parse", "output"]
    assert saved["stages"][2]["options"] == {"ocr": "always"}, "options at their default are not pinned"
    assert operator.get(f"/api/v1/jobs/{submitted['id']}").get_json()["pipeline"]["version"] == 1
    (event,) = audit_actions(app, "pipeline.updated")
    assert event.actor_name == accounts.email("operator") and event.details["version"] == 2


def test_saving_without_a_change_makes_no_version(client):
    pipeline = default_pipeline(client)
    form = editor_form(client, f"/pipelines/{pipeline['id']}/edit")
    response = client.post(f"/pipelines/{pipeline['id']}/edit", data=form, follow_redirects=True)
    assert "Nothing changed, so no new version was saved." in response.get_data(as_text=True)
    assert default_pipeline(client)["version"] == 1


def test_a_save_based_on_an_older_version_is_stopped_once(client):
    """GIVEN two people opened version 1 WHEN the first saves and then the second THEN the second is told about
    version 2 with a link to the diff; saving again from that page goes through as version 3."""
    pipeline = default_pipeline(client)
    edit = f"/pipelines/{pipeline['id']}/edit"
    first, second = editor_form(client, edit), editor_form(client, edit)
    first["description"] = "first"
    second["description"] = "second"
    assert client.post(edit, data=first).status_code == 302

    response = client.post(edit, data=second)

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Version 2 was saved by someone else" in html and "/versions?from=1" in html
    assert 'name="base_version" value="2"' in html
    second["base_version"] = "2"
    assert client.post(edit, data=second).status_code == 302
    assert default_pipeline(client)["description"] == "second"


def test_creating_a_pipeline(app, client):
    form = editor_form(client, "/pipelines/new")
    form["name"] = "scans"
    form["parse.ocr_languages"] = "eng"
    response = client.post("/pipelines/new", data=form)
    assert response.status_code == 302
    created = client.get("/api/v1/pipelines/scans").get_json()
    # A new pipeline starts as the default one does: without the optional chunk stage.
    assert created["version"] == 1 and [s["name"] for s in created["stages"]] == [
        name for name in stage_names() if name not in OPTIONAL_STAGES
    ]
    assert response.headers["Location"] == f"/pipelines/{created['id']}"
    assert [e.details["name"] for e in audit_actions(app, "pipeline.created")] == ["default", "scans"]


def test_the_history_shows_a_field_and_line_diff_between_any_two_versions(client):
    pipeline = default_pipeline(client)
    edit = f"/pipelines/{pipeline['id']}/edit"
    form = editor_form(client, edit)
    form["parse.ocr"] = "never"
    form["default_priority"] = "2"
    client.post(edit, data=form)
    form = editor_form(client, edit)
    form["description"] = "Third"
    client.post(edit, data=form)

    html = client.get(f"/pipelines/{pipeline['id']}/versions").get_data(as_text=True)
    assert "Version 2 → version 3" in html
    rows = re.findall(r'<tr class="change-(\w+)">\s*<th scope="row"><code>([^<]+)</code>', html)
    assert rows == [("changed", "description")]

    html = client.get(f"/pipelines/{pipeline['id']}/versions?from=1&to=2").get_data(as_text=True)
    rows = re.findall(
        r'<tr class="change-(\w+)">\s*<th scope="row"><code>([^<]+)</code></th>\s*<td>.*?</td>\s*'
        r"<td><del>([^<]*)</del></td>\s*<td><ins>([^<]*)</ins></td>",
        html,
        re.S,
    )
    assert rows == [
        ("changed", "default priority", "5", "2"),
        ("added", "parse › ocr", "default (auto)", "never"),
    ]
    assert '<ins class="diff-line diff-added"><span class="visually-hidden">added: </span>+' in html
    assert '<del class="diff-line diff-removed"><span class="visually-hidden">removed: </span>-' in html
    assert "+ " + "  &#34;default_priority&#34;: 2," in html and "- " + "  &#34;default_priority&#34;: 5," in html

    same = client.get(f"/pipelines/{pipeline['id']}/versions?from=2&to=2").get_data(as_text=True)
    assert "The same version on both sides" in same
    assert client.get(f"/pipelines/{pipeline['id']}/versions?from=9").status_code == 404


# --- roles ------------------------------------------------------------------------------------------------


def test_viewers_see_no_controls_and_every_change_is_refused(app, accounts):
    viewer = accounts.client("viewer")
    pipeline = default_pipeline(viewer)
    detail = viewer.get(f"/pipelines/{pipeline['id']}").get_data(as_text=True)
    assert "<h2>Stages</h2>" in detail and "Max size (MiB)" in detail
    for control in ("/edit", "/delete", "Try it", '<form method="post" action="/pipelines'):
        assert control not in detail
    versions = viewer.get(f"/pipelines/{pipeline['id']}/versions")
    assert versions.status_code == 200 and "/edit" not in versions.get_data(as_text=True)

    assert viewer.get(f"/pipelines/{pipeline['id']}/edit").status_code == 403
    assert viewer.get("/pipelines/new").status_code == 403
    form = editor_form(accounts.client("operator"), f"/pipelines/{pipeline['id']}/edit")
    form["description"] = "viewer was here"
    for path in ("edit", "try", "delete"):
        assert viewer.post(f"/pipelines/{pipeline['id']}/{path}", data=form).status_code == 403
    assert viewer.post("/pipelines/new", data=form).status_code == 403
    assert default_pipeline(viewer)["version"] == 1


def test_delete_is_for_admins_and_waits_for_active_jobs(app, client, accounts):
    form = editor_form(client, "/pipelines/new")
    form["name"] = "temporary"
    client.post("/pipelines/new", data=form)
    pipeline = client.get("/api/v1/pipelines/temporary").get_json()
    client.post("/api/v1/jobs", data={"file": (io.BytesIO(b"Hello."), "a.txt"), "pipeline": "temporary"})

    operator = accounts.client("operator")
    assert "/delete" not in operator.get(f"/pipelines/{pipeline['id']}").get_data(as_text=True)
    assert operator.post(f"/pipelines/{pipeline['id']}/delete").status_code == 403
    assert 'href="/pipelines/' + pipeline["id"] + '/delete"' in client.get(f"/pipelines/{pipeline['id']}").text

    refused = client.post(f"/pipelines/{pipeline['id']}/delete", follow_redirects=True).get_data(as_text=True)
    assert "temporary was not deleted: 1 of its jobs is queued or running." in refused
    assert client.get("/api/v1/pipelines/temporary").status_code == 200

    client.post(f"/api/v1/jobs/{client.get('/api/v1/jobs').get_json()['items'][0]['id']}/cancel")
    done = client.post(f"/pipelines/{pipeline['id']}/delete", follow_redirects=True).get_data(as_text=True)
    assert "The pipeline temporary was deleted." in done
    assert client.get("/api/v1/pipelines/temporary").status_code == 404
    assert "/delete" not in client.get(f"/pipelines/{default_pipeline(client)['id']}").text, "default stays"


def test_posting_the_editor_needs_the_pages_csrf_token(app, make_app, accounts):
    client = signed_in_client(make_app(WTF_CSRF_ENABLED=True), accounts, "operator")
    pipeline = default_pipeline(accounts.client("operator"))
    edit = f"/pipelines/{pipeline['id']}/edit"
    page = client.get(edit).get_data(as_text=True)
    form = editor_form(client, edit)
    form["description"] = "with a token"
    del form["csrf_token"]
    assert client.post(edit, data=form).status_code == 400
    form["csrf_token"] = csrf_from(page)
    assert client.post(edit, data=form).status_code == 302


# --- try it -----------------------------------------------------------------------------------------------


def test_try_runs_the_unsaved_pipeline_without_a_job_or_a_stored_file(app, accounts):
    """GIVEN an edited, unsaved pipeline (enrich off) and a real PDF WHEN the operator tries it THEN the page
    shows the extracted text, the stages that ran, and no language (enrich did not run); no job, stored file
    or temporary file is left, the pipeline is still version 1, and the audit log has pipeline.tried."""
    operator = accounts.client("operator")
    pipeline = default_pipeline(operator)
    form = editor_form(operator, f"/pipelines/{pipeline['id']}/edit")
    del form["enrich.enabled"]
    data_dir = Path(app.config["DATA_DIR"])

    response = try_it(operator, pipeline["id"], form, corpus_file(SAMPLE_PDF).read_bytes(), SAMPLE_PDF)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    trial = html[html.index('id="try-result"') :]
    assert SAMPLE_TEXT in trial and "application/pdf" in trial
    assert re.findall(r"<tr><th scope=\"row\">(\w+)</th><td><span class=\"badge badge-succeeded\">", trial) == [
        "ingest",
        "detect",
        "parse",
        "output",
    ]
    assert "<dt>Language</dt><dd>unknown</dd>" in trial
    assert 'id="stage-enrich-enabled" name="enrich.enabled" value="on">' in html, "the form keeps the edit"
    assert counts(app) == (0, 0)
    assert files_under(data_dir / "files") == [] and files_under(data_dir / "tmp") == []
    assert default_pipeline(operator)["version"] == 1
    (event,) = audit_actions(app, "pipeline.tried")
    assert event.resource_id == pipeline["id"] and event.actor_name == accounts.email("operator")
    assert event.details["status"] == "succeeded" and event.details["filename"] == SAMPLE_PDF


def test_try_on_a_corrupt_file_shows_the_typed_error_and_stage(app, client):
    form = editor_form(client, "/pipelines/new")
    name = "bad_pdf_truncated_derived.pdf"

    response = try_it(client, "new", form, corpus_file(name).read_bytes(), name)

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The pipeline failed in the parse stage" in html
    assert '<code class="error-type">corrupt_file</code>' in html
    assert counts(app) == (0, 0)
    (event,) = audit_actions(app, "pipeline.tried")
    assert event.resource_id is None and event.details["error"] == {"type": "corrupt_file", "stage": "parse"}


def test_try_refuses_a_sample_over_the_limit_and_invalid_options(app, make_app, accounts):
    client = signed_in_client(make_app(TRY_MAX_MB=1), accounts, "operator")
    pipeline = default_pipeline(accounts.client("operator"))
    form = editor_form(client, f"/pipelines/{pipeline['id']}/edit")

    large = try_it(client, pipeline["id"], form, b"a" * (1024 * 1024 + 1), "big.txt")
    assert large.status_code == 413
    assert field_errors(large.get_data(as_text=True), "sample") == [
        "The sample is larger than 1 MiB, the limit for tries."
    ]
    missing = client.post(f"/pipelines/{pipeline['id']}/try", data=form, content_type="multipart/form-data")
    assert field_errors(missing.get_data(as_text=True), "sample") == ["Choose a file to try the pipeline on."]

    form["parse.timeout_seconds"] = "0"
    invalid = try_it(client, pipeline["id"], form, b"Some text.", "small.txt")
    assert invalid.status_code == 422
    assert field_errors(invalid.get_data(as_text=True), "opt-parse-timeout_seconds") == ["must be at least 1"]
    assert 'id="try-result"' not in invalid.get_data(as_text=True)
    assert audit_actions(app, "pipeline.tried") == []
    assert files_under(Path(app.config["DATA_DIR"]) / "tmp") == []


@pytest.mark.parametrize("path", ["/pipelines/pl_nope", "/pipelines/pl_nope/edit", "/pipelines/pl_nope/versions"])
def test_unknown_pipelines_are_friendly_404_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "no pipeline" in response.get_data(as_text=True)


def test_a_try_beyond_the_concurrency_limit_is_refused_with_retry_after(app, make_app, accounts):
    """GIVEN DOCPIPE_TRY_CONCURRENCY=1 and a try holding the only slot WHEN another try comes THEN 429 with
    Retry-After and a message above the form; nothing runs or is audited."""
    from webapp.services import pipeline_trial

    client = signed_in_client(make_app(TRY_CONCURRENCY=1), accounts, "operator")
    pipeline = default_pipeline(accounts.client("operator"))
    form = editor_form(client, f"/pipelines/{pipeline['id']}/edit")
    slot = pipeline_trial._semaphore(1)
    assert slot.acquire(blocking=False)
    try:
        response = try_it(client, pipeline["id"], form, b"Some text.", "small.txt")
    finally:
        slot.release()
    assert response.status_code == 429 and response.headers["Retry-After"] == "5"
    assert "Not run: other tries are running; try again in a few seconds." in response.get_data(as_text=True)
    assert audit_actions(app, "pipeline.tried") == []
