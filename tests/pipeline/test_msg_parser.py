from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipeline.helpers import OPTIONS, corpus, parse, source
from webapp.pipeline.detect import MSG
from webapp.pipeline.document import Detection
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError
from webapp.pipeline.parsers.msg import MsgParser
from webapp.pipeline.render import to_markdown, to_text


def _parse_msg(path: Path):
    return MsgParser().parse(source(path), Detection(MSG), dict(OPTIONS))


def test_unicode_message_headers_and_body() -> None:
    detection, document = parse(corpus("msg_fake-email.msg"))
    assert detection.mime_type == MSG
    email = document.metadata["email"]
    assert email["subject"] == document.metadata["title"] == "Test Email"
    assert email["from"] == "Matthew Robinson <mrobinson@unstructured.io>"
    assert email["to"] == ["Matthew Robinson <mrobinson@unstructured.io>"]
    assert email["date"] == "2023-03-28T17:00:31Z"
    assert email["message_id"] == "<CADc-_xaLB2FeVQ7mNsoX+NJb_7hAJhBKa_zet-rtgPGenj0uVw@mail.gmail.com>"
    assert [element.type for element in document.elements[:2]] == ["title", "header"]
    assert "This is a test email to use for unit tests." in to_text(document)
    items = [element.text for element in document.elements if element.type == "list_item"]
    assert items == ["Roses are red", "Violets are blue"]


def test_eight_bit_strings_use_the_message_code_page() -> None:
    """GIVEN a message with PT_STRING8 properties in Big5 (internet code page 950), no Unicode streams."""
    _, document = parse(corpus("msg_tika_testMSG_chinese.msg"))
    email = document.metadata["email"]
    assert email["subject"] == "Alfresco MSG format testing ( MSG 格式測試 )"
    assert email["to"] == ["Tests Chang@FT (張毓倫) <tests.chang@fengttt.com>"]
    text = to_text(document)
    assert "中文測試" in text
    assert "豐泰產業工會常務理事" in text
    assert "\ufffd" not in text


def test_attachments_are_listed_and_html_body_read() -> None:
    _, document = parse(corpus("msg_with_png_attachment.msg"))
    assert document.metadata["attachments"] == [
        {"filename": "canvas.png", "content_type": "image/png", "size_bytes": 259345, "extracted": False}
    ]
    assert document.metadata["email"]["from"] == "peterpan@neverland.com"
    assert "This is a message" in to_markdown(document)  # the body exists only as HTML


def test_pgp_encrypted_message_is_refused() -> None:
    with pytest.raises(EncryptedFileError, match="encrypted"):
        parse(corpus("bad_msg_fake-encrypted.msg"))


def test_truncated_message_is_corrupt(tmp_path: Path) -> None:
    data = corpus("msg_fake-email.msg").read_bytes()
    path = tmp_path / "truncated.msg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptFileError, match="Outlook message"):
        _parse_msg(path)


def test_bytes_that_are_no_ole_container_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "fake.msg"
    path.write_bytes(b"Subject: not an Outlook file\r\n" * 40)
    with pytest.raises(CorruptFileError, match="cannot be opened"):
        _parse_msg(path)
