"""E-mail messages (RFC 822 / MIME, .eml) with the standard library's ``email`` package and its modern policy.

Elements: the subject as the title, a ``header`` element (From, To, Cc, Date), the body (text/plain preferred, else
the HTML part through the HTML walker), then each text/* attachment under a heading "Attachment: NAME".
``metadata["email"]`` holds from, to, cc, subject, date (RFC 3339 with the sender's offset) and message_id;
``metadata["attachments"]`` lists every attachment with its file name, content type, size and whether its text was
read. Encrypted messages (PGP/MIME, S/MIME enveloped data) fail with EncryptedFileError.

MIME parts nested deeper than MAX_MIME_DEPTH fail with LimitExceededError before the standard library parses them:
its parser recurses once per level (a RecursionError near 1,000 levels) and checks every line against every open
boundary (seconds for thousands of levels). A scan of the raw bytes follows the boundaries as the parser would.
"""

from __future__ import annotations

import re
from email import errors as email_errors
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from webapp.pipeline.base import Parser
from webapp.pipeline.document import Detection, Element, ParsedDocument, Source
from webapp.pipeline.errors import CorruptFileError, EncryptedFileError, LimitExceededError
from webapp.pipeline.parsers.mailbody import (
    TEXT_ATTACHMENT_LIMIT,
    Body,
    add_body,
    header_elements,
    html_body,
    plain_body,
)
from webapp.pipeline.parsers.officemeta import rfc3339

_HEADER_ERRORS = (ValueError, IndexError, TypeError, AttributeError, LookupError, email_errors.HeaderParseError)
_ENCRYPTED = {"multipart/encrypted", "application/pkcs7-mime", "application/x-pkcs7-mime"}
MAX_MIME_DEPTH = 100
# A boundary parameter (where a multipart begins), or a line that may be a delimiter ("--B" or "--B--").
_MIME_EVENT = re.compile(
    rb'(?im)\bboundary\s*=\s*(?:"(?P<quoted>[^"\r\n]*)"|(?P<bare>[^\s;"]+))|^--(?P<line>[^\r\n]*?)[ \t]*\r?$'
)


class EmlParser(Parser):
    name = "email"
    mime_types = {"message/rfc822": 100}

    def parse(self, source: Source, detection: Detection, options: dict[str, Any]) -> ParsedDocument:  # noqa: ARG002 (the Parser contract)
        data = source.path.read_bytes()
        depth = mime_depth(data, stop_at=MAX_MIME_DEPTH + 1)
        if depth > MAX_MIME_DEPTH:
            raise LimitExceededError(
                f"the message nests MIME parts deeper than {MAX_MIME_DEPTH} levels (limit max_mime_depth)"
            )
        try:
            message = BytesParser(policy=policy.default).parsebytes(data)
        except (email_errors.MessageError, ValueError, IndexError, TypeError) as exc:
            raise CorruptFileError(f"the e-mail message cannot be parsed: {exc}") from None
        if not message.keys():
            raise CorruptFileError("the file has no e-mail headers")
        _refuse_encrypted(message)
        headers = _headers(message)
        document = ParsedDocument(elements=header_elements(headers))
        document.metadata["email"] = headers
        if headers.get("subject"):
            document.metadata["title"] = headers["subject"]
        body = message.get_body(preferencelist=("plain", "html"))
        if body is not None:
            add_body(document, _part_body(body))
        attachments = [_attachment(document, part) for part in message.iter_attachments()]
        if attachments:
            document.metadata["attachments"] = attachments
        defects = sorted({type(defect).__name__ for part in message.walk() for defect in part.defects})
        if defects:
            document.warnings.append(f"the message is not well-formed MIME ({', '.join(defects)}); read what parses")
        return document


