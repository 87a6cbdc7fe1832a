"""A multipart/form-data body read as it arrives: text fields first, then the one file, streamed.

Nothing is spooled: the file part's bytes are handed on chunk by chunk while the request is read, and
the body is cut off once it passes its limit. As in S3's POST Object, the file must be the form's last
part, so every field is known (and validated) before a byte of the file is stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from api.errors import InvalidInput, UnsupportedMediaType

FILE_FIELD = "file"
MAX_FIELD_BYTES = 64 * 1024
MAX_FIELDS = 50

_BEGIN, _DATA, _END = "begin", "data", "end"


@dataclass
class FilePart:
    filename: str | None
    chunks: AsyncIterator[bytes]


def _problem(field: str, message: str) -> InvalidInput:
    return InvalidInput([{"field": field, "message": message}])


class StreamedForm:
    """Pull-driven: the request body is read only as fast as the caller consumes the file's chunks."""

    def __init__(self, request: Request, *, max_body_bytes: int, too_large: Callable[[], Exception]) -> None:
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        if kind != b"multipart/form-data":
            raise UnsupportedMediaType("send multipart/form-data with the text fields, then the file")
        boundary = options.get(b"boundary")
        if not boundary:
            raise _problem("body", "multipart/form-data without a boundary")
        self._max_body_bytes = max_body_bytes
        self._too_large = too_large
        self._pending: list[tuple[str, Any]] = []
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._complete = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": lambda: self._pending.append((_BEGIN, self._headers)),
                "on_part_data": lambda data, start, end: self._pending.append((_DATA, data[start:end])),
                "on_part_end": lambda: self._pending.append((_END, None)),
                "on_end": self._on_end,
            },
        )
        self._events = self._parse(request.stream())

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def _on_end(self) -> None:
        self._complete = True

    async def _parse(self, body: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, Any]]:
        received = 0
        while True:
            try:
                chunk = await anext(body)
            except StopAsyncIteration:
                break
            except ClientDisconnect:  # nobody is left to answer; a typed refusal, not an internal error
                raise _problem("body", "the client went away before the body ended") from None
            received += len(chunk)
            if received > self._max_body_bytes:
                raise self._too_large()
            try:
                self._parser.write(chunk)
            except FormParserError:
                raise _problem("body", "malformed multipart/form-data") from None
            events, self._pending = self._pending, []
            for event in events:
                yield event
        if not self._complete:
            raise _problem("body", "the body ended before the form's closing boundary")

    async def fields_then_file(self) -> tuple[dict[str, str], FilePart | None]:
        """The text fields before the file, and the file (its chunks not read yet); None if there is none."""
        fields: dict[str, str] = {}
        name: str | None = None
        value = bytearray()
        async for kind, payload in self._events:
            if kind == _BEGIN:
                name, filename = _disposition(payload)
                if name == FILE_FIELD:
                    return fields, FilePart(filename, self._file_chunks())
                if filename is not None:
                    raise _problem(name, f"unexpected file: the video goes in the {FILE_FIELD!r} field")
                if len(fields) >= MAX_FIELDS:
                    raise _problem("body", f"more than {MAX_FIELDS} form fields")
                value = bytearray()
            elif kind == _DATA:
                value += payload
                if len(value) > MAX_FIELD_BYTES:
                    raise _problem(name or "body", f"a form field is limited to {MAX_FIELD_BYTES} bytes")
            elif name is not None:
                fields[name] = value.decode("utf-8", errors="replace")
                name = None
        return fields, None

    async def _file_chunks(self) -> AsyncIterator[bytes]:
        async for kind, payload in self._events:
            if kind == _DATA:
                if payload:
                    yield payload
            elif kind == _END:
                break
        # only the closing boundary may follow: the stream ends (and the object is kept) only on a whole form
        async for kind, _ in self._events:
            if kind == _BEGIN:
                raise _problem(FILE_FIELD, "the file must be the form's last part: send the text fields first")


def _disposition(headers: dict[bytes, bytes]) -> tuple[str, str | None]:
    _, options = parse_options_header(headers.get(b"content-disposition", b"").decode("latin-1"))
    name = options.get(b"name")
    if name is None:
        raise _problem("body", "a form part without a name")
    filename = options.get(b"filename")
    return name.decode("utf-8", "replace"), filename.decode("utf-8", "replace") if filename is not None else None
