"""Outlook .msg files: MAPI properties read from the OLE2 container with olefile (BSD; extract-msg is GPL).

The result has the shape of an .eml's: the subject as the title, a ``header`` element (From, To, Cc, Date), the body
(plain text preferred, else HTML through the HTML walker), then each text attachment under "Attachment: NAME";
``metadata["email"]`` and ``metadata["attachments"]`` as for .eml. A body stored only as compressed RTF is not
read (a warning says so). Encrypted messages (S/MIME, PGP/MIME) fail with EncryptedFileError.
"""

from __future__ import annotations

import struct
from typing import Any

import olefile

from webapp.pipeline.base import Parser
from webapp.pipeline.detect import MSG
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError
from webapp.pipeline.parsers.html import html_encoding
from webapp.pipeline.parsers.mailbody import (
    TEXT_ATTACHMENT_LIMIT,
    Body,
    add_body,
    header_elements,
    html_body,
    plain_body,
)
from webapp.pipeline.parsers.msg_props import MapiStorage, codec_for, message_codec
from webapp.pipeline.parsers.officemeta import rfc3339
from webapp.pipeline.sniff_encoding import detect_encoding

_OLE_ERRORS = (OSError, ValueError, struct.error, IndexError, KeyError, TypeError, AttributeError, EOFError)
_RECIPIENT_FIELDS = {1: "to", 2: "cc", 3: "bcc"}
_TEXT_EXTENSIONS = (".txt", ".csv", ".tsv", ".md", ".htm", ".html", ".log")
_ENCRYPTED_TYPES = {"application/pgp-encrypted", "application/pkcs7-mime", "application/x-pkcs7-mime"}


