"""A clip's features from the shot pass's samples over its span (no second decode of the source)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av

from domain.clip_plan import Samples, span_loudness, span_pairs
from domain.rules import ClipFeatures
from media.clipping import face_in_first_seconds
from media.faces import FACE_INSTANTS_S
from media.local_analyzer import DYNAMIC_START_S, VideoMeasurements, detect_cuts, pacing_label
from media.source import OPEN_TIMEOUT_S

# clips of one video that share a start and framing share their first seconds: one face search serves them all
_FACES: dict[tuple[str, float, bool], bool | None] = {}
FACES_KEPT = 1024


def span_features(
    path: Path,
    samples: Samples,
    blocks: Any,
    span: tuple[float, float],
    face_key: tuple[str, float, bool] | None = None,
    seen_face: bool | None = None,
) -> ClipFeatures:
    """A clip's features from its file's size and length and the source's samples and loudness over its span;
    the face check's answer is the pass's for its opening (`seen_face`), else from the clip's own first seconds."""
    with av.open(str(path), timeout=OPEN_TIMEOUT_S) as container:
        video, has_audio = container.streams.video[0], bool(container.streams.audio)
        duration = float(video.duration * video.time_base) if video.duration and video.time_base else 0.0
        width, height = video.codec_context.width, video.codec_context.height
    start, end = span[0], min(span[1], span[0] + duration)
    # a clip under 1.6 s looks at other instants than a longer one from the same start
    long_enough = duration >= max(FACE_INSTANTS_S) + 0.1
    face = seen_face if long_enough and seen_face is not None else _face(path, face_key if long_enough else None)
    return estimate_features(samples, blocks, (start, end), (width, height), has_audio, face)


def estimate_features(
    samples: Samples,
    blocks: Any,
    span: tuple[float, float],
    size: tuple[int, int],
    has_audio: bool,
    face: bool | None = None,
) -> ClipFeatures:
    """What a clip of the span would measure, from the source's samples and loudness blocks alone (no file)."""
    start, end = span
    duration = end - start
    pairs = span_pairs(samples.times, start, end)
    # the clip's own time and its own threshold, as measure_video would see the clip
    mids = [(samples.times[i] + samples.times[i + 1]) / 2 - start for i in pairs]
    cuts, threshold = detect_cuts(mids, [samples.scores[i] for i in pairs])
    still = [samples.diffs[i] for i in pairs if samples.scores[i] <= threshold]
    m = VideoMeasurements(
        duration_s=round(duration, 3), cuts_per_5s=round(len(cuts) * 5.0 / max(duration, 1e-3), 3),
        mean_motion=sum(still) / len(still) if still else 0.0,
    )  # fmt: skip
    pacing = pacing_label(m)
    return ClipFeatures(
        duration_s=m.duration_s, width=size[0], height=size[1], has_audio=has_audio,
        cuts_per_5s=m.cuts_per_5s, dynamic_start=bool(cuts) and cuts[0] < DYNAMIC_START_S,
        face_in_first_seconds=face, loudness_lufs=span_loudness(blocks, start, end) if has_audio and blocks else None,
        pacing=None if pacing == "unknown" else pacing,
    )  # fmt: skip


def _face(path: Path, key: tuple[str, float, bool] | None) -> bool | None:
    """face_in_first_seconds of the clip, or of an earlier clip with the same key."""
    if key is not None and key in _FACES:
        return _FACES[key]
    face = face_in_first_seconds(path)
    if key is not None:
        if len(_FACES) >= FACES_KEPT:
            _FACES.clear()
        _FACES[key] = face
    return face
