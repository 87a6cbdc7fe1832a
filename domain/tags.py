"""Searchable tags from an analysis (what is unknown is not a tag)."""

from __future__ import annotations

from typing import Any

UNKNOWN = "unknown"


def known(value: str | None) -> str | None:
    """None for an empty or 'unknown' label."""
    if value is None or not value.strip() or value.strip().lower() == UNKNOWN:
        return None
    return value.strip().lower()


def insight_tags(insights: Any) -> list[str]:
    """`hook:question`, `emotion:curiosity`, `pacing:fast`, `face`, `cta:shop-now` ... sorted, unique."""
    tags = set()
    for field in ("hook_type", "emotion", "pacing"):
        if value := known(getattr(insights, field)):
            tags.add(f"{field.removesuffix('_type')}:{value}")
    if insights.face_present:
        tags.add("face")
    if insights.people_present:
        tags.add("people")
    if insights.cta_present and (kind := known(insights.cta_kind)):
        tags.add(f"cta:{kind}")
    elif insights.cta_present:
        tags.add("cta")
    if insights.on_screen_text:
        tags.add("on-screen-text")
    return sorted(tags)
