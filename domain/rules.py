"""Rule Engine 2.0: a clip's fit to a platform spec and its pattern's evidence, as a weighted score in [0, 1]."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from domain.platforms import Platform, PlatformSpec, platform_spec
from domain.posterior import BetaPosterior

# log-distance from 9:16 to 16:9: a landscape clip on a vertical placement scores 0
ASPECT_ZERO_AT = math.log((16 / 9) / (9 / 16))
# within ±3 LU of the target nobody hears a difference; 15 LU off is unusable
LOUDNESS_FULL_LU = 3.0
LOUDNESS_ZERO_LU = 15.0
# a sound-off placement still gains a little from sound, so silence is only half as good there
SILENT_ON_SOUND_OFF = 0.5
# pseudo-clicks at which a pattern's evidence moves the term halfway from 0.5 to its full value
CVR_HALF_STRENGTH = 100.0
NEUTRAL = 0.5
DEFAULT_WEIGHTS_VERSION = 1


class ClipFeatures(BaseModel):
    """What the analysis measured about one clip."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    duration_s: float = Field(gt=0, allow_inf_nan=False)
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    has_audio: bool
    cuts_per_5s: float = Field(ge=0, allow_inf_nan=False)
    dynamic_start: bool
    face_in_first_seconds: bool | None = None
    loudness_lufs: float | None = Field(default=None, allow_inf_nan=False)
    hook_type: str | None = None
    emotion: str | None = None
    pacing: str | None = None

    @property
    def aspect_ratio(self) -> float:
        """Width over height."""
        return self.width / self.height


@dataclass(frozen=True)
class Score:
    total: float
    breakdown: dict[str, float]
    weights_version: int
    spec_version: str
    platform: Platform