class MsgParser(Parser):
    name = "msg"
    mime_types = {MSG: 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        try:
            ole = olefile.OleFileIO(str(source.path))
        except _OLE_ERRORS as exc:
            raise CorruptFileError(f"the Outlook message cannot be opened: {exc}") from None
        try:
            return _read_message(ole)
        except _OLE_ERRORS as exc:
            raise CorruptFileError(f"the Outlook message is damaged: {exc}") from None
        finally:
            ole.close()


def _read_message(ole: olefile.OleFileIO) -> ParsedDocument:
    message = MapiStorage(ole)
    message.codec = message_codec(message)
    attachments = [_attachment_info(ole, path, message.codec) for path in message.substorages("__attach_version1.0_")]
    _refuse_encrypted(message, attachments)
    headers = _headers(ole, message)
    document = ParsedDocument(elements=header_elements(headers))
    document.metadata["email"] = headers
    if headers.get("subject"):
        document.metadata["title"] = headers["subject"]
    add_body(document, _body(message, document.warnings))
    for attachment in attachments:
        data = attachment.pop("_data", None)
        if data is not None:
            body = _text_attachment(data, attachment["content_type"])
            attachment["extracted"] = bool(body.elements)
            if body.elements:
                document.elements.append(Element("heading", f"Attachment: {attachment['filename']}", level=1))
                add_body(document, body)
    if attachments:
        document.metadata["attachments"] = attachments
    return document


def _headers(ole: olefile.OleFileIO, message: MapiStorage) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    sender = _sender(message)
    if sender:
        headers["from"] = sender
    recipients = _recipients(ole, message)
    for field in ("to", "cc"):
        if recipients.get(field):
            headers[field] = recipients[field]
    if "to" not in headers and message.text(0x0E04):  # PR_DISPLAY_TO, when the recipient table is missing
        headers["to"] = [name.strip() for name in message.text(0x0E04).split(";") if name.strip()]
    subject = message.text(0x0037)
    if subject:
        headers["subject"] = subject
    sent = message.time(0x0039) or message.time(0x0E06)  # client submit time, else delivery time
    if sent:
        headers["date"] = rfc3339(sent)
    message_id = message.text(0x1035)
    if message_id:
        headers["message_id"] = message_id
    return headers


def _sender(message: MapiStorage) -> str:
    # PR_SENDER_*, else PR_SENT_REPRESENTING_*: name, address type, address, SMTP address.
    for name_id, type_id, address_id, smtp_id in ((0x0C1A, 0x0C1E, 0x0C1F, 0x5D01), (0x0042, 0x0064, 0x0065, 0x5D02)):
        name = message.text(name_id)
        address = message.text(smtp_id) or (message.text(address_id) if message.text(type_id) != "EX" else "")
        if name or address:
            return _mailbox(name, address)
    return ""


def _recipients(ole: olefile.OleFileIO, message: MapiStorage) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in message.substorages("__recip_version1.0_"):
        recipient = MapiStorage(ole, path, header_size=8, codec=message.codec)
        field = _RECIPIENT_FIELDS.get(recipient.long(0x0C15) or 1, "to")
        address = recipient.text(0x39FE) or (recipient.text(0x3003) if recipient.text(0x3002) != "EX" else "")
        mailbox = _mailbox(recipient.text(0x3001), address)
        if mailbox:
            found.setdefault(field, []).append(mailbox)
    return found


def _mailbox(name: str, address: str) -> str:
    if name and address and name != address:
        return f"{name} <{address}>"
    return name or address


def _body(message: MapiStorage, warnings: list[str]) -> Body:
    plain = message.text(0x1000)
    if plain.strip():
        return plain_body(plain)
    html = message.binary(0x1013)
    if html:
        codec = codec_for(message.long(0x3FDE)) or message.codec  # PR_INTERNET_CPID
        return html_body(html.decode(html_encoding(html, Detection("text/html", encoding=codec)), errors="replace"))
    html_text = message.text(0x1013)
    if html_text.strip():
        return html_body(html_text)
    if message.binary_size(0x1009):  # PR_RTF_COMPRESSED
        warnings.append("the message body is stored only as compressed RTF, which is not read")
    return Body()


def _attachment_info(ole: olefile.OleFileIO, path: str, codec: str) -> dict[str, Any]:
    attachment = MapiStorage(ole, path, header_size=8, codec=codec)
    name = attachment.text(0x3707) or attachment.text(0x3704) or attachment.text(0x3001) or "(unnamed)"
    kind = attachment.text(0x370E).lower()
    embedded = attachment.long(0x3705) == 5  # ATTACH_EMBEDDED_MSG: a message inside the message
    kind = kind or ("message/rfc822" if embedded else "application/octet-stream")
    size = attachment.binary_size(0x3701)
    info: dict[str, Any] = {"filename": name, "content_type": kind, "size_bytes": size, "extracted": False}
    is_text = kind.startswith("text/") or (
        kind == "application/octet-stream" and name.lower().endswith(_TEXT_EXTENSIONS)
    )
    if is_text and size is not None and size <= TEXT_ATTACHMENT_LIMIT:
        info["_data"] = attachment.binary(0x3701)
    return info


def _text_attachment(data: bytes, kind: str) -> Body:
    encoding = detect_encoding(data[:65536]) or "utf-8"
    if kind == "text/html" or data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return html_body(data.decode(html_encoding(data, Detection("text/html", encoding=encoding)), errors="replace"))
    return plain_body(data.decode(encoding, errors="replace"))


def _refuse_encrypted(message: MapiStorage, attachments: list[dict[str, Any]]) -> None:
    message_class = message.text(0x001A)
    if message_class.upper().startswith("IPM.NOTE.SMIME") and "SIGNED" not in message_class.upper():
        raise EncryptedFileError("the message is encrypted (S/MIME); its content cannot be read without the key")
    transport = message.text(0x007D).lower()  # PR_TRANSPORT_MESSAGE_HEADERS
    if "multipart/encrypted" in transport or any(item["content_type"] in _ENCRYPTED_TYPES for item in attachments):
        raise EncryptedFileError("the message is encrypted (PGP/MIME); its content cannot be read without the key")
