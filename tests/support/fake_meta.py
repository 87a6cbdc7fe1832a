"""Driving the local Graph API fake from tests: its control endpoints, typed."""

from __future__ import annotations

from typing import Any

import httpx


class FakeMeta:
    """The fake's URL (META_GRAPH_URL) and its `/__fake` controls."""

    def __init__(self, url: str):
        self.url = url
        self.http = httpx.Client(base_url=url, timeout=30)

    def _post(self, action: str, **body: Any) -> Any:
        response = self.http.post(f"/__fake/{action}", json=body)
        response.raise_for_status()
        return response.json()

    def fault(self, kind: str, **match: Any) -> None:
        """Fail the next matching requests: throttle, transient, server_error, lose_response, expire_token."""
        self._post("faults", kind=kind, **match)

    def expire(self, token: str) -> None:
        self._post("expire_token", token=token)

    def advance(self, days: int = 1) -> list[str]:
        return list(self._post("advance", days=days)["days"])

    def set_rate(self, video_id: str, rate: float) -> None:
        self._post("conversion_rate", video_id=video_id, rate=rate)

    def restate(self, ad_id: str, day: str, **totals: int) -> None:
        self._post("restate", ad_id=ad_id, day=day, totals=totals)

    def usage(self, percent: float, regain_minutes: float = 0.0) -> None:
        self._post("usage", percent=percent, regain_minutes=regain_minutes)

    def objects(self, kind: str | None = None) -> list[dict[str, Any]]:
        response = self.http.get("/__fake/objects", params={"kind": kind} if kind else None)
        response.raise_for_status()
        return list(response.json())

    def calls(self) -> list[dict[str, Any]]:
        return list(self.http.get("/__fake/calls").json())

    def state(self) -> dict[str, Any]:
        return dict(self.http.get("/__fake/state").json())
