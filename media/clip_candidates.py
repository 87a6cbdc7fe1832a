"""Which clips to cut, decided from the shot pass: spans from every shot start, scored as the clips would measure."""

from __future__ import annotations

from domain.clip_plan import DEFAULT_MAX_CANDIDATES, ClipPlan, ShotPass, copy_plan
from domain.clip_spread import possible_spans, prospects, spread_plans, vertical_size
from domain.rules import ClipFeatures
from media.clip_features import estimate_features


def plan_candidates(shots: ShotPass, limit: int, max_edge: int) -> list[ClipPlan]:
    """Up to limit spread-out candidates; where a framing's clips can be copied, only copyable ones. Scored with the
    pass's face checks of their openings (shots.opening_faces) where it made them."""

    def allowed(plan: ClipPlan) -> bool:
        if copy_plan(shots, plan.start_s, plan.end_s, plan.vertical_crop) is not None:
            return True
        # a framing no clip can be copied in is re-encoded clip by clip (as before); else the copies suffice
        return not (shots.vertical_keyframes_s if plan.vertical_crop else shots.source_packets)

    def estimate(plan: ClipPlan) -> ClipFeatures:
        samples = shots.vertical if plan.vertical_crop and shots.vertical is not None else shots.original
        size = vertical_size(shots.width, shots.height, max_edge) if plan.vertical_crop else _scaled(shots, max_edge)
        span, opening = (plan.start_s, plan.end_s), shots.face_at(plan.start_s, plan.vertical_crop)
        face = opening.face if opening is not None else None
        return estimate_features(samples, shots.loudness_blocks, span, size, shots.has_audio, face)

    spans = possible_spans(shots.cut_times_s, shots.duration_s)
    if not (shots.source_packets or shots.vertical_keyframes_s):
        # nothing can be copied (a rotated phone video, another codec): each clip is a re-encode of its span, so
        # the cap stays where re-encoded candidates always were
        limit = min(limit, DEFAULT_MAX_CANDIDATES)
    return spread_plans(prospects(spans, shots.width > shots.height, estimate, allowed), limit)


def _scaled(shots: ShotPass, max_edge: int) -> tuple[int, int]:
    """The original framing's size: a copy keeps the source's, a re-encode caps the long edge."""
    scale = min(1.0, max_edge / max(shots.width, shots.height))
    return int(shots.width * scale / 2) * 2, int(shots.height * scale / 2) * 2