def aspect_fit(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 within the tolerance of the target shape, falling linearly (in log ratio) to 0 at the opposite."""
    distance = abs(math.log(features.aspect_ratio / spec.target_aspect))
    slack = math.log1p(spec.aspect_tolerance)
    if distance <= slack:
        return 1.0
    return _clamp(1.0 - (distance - slack) / (ASPECT_ZERO_AT - slack))


def duration_fit(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 in the suggested window, rising from 0 s, decaying to 0 at the hard max; unplayed seconds count 0."""
    d = features.duration_s
    if d < spec.suggested_min_s:
        fit = d / spec.suggested_min_s
    elif d <= spec.suggested_max_s:
        fit = 1.0
    else:
        # no hard limit: assume attention is gone at twice the suggested length
        end = spec.max_s if spec.max_s is not None else 2 * spec.suggested_max_s
        fit = 0.0 if d >= end else 1.0 - (d - spec.suggested_max_s) / (end - spec.suggested_max_s)
    if spec.playable_s is not None and d > spec.playable_s:
        fit *= spec.playable_s / d
    return _clamp(fit)


def resolution(features: ClipFeatures, spec: PlatformSpec) -> float:
    """Short edge over the platform's minimum, capped at 1 (the placement upscales what is smaller)."""
    return _clamp(min(features.width, features.height) / spec.min_short_edge_px)


def audio(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 with sound; a silent clip gets 0 where viewers listen by default, half where they do not."""
    if features.has_audio:
        return 1.0
    return 0.0 if spec.sound_on else SILENT_ON_SOUND_OFF


def pacing(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 inside the preferred cuts per 5 s; slower falls linearly to 0 at no cuts, faster as high/cuts."""
    low, high = spec.preferred_cuts_per_5s
    cuts = features.cuts_per_5s
    if cuts < low:
        return _clamp(cuts / low)
    if cuts > high:
        return _clamp(high / cuts)
    return 1.0


def dynamic_start(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 when something moves in the first second, else 0."""
    return 1.0 if features.dynamic_start else 0.0


def face_early(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 for a face in the first seconds, 0 for none, 0.5 when the analysis could not tell."""
    if features.face_in_first_seconds is None:
        return NEUTRAL
    return 1.0 if features.face_in_first_seconds else 0.0


def loudness(features: ClipFeatures, spec: PlatformSpec) -> float:
    """1 within ±3 LU of the target, linear to 0 at 15 LU off; 0.5 unknown or silent (audio judges that)."""
    if features.loudness_lufs is None or not features.has_audio:
        return NEUTRAL
    off = abs(features.loudness_lufs - spec.target_loudness_lufs)
    return _clamp(1.0 - (off - LOUDNESS_FULL_LU) / (LOUDNESS_ZERO_LU - LOUDNESS_FULL_LU))


def expected_cvr_fit(posterior: BetaPosterior | None, baseline_cvr: float | None) -> float:
    """mean/(mean + baseline), shrunk toward 0.5 by s/(s + 100) for evidence strength s; 0.5 without any."""
    if posterior is None:
        return NEUTRAL
    if baseline_cvr is None or not (math.isfinite(baseline_cvr) and 0.0 < baseline_cvr <= 1.0):
        raise ValueError("baseline_cvr in (0, 1] is required with a posterior")
    relative = posterior.mean / (posterior.mean + baseline_cvr)
    confidence = posterior.strength / (posterior.strength + CVR_HALF_STRENGTH)
    return _clamp(NEUTRAL + confidence * (relative - NEUTRAL))


FEATURE_TERMS: dict[str, Callable[[ClipFeatures, PlatformSpec], float]] = {
    "aspect_fit": aspect_fit,
    "duration_fit": duration_fit,
    "resolution": resolution,
    "audio": audio,
    "pacing": pacing,
    "dynamic_start": dynamic_start,
    "face_early": face_early,
    "loudness": loudness,
}
TERMS: tuple[str, ...] = (*FEATURE_TERMS, "expected_cvr")

# version 1, seeded into the versioned weights table by the migration: a shared base, each platform's emphasis
_BASE_WEIGHTS_V1 = {
    "aspect_fit": 1.0,
    "duration_fit": 1.0,
    "resolution": 1.0,
    "audio": 1.0,
    "pacing": 1.0,
    "dynamic_start": 1.0,
    "face_early": 1.0,
    "loudness": 0.5,
    "expected_cvr": 2.0,
}
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    # sound-on, swipe-fast feed: the hook, the cuts and the audio decide
    "tiktok": {**_BASE_WEIGHTS_V1, "resolution": 0.5, "audio": 1.5, "pacing": 1.5, "dynamic_start": 1.5},
    "instagram": {**_BASE_WEIGHTS_V1, "resolution": 0.75},
    # only the first minute plays, on a large player, often muted: duration and resolution weigh most
    "youtube": {**_BASE_WEIGHTS_V1, "duration_fit": 1.5, "audio": 0.5, "pacing": 0.75, "face_early": 0.75},
}


@dataclass(frozen=True)
class Weights:
    """One version of a platform's term weights; a missing term weighs 0."""

    version: int
    terms: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a private copy, so the caller's dict changing later cannot change a validated table
        object.__setattr__(self, "terms", dict(self.terms))
        validate_weights(self)


def validate_weights(weights: Weights) -> None:
    """Refuse a version below 1, unknown terms, non-finite or negative weights, or all weights zero."""
    if isinstance(weights.version, bool) or not isinstance(weights.version, int) or weights.version < 1:
        raise ValueError("weights version must be a positive integer")
    unknown = sorted(set(weights.terms) - set(TERMS))
    if unknown:
        raise ValueError(f"unknown weight terms {unknown}; valid terms: {', '.join(TERMS)}")
    for name, value in weights.terms.items():
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"weight {name!r} must be a finite non-negative number")
    if not any(value > 0 for value in weights.terms.values()):
        raise ValueError("at least one weight must be positive")


def default_weights(platform: str) -> Weights:
    """Version 1 of a platform's weights."""
    return Weights(DEFAULT_WEIGHTS_VERSION, DEFAULT_WEIGHTS[platform_spec(platform).platform])


def evaluate_clip(
    features: ClipFeatures,
    platform: Platform,
    weights: Weights,
    expected_cvr: BetaPosterior | None = None,
    baseline_cvr: float | None = None,
) -> Score:
    """Every term in the breakdown; total = Σ wᵢ·termᵢ / Σ wᵢ over the positively weighted terms."""
    spec = platform_spec(platform)
    validate_weights(weights)
    breakdown = {name: term(features, spec) for name, term in FEATURE_TERMS.items()}
    breakdown["expected_cvr"] = expected_cvr_fit(expected_cvr, baseline_cvr)
    # relative to the largest weight, so tiny or huge weights neither underflow nor overflow the sums
    largest = max(weights.terms.values())
    used = {name: w / largest for name, w in weights.terms.items() if w > 0}
    total = sum(w * breakdown[name] for name, w in used.items()) / sum(used.values())
    return Score(
        total=_clamp(total),
        breakdown=breakdown,
        weights_version=weights.version,
        spec_version=spec.spec_version,
        platform=spec.platform,
    )


def ranked(scored: Sequence[tuple[str, Score]]) -> list[tuple[str, Score]]:
    """Best first: the highest total; ties go to higher expected_cvr, then the smallest id (stable order)."""
    return sorted(scored, key=lambda item: (-item[1].total, -item[1].breakdown.get("expected_cvr", NEUTRAL), item[0]))


def best_of(scored: Sequence[tuple[str, Score]]) -> str:
    """The id ranked first by `ranked`."""
    if not scored:
        raise ValueError("best_of needs at least one scored clip")
    return ranked(scored)[0][0]


def _clamp(value: float) -> float:
    """Into [0, 1], against float rounding at the edges."""
    return min(1.0, max(0.0, value))
