from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.pipeline.helpers import OPTIONS, corpus, parse, source
from tests.pipeline.hostile import nested_multipart
from webapp.pipeline.config import default_stages
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.email import MAX_MIME_DEPTH, EmlParser, mime_depth
from webapp.pipeline.render import to_markdown, to_text
from webapp.pipeline.runner import PipelineFailed, run_pipeline


def _parse_eml(path: Path):
    return EmlParser().parse(source(path), Detection("message/rfc822"), dict(OPTIONS))


def test_headers_become_metadata_and_a_header_block() -> None:
    detection, document = parse(corpus("eml_fake-email-attachment.eml"))
    assert detection.mime_type == "message/rfc822"
    email = document.metadata["email"]
    assert email["subject"] == document.metadata["title"] == "Fake email with attachment"
    assert email["from"] == "Mallori Harrell <mallori@unstructured.io>"
    assert email["to"] == ["Mallori Harrell <mallori@unstructured.io>"]
    assert email["date"] == "2022-12-23T12:08:48-06:00"
    assert email["message_id"].startswith("<CAPgNNXSzLVJ")
    assert [element.type for element in document.elements[:2]] == ["title", "header"]
    assert document.elements[1].text.splitlines()[0] == "From: Mallori Harrell <mallori@unstructured.io>"


def test_plain_body_is_preferred_and_its_list_kept() -> None:
    _, document = parse(corpus("eml_fake-email-attachment.eml"))
    items = [element.text for element in document.elements if element.type == "list_item"]
    assert items == ["Lots of whitespace", "Little to no content", "and is a quick read"]
    assert to_text(document).count("Here's the attachments!") == 1  # the HTML alternative is not read as well


def test_text_attachments_are_read_and_others_listed() -> None:
    _, document = parse(corpus("eml_fake-email-attachment.eml"))
    assert document.metadata["attachments"] == [
        {"filename": "fake-attachment.txt", "content_type": "text/plain", "size_bytes": 30, "extracted": True}
    ]
    assert "## Attachment: fake-attachment.txt\n\nHey this is a fake attachment!" in to_markdown(document)

    _, with_image = parse(corpus("eml_tika_testEmailWithPNGAtt.eml"))
    assert with_image.metadata["attachments"] == [
        {"filename": "testPNG.png", "content_type": "image/png", "size_bytes": 17041, "extracted": False}
    ]
    assert "This email has a PNG attachment included in it" in to_text(with_image)


def test_whitespace_only_eml_fails_as_empty() -> None:
    """bad_eml_empty.eml holds spaces and newlines only: no headers, no text; the job ends as empty_document."""
    path = corpus("bad_eml_empty.eml")
    with pytest.raises(PipelineFailed) as failure:
        run_pipeline(source(path), default_stages())
    assert failure.value.error["type"] == "empty_document"


def _message(tmp_path: Path, build) -> Path:
    message = EmailMessage()
    message["From"] = "Ada Lovelace <ada@example.org>"
    message["To"] = "Charles Babbage <charles@example.org>, grace@example.org"
    message["Cc"] = "Alan <alan@example.org>"
    message["Subject"] = "Über die Maschine"
    message["Date"] = "Mon, 04 Mar 2024 10:15:00 +0100"
    message["Message-ID"] = "<1@example.org>"
    build(message)
    path = tmp_path / "message.eml"
    path.write_bytes(bytes(message))
    return path


def test_html_only_body_goes_through_the_html_walker(tmp_path: Path) -> None:
    html = "<html><body><h1>Plan</h1><p>Build the <b>engine</b>.</p><ul><li>gears</li></ul>" + (
        "<table><tr><th>Part</th><th>Count</th></tr><tr><td>Gear</td><td>12</td></tr></table></body></html>"
    )
    path = _message(tmp_path, lambda message: message.set_content(html, subtype="html"))
    _, document = parse(path)
    email = document.metadata["email"]
    assert email["subject"] == "Über die Maschine"
    assert email["to"] == ["Charles Babbage <charles@example.org>", "grace@example.org"]
    assert email["cc"] == ["Alan <alan@example.org>"]
    assert email["date"] == "2024-03-04T10:15:00+01:00"
    kinds = [(element.type, element.text) for element in document.elements[2:]]
    assert kinds[:3] == [("heading", "Plan"), ("paragraph", "Build the engine."), ("list_item", "gears")]
    assert document.tables[0].rows == [["Part", "Count"], ["Gear", "12"]]


def test_quoted_reply_becomes_a_quote(tmp_path: Path) -> None:
    body = "Sounds good.\n\n> Shall we meet on Monday?\n> At ten?\n\nAda\n"
    _, document = parse(_message(tmp_path, lambda message: message.set_content(body)))
    assert [(element.type, element.text) for element in document.elements[2:]] == [
        ("paragraph", "Sounds good."),
        ("quote", "Shall we meet on Monday?\nAt ten?"),
        ("paragraph", "Ada"),
    ]


def test_encrypted_message_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.eml"
    path.write_bytes(
        b"From: a@example.org\r\nTo: b@example.org\r\nSubject: secret\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="x"\r\n\r\n'
        b"--x\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n"
        b"--x\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n--x--\r\n"
    )
    with pytest.raises(EncryptedFileError, match="PGP/MIME"):
        _parse_eml(path)


def test_unknown_charset_and_broken_headers_do_not_escape(tmp_path: Path) -> None:
    raw = (
        b"From: <<<not an address\r\nTo: undisclosed-recipients:;\r\nSubject: =?x-unknown?q?caf=E9?=\r\n"
        b"Date: yesterday\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\ncaf\xe9 au lait\r\n"
    )
    path = tmp_path / "odd.eml"
    path.write_bytes(raw)
    document = _parse_eml(path)
    assert "date" not in document.metadata["email"]
    assert "caf" in to_text(document)


def test_file_without_headers_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "nothing.eml"
    path.write_bytes(b"\r\n\r\njust a body\r\n")
    with pytest.raises(CorruptFileError, match="no e-mail headers"):
        _parse_eml(path)


@pytest.mark.parametrize("depth", [MAX_MIME_DEPTH + 1, 5_000])
def test_deeply_nested_multiparts_are_refused_fast_with_the_limit_named(tmp_path: Path, depth: int) -> None:
    """GIVEN multiparts nested past our limit, and far past the standard library parser's recursion limit."""
    path = tmp_path / "deep.eml"
    path.write_bytes(nested_multipart(depth))
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match=f"deeper than {MAX_MIME_DEPTH} levels \\(limit max_mime_depth\\)"):
        _parse_eml(path)
    assert time.monotonic() - started < 5  # a generous bound; without the limit: a RecursionError after ~10 s


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.eml"
    path.write_bytes(nested_multipart(MAX_MIME_DEPTH))
    assert "the innermost text" in to_text(_parse_eml(path))


def test_many_sibling_parts_are_not_deep() -> None:
    """GIVEN 500 multiparts side by side, each closed, and one left open: the depth counts levels, not parts."""
    siblings = b"".join(
        b'--outer\r\nContent-Type: multipart/alternative; boundary="s%d"\r\n\r\n--s%d\r\n\r\nx\r\n--s%d--\r\n'
        % (number, number, number)
        for number in range(500)
    )
    unclosed = b'--outer\r\nContent-Type: multipart/mixed; boundary="open"\r\n\r\n--open\r\n\r\ny\r\n'
    data = b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n' + siblings + unclosed + b"--outer--\r\n"
    assert mime_depth(data, stop_at=MAX_MIME_DEPTH + 1) == 2
