"""Platform specs as versioned data: what each placement plays, and how long, at what shape and loudness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Platform = Literal["tiktok", "instagram", "youtube"]
PLATFORMS: tuple[Platform, ...] = get_args(Platform)


class UnknownPlatform(ValueError):
    """A platform name outside PLATFORMS (the message lists the valid ones)."""


@dataclass(frozen=True)
class PlatformSpec:
    platform: Platform
    # bumped whenever a value below changes, so a stored Score says which spec judged it
    spec_version: str
    display_name: str
    # width / height
    target_aspect: float
    # relative deviation from target_aspect still counted as a perfect fit
    aspect_tolerance: float
    suggested_min_s: float
    suggested_max_s: float
    # hard limit of the placement; None when it has none
    max_s: float | None
    # only this much of the clip is ever seen; None when the whole clip plays
    playable_s: float | None
    # viewers hear it by default, so a silent clip wastes the channel
    sound_on: bool
    # (low, high) cuts per 5 seconds the placement's audience is used to
    preferred_cuts_per_5s: tuple[float, float]
    min_short_edge_px: int
    target_loudness_lufs: float


VERTICAL = 9 / 16

PLATFORM_SPECS: dict[Platform, PlatformSpec] = {
    "tiktok": PlatformSpec(
        platform="tiktok",
        spec_version="2025-01",
        display_name="TikTok",
        target_aspect=VERTICAL,
        aspect_tolerance=0.05,
        suggested_min_s=9.0,
        suggested_max_s=15.0,
        max_s=60.0,
        playable_s=None,
        sound_on=True,
        preferred_cuts_per_5s=(2.0, 4.0),
        min_short_edge_px=720,
        target_loudness_lufs=-14.0,
    ),
    "instagram": PlatformSpec(
        platform="instagram",
        spec_version="2025-01",
        display_name="Instagram Reels",
        target_aspect=VERTICAL,
        aspect_tolerance=0.05,
        suggested_min_s=15.0,
        suggested_max_s=30.0,
        max_s=90.0,
        playable_s=None,
        sound_on=True,
        preferred_cuts_per_5s=(1.5, 3.5),
        min_short_edge_px=720,
        target_loudness_lufs=-14.0,
    ),
    "youtube": PlatformSpec(
        platform="youtube",
        spec_version="2025-01",
        display_name="YouTube Shorts",
        target_aspect=VERTICAL,
        aspect_tolerance=0.05,
        suggested_min_s=15.0,
        suggested_max_s=45.0,
        max_s=180.0,
        # Shorts ads play only the first minute of a longer upload
        playable_s=60.0,
        sound_on=False,
        preferred_cuts_per_5s=(1.0, 3.0),
        min_short_edge_px=1080,
        target_loudness_lufs=-14.0,
    ),
}


def parse_platform(name: str) -> Platform:
    """The Platform for a name, case and surrounding spaces ignored; UnknownPlatform otherwise."""
    key = name.strip().lower() if isinstance(name, str) else name
    for platform in PLATFORMS:
        if key == platform:
            return platform
    raise UnknownPlatform(f"unknown platform {name!r}; valid platforms: {', '.join(PLATFORMS)}")


def platform_spec(name: str) -> PlatformSpec:
    """The current spec of a platform given by name."""
    return PLATFORM_SPECS[parse_platform(name)]
