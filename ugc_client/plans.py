"""Requests without I/O: an endpoint is a plan of steps that either client (async or sync) carries out.

A plan is a `Call` (one request and how to read its answer) or a generator yielding steps — `Call`,
`Sleep`, `TOKEN_SUBJECT` — and receiving each one's outcome (an API error is thrown into it), so
polling, uploads that open a file, and "404 means None" are written once for both clients.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, Self, TypeVar

import httpx
from pydantic import TypeAdapter

from ugc_client.errors import api_error

T = TypeVar("T")

FileContent = bytes | IO[bytes] | os.PathLike[str]  # what an upload accepts: bytes, an open file, a path


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request; `read` turns its successful answer into the API's own model."""

    method: str
    path: str
    read: Callable[[httpx.Response], T]
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, str] | None = None
    files: Mapping[str, Any] | None = None

    def request(self) -> dict[str, Any]:
        """Keyword arguments for httpx's `request`."""
        sent = {"params": self.params, "json": self.json, "data": self.data, "files": self.files}
        return {"method": self.method, "url": self.path, **{k: v for k, v in sent.items() if v is not None}}

    def answer(self, response: httpx.Response) -> T:
        error = api_error(response)
        if error is not None:
            raise error
        return self.read(response)


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class _TokenSubject:
    """Ask the client for its token's `sub` (read, not verified: the API verifies)."""


TOKEN_SUBJECT = _TokenSubject()

Step = Call[Any] | Sleep | _TokenSubject
Plan = Generator[Step, Any, T]


def returns(kind: type[T]) -> Callable[[httpx.Response], T]:
    """Read an answer as `kind` (a model of models.schemas, or a list of one)."""
    adapter = TypeAdapter(kind)
    # by name as well: a field with a validation alias (e.g. LedgerEvent.metadata <- meta) is written by name
    return lambda response: adapter.validate_json(response.content, by_alias=True, by_name=True)


def _single(call: Call[T]) -> Plan[T]:
    return (yield call)


class PlanRun(Generic[T]):
    """Carries a plan out: iterate for the I/O steps, report each one's `outcome`; then read `result`.

    The token's subject is answered here; an error in a step's outcome is thrown into the plan.
    """

    result: T

    def __init__(self, plan: Call[T] | Plan[T], token: str | None) -> None:
        self._steps = _single(plan) if isinstance(plan, Call) else plan
        self._token = token
        self._value: Any = None
        self._error: Exception | None = None

    def __iter__(self) -> Iterator[Call[Any] | Sleep]:
        while True:
            value, error, self._value, self._error = self._value, self._error, None, None
            try:
                step = self._steps.throw(error) if error is not None else self._steps.send(value)
            except StopIteration as stop:
                self.result = stop.value
                return
            if isinstance(step, _TokenSubject):
                self._value = token_subject(self._token)
            else:
                yield step

    @contextmanager
    def outcome(self) -> Iterator[Callable[[Any], None]]:
        """`with run.outcome() as answer: answer(do(step))`: the value, or the exception it raised."""
        try:
            yield self._answer
        except Exception as exc:
            self._error = exc

    def _answer(self, value: Any) -> None:
        self._value = value

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self._steps.close()  # an abandoned plan (cancelled, interrupted) closes the files it opened


def token_subject(token: str | None) -> str | None:
    """The `sub` claim of a JWT, read without verifying it; None when there is none to read."""
    try:
        payload = (token or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) else None


@contextmanager
def upload_part(content: FileContent, filename: str | None) -> Iterator[tuple[str, bytes | IO[bytes]]]:
    """A multipart file part; a path is opened for the request and closed after it."""
    if isinstance(content, os.PathLike):
        path = Path(content)
        with path.open("rb") as handle:
            yield filename or path.name, handle
        return
    name = filename or Path(str(getattr(content, "name", "") or "")).name
    if not name:
        raise ValueError("filename is required when the content is bytes")
    yield name, content


def given(values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that are not None (what a request sends; the API applies its defaults to the rest)."""
    return {key: value for key, value in values.items() if value is not None}


def multipart(path: str, read: Callable[[httpx.Response], T], fields: Mapping[str, Any], part: Any) -> Call[T]:
    """A POST of form `fields` (the values given, as text) and the file `part` (from `upload_part`)."""
    data = {key: str(value) for key, value in given(fields).items()}
    return Call("POST", path, read, data=data, files={"file": part})