def mime_depth(data: bytes, stop_at: int) -> int:
    """How deep multiparts nest, following boundaries as the standard library's parser does (stops at ``stop_at``).

    A boundary parameter opens a level; a delimiter line of an open boundary closes every level opened after it,
    and its close delimiter ("--B--") closes its own level too. A boundary parameter quoted in a body counts as
    well, so the estimate errs on the deep side, by the few levels a real message never comes near.
    """
    open_levels: list[bytes] = []
    deepest = 0
    for match in _MIME_EVENT.finditer(data):
        line = match.group("line")
        if line is None:
            open_levels.append(match.group("quoted") or match.group("bare"))
            deepest = max(deepest, len(open_levels))
            if deepest >= stop_at:
                return deepest
            continue
        closing = line.endswith(b"--") and line[:-2] in open_levels
        boundary = line[:-2] if closing else line
        if boundary in open_levels:
            index = len(open_levels) - 1 - open_levels[::-1].index(boundary)
            del open_levels[index if closing else index + 1 :]
    return deepest


def _refuse_encrypted(message: EmailMessage) -> None:
    kind = message.get_content_type()
    if kind in _ENCRYPTED and message.get_param("smime-type", "enveloped-data") != "signed-data":
        scheme = "PGP/MIME" if kind == "multipart/encrypted" else "S/MIME"
        raise EncryptedFileError(f"the message is encrypted ({scheme}); its content cannot be read without the key")


def _headers(message: EmailMessage) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    sender = _addresses(message, "from")
    if sender:
        headers["from"] = ", ".join(sender)
    for name in ("to", "cc"):
        addresses = _addresses(message, name)
        if addresses:
            headers[name] = addresses
    subject = _text(message, "subject")
    if subject:
        headers["subject"] = subject
    date = _date(message)
    if date:
        headers["date"] = date
    message_id = _text(message, "message-id")
    if message_id:
        headers["message_id"] = message_id
    return headers


def _text(message: EmailMessage, name: str) -> str:
    try:
        value = message[name]
    except _HEADER_ERRORS:
        value = next((raw for key, raw in message.raw_items() if key.lower() == name), None)
    return " ".join(str(value).split()) if value is not None else ""


def _addresses(message: EmailMessage, name: str) -> list[str]:
    try:
        header = message[name]
        addresses = [str(address) for address in header.addresses] if header is not None else []
    except _HEADER_ERRORS:
        addresses = []
    if not addresses:  # unparsable address syntax: keep what was written
        text = _text(message, name)
        addresses = [text] if text else []
    return addresses


def _date(message: EmailMessage) -> str | None:
    try:
        header = message["date"]
        moment = getattr(header, "datetime", None)
    except _HEADER_ERRORS:
        return None
    if moment is None:
        return None
    # RFC 5322 "-0000" means "zone unknown": the moment is given in UTC.
    return moment.isoformat() if moment.tzinfo is not None else rfc3339(moment)


def _part_body(part: EmailMessage) -> Body:
    text = part_text(part)
    return html_body(text) if part.get_content_subtype() == "html" else plain_body(text)


def part_text(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError, TypeError):  # an unknown charset or a broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


def _attachment(document: ParsedDocument, part: EmailMessage) -> dict[str, Any]:
    name = _filename(part)
    kind = part.get_content_type()
    payload = part.get_payload(decode=True) if not part.is_multipart() else None
    size = len(payload) if isinstance(payload, bytes) else None
    extracted = part.get_content_maintype() == "text" and size is not None and size <= TEXT_ATTACHMENT_LIMIT
    if extracted:
        body = _part_body(part)
        extracted = bool(body.elements)
        if extracted:
            document.elements.append(Element("heading", f"Attachment: {name}", level=1))
            add_body(document, body)
    return {"filename": name, "content_type": kind, "size_bytes": size, "extracted": extracted}


def _filename(part: EmailMessage) -> str:
    try:
        name = part.get_filename()
    except _HEADER_ERRORS:
        name = None
    return " ".join(name.split()) if name else "(unnamed)"
