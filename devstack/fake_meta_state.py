"""The local Graph API's state: objects by id, upload sessions, report jobs, faults, and simulated delivery.

Delivery is simulated per day: an ACTIVE ad in an ACTIVE ad set gets impressions in proportion to its ad
set's daily budget, clicks at a fixed rate, and conversions at a hidden rate of its video (derived from
the video's bytes, or set through the control API), so better clips convert better and budgets can follow.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

CLICK_RATE = 0.02  # clicks per impression, the same for every ad: what differs is the clip's conversion rate
IMPRESSIONS_PER_MINOR_UNIT = 1  # a CPM of 10.00: one impression per cent of budget
START_DAYS_BEFORE_TODAY = 14  # the simulated calendar starts in the past so reports' date ranges stay real


class GraphFailure(Exception):
    """A Graph error answer: HTTP status and the `error` object Meta sends."""

    def __init__(self, status: int, code: int, message: str, *, subcode: int | None = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "is_transient": transient,
            "fbtrace_id": f"fake{random.randrange(10**12):012d}",
        }
        if subcode is not None:
            self.error["error_subcode"] = subcode


def invalid(message: str) -> GraphFailure:
    return GraphFailure(400, 100, f"(#100) {message}")


@dataclass
class Fault:
    """An injected failure for the next `count` matching requests."""

    kind: str  # throttle | transient | server_error | lose_response | expire_token
    method: str = ""
    path: str = ""  # a substring of the request path
    phase: str = ""  # an advideos upload_phase, when set
    count: int = 1
    code: int = 17
    regain_minutes: float = 0.0

    def matches(self, method: str, path: str, phase: str) -> bool:
        return (
            self.count > 0
            and (not self.method or self.method == method)
            and self.path in path
            and (not self.phase or self.phase == phase)
        )


@dataclass
class State:
    """Everything the fake knows; one lock, since requests run concurrently."""

    chunk_bytes: int = 4 * 1024 * 1024
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)
    delivery: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)  # video id -> hidden conversion rate
    usage_percent: float = 5.0
    regain_minutes: float = 0.0
    start_day: date = field(default_factory=lambda: datetime.now(UTC).date() - timedelta(days=START_DAYS_BEFORE_TODAY))
    days_simulated: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(23850000000001))

    def new_id(self) -> str:
        return str(next(self._ids))

    def take_fault(self, method: str, path: str, phase: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path, phase):
                    fault.count -= 1
                    return fault
        return None

    def of_kind(self, kind: str, account: str | None = None) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["kind"] == kind and (account is None or o["account"] == account)]

    def require(self, object_id: Any, kind: str, account: str) -> dict[str, Any]:
        found = self.objects.get(str(object_id))
        if found is None or found["kind"] != kind or found["account"] != account:
            raise invalid(f"Param {kind}_id must be a valid {kind} id of this ad account")
        return found

    # --- video uploads ---

    def start_upload(self, account: str, file_size: int) -> dict[str, Any]:
        session_id, video_id = self.new_id(), self.new_id()
        self.sessions[session_id] = {
            "account": account,
            "video_id": video_id,
            "size": file_size,
            "received": 0,
            "sha": hashlib.sha256(),
            "finished": False,
        }
        return {"upload_session_id": session_id, "video_id": video_id, **self._next_range(self.sessions[session_id])}

    def _next_range(self, session: dict[str, Any]) -> dict[str, str]:
        start = session["received"]
        return {"start_offset": str(start), "end_offset": str(min(start + self.chunk_bytes, session["size"]))}

    def transfer(self, account: str, session_id: str, start: int, chunk: bytes) -> dict[str, str]:
        session = self.sessions.get(session_id)
        if session is None or session["account"] != account:
            raise invalid("Invalid upload_session_id")
        expected = self._next_range(session)
        if start < session["received"] and start + len(chunk) <= session["received"]:
            return expected  # a chunk already received (a retry after a lost answer): say where to go on
        if start != session["received"] or len(chunk) != int(expected["end_offset"]) - start:
            raise GraphFailure(
                400, 6001, "(#6001) There was a problem uploading your video file: wrong offset", subcode=1363037
            )
        session["sha"].update(chunk)
        session["received"] += len(chunk)
        return self._next_range(session)

    def finish(self, account: str, session_id: str, title: str) -> None:
        session = self.sessions.get(session_id)
        if session is None or session["account"] != account:
            raise invalid("Invalid upload_session_id")
        if session["received"] != session["size"]:
            raise GraphFailure(400, 6001, "(#6001) The video file was not uploaded completely", subcode=1363019)
        if not session["finished"]:
            session["finished"] = True
            digest = session["sha"].hexdigest()
            self.objects[session["video_id"]] = {
                "kind": "video",
                "account": account,
                "id": session["video_id"],
                "title": title,
                "sha256": digest,
                "polls": 0,
                "size": session["size"],
            }
            # the clip's hidden quality: 1 % to 9 % of clicks convert, fixed by its bytes
            self.rates.setdefault(session["video_id"], 0.01 + (int(digest[:8], 16) % 8001) / 100000)

    # --- delivery ---

    @property
    def today(self) -> date:
        return self.start_day + timedelta(days=self.days_simulated)

    def advance(self, days: int) -> list[str]:
        """Deliver `days` more simulated days; the days delivered, as ISO dates."""
        delivered = []
        for _ in range(days):
            day = self.today
            for ad in self.of_kind("ad"):
                adset = self.objects.get(ad["adset_id"], {})
                if ad.get("status") != "ACTIVE" or adset.get("status") != "ACTIVE":
                    continue
                creative = self.objects.get(ad["creative_id"], {})
                video_id = creative.get("video_id", "")
                rng = random.Random(f"{ad['id']}:{day.isoformat()}")
                impressions = int(adset.get("daily_budget", 0)) * IMPRESSIONS_PER_MINOR_UNIT
                clicks = sum(rng.random() < CLICK_RATE for _ in range(impressions))
                rate = self.rates.get(video_id, 0.03)
                conversions = sum(rng.random() < rate for _ in range(clicks))
                self.delivery[(ad["id"], day.isoformat())] = {
                    "impressions": impressions,
                    "clicks": clicks,
                    "conversions": conversions,
                    "spend": int(adset.get("daily_budget", 0)),
                    "plays": impressions // 3,
                    "thruplays": impressions // 9,
                }
            self.days_simulated += 1
            delivered.append(day.isoformat())
        return delivered

    def insight_rows(self, account: str, since: date, until: date) -> list[dict[str, Any]]:
        rows = []
        for (ad_id, day), totals in sorted(self.delivery.items()):
            ad = self.objects.get(ad_id)
            if ad is None or ad["account"] != account or not (since <= date.fromisoformat(day) <= until):
                continue
            adset = self.objects.get(ad["adset_id"], {})
            rows.append(
                {
                    "ad_id": ad_id,
                    "ad_name": ad["name"],
                    "adset_id": ad["adset_id"],
                    "campaign_id": adset.get("campaign_id"),
                    "date_start": day,
                    "date_stop": day,
                    "impressions": str(totals["impressions"]),
                    "clicks": str(totals["clicks"]),
                    "spend": f"{totals['spend'] / 100:.2f}",
                    "actions": [
                        {"action_type": "link_click", "value": str(totals["clicks"])},
                        {"action_type": "offsite_conversion.fb_pixel_purchase", "value": str(totals["conversions"])},
                        {"action_type": "omni_purchase", "value": str(totals["conversions"])},
                    ],
                    "video_play_actions": [{"action_type": "video_view", "value": str(totals["plays"])}],
                    "video_thruplay_watched_actions": [
                        {"action_type": "video_view", "value": str(totals["thruplays"])}
                    ],
                }
            )
        return rows
