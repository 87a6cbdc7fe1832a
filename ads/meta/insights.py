"""Insights rows (level=ad, one day each) parsed into typed day totals; Meta sends every number as text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# what the sync asks for: delivery, the funnel, spend and video plays
INSIGHT_FIELDS = [
    "ad_id",
    "ad_name",
    "adset_id",
    "campaign_id",
    "impressions",
    "clicks",
    "spend",
    "actions",
    "video_play_actions",
    "video_thruplay_watched_actions",
]

# the action types counted as conversions (a purchase on the advertiser's site or in the app)
CONVERSION_ACTIONS = frozenset(
    {"offsite_conversion.fb_pixel_purchase", "purchase", "omni_purchase", "app_custom_event.fb_mobile_purchase"}
)


@dataclass(frozen=True)
class AdDay:
    """One ad's totals for one day, as Meta reports them now (a later report of the same day restates it)."""

    ad_id: str
    day: date
    impressions: int
    clicks: int
    conversions: int
    spend_minor: int
    video_plays: int
    thruplays: int


def _count(value: Any) -> int:
    try:
        return max(0, int(float(value)))
    except (TypeError, ValueError):
        return 0


def _actions(rows: Any, wanted: frozenset[str] | None = None) -> int:
    """Sum an action list's values (all of them, or the wanted types); the largest of the purchase aliases."""
    if not isinstance(rows, list):
        return 0
    values = [
        _count(row.get("value"))
        for row in rows
        if isinstance(row, dict) and (wanted is None or row.get("action_type") in wanted)
    ]
    if wanted is CONVERSION_ACTIONS:
        return max(values, default=0)  # Meta reports one purchase under several aliases: never add them up
    return sum(values)


def parse_row(row: dict[str, Any]) -> AdDay:
    """An insights row; the funnel is made consistent (conversions ≤ clicks ≤ impressions) as reports require."""
    impressions = _count(row.get("impressions"))
    clicks = min(_count(row.get("clicks")), impressions)
    conversions = min(_actions(row.get("actions"), CONVERSION_ACTIONS), clicks)
    spend = round(float(row.get("spend") or 0) * 100)
    return AdDay(
        ad_id=str(row["ad_id"]),
        day=date.fromisoformat(str(row["date_start"])),
        impressions=impressions,
        clicks=clicks,
        conversions=conversions,
        spend_minor=max(0, spend),
        video_plays=_actions(row.get("video_play_actions")),
        thruplays=_actions(row.get("video_thruplay_watched_actions")),
    )
