"""The local analyzer on synthetic sample ads: cuts and pacing, audio, faces, and unknowns left unknown."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from devstack.samples import CUT_SECONDS, SAMPLE_ADS, SampleAd, make_sample_video, make_test_video
from media import local_analyzer as la
from models.schemas.analysis import CreativeInsights, Frame, FrameLabel
from tests.support.drawn_face import drawn_face

# (sample ad, shortened duration): kept short so rendering all four takes a few seconds
CASES = {
    "fast": ("glow-serum-hook", 6.0),
    "medium": ("spf-routine-demo", 9.0),
    "medium-dark": ("invoice-app-pain", 9.0),  # mostly black: cuts live in below-black luma
    "slow": ("band-kit-review", 11.0),
}
TOLERANCE_S = 0.25
Ads = dict[str, tuple[SampleAd, Path]]
needs_haar = pytest.mark.skipif(
    not la.face_detector_available(), reason="this OpenCV (5.x) ships no Haar cascade; <5 does"
)


@pytest.fixture(scope="module")
def ads(tmp_path_factory: pytest.TempPathFactory) -> Ads:
    """The four sample ads rendered once for the module."""
    folder = tmp_path_factory.mktemp("ads")
    by_name = {ad.name: ad for ad in SAMPLE_ADS}
    rendered = {}
    for case, (name, duration) in CASES.items():
        ad = dataclasses.replace(by_name[name], duration_s=duration)
        rendered[case] = (ad, make_sample_video(ad, folder / f"{name}.mp4"))
    return rendered


def expected_cuts(pacing: str, duration: float) -> list[float]:
    """Where make_sample_video cuts, leaving out one in the last sample interval (nothing after it)."""
    step = CUT_SECONDS[pacing]
    return [k * step for k in range(1, int(duration / step) + 1) if k * step < duration - 0.2]


def frames_of(path: Path, at: list[float]) -> list[tuple[Frame, bytes]]:
    """Real frames as JPEG with dummy keys, like the frames activity stores them."""
    labels: list[FrameLabel] = ["hook", "body", "cta"]
    found: list[tuple[Frame, bytes]] = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if len(found) < len(at) and float(frame.time or 0.0) >= at[len(found)]:
                buffer = io.BytesIO()
                frame.to_image().save(buffer, format="JPEG", quality=85)
                jpeg, label = buffer.getvalue(), labels[len(found)]
                meta = Frame(
                    label=label, key=f"r2://frames/test/{label}.jpg", requested_s=at[len(found)],
                    timestamp_s=float(frame.time or 0.0), width=frame.width, height=frame.height,
                    sha256=hashlib.sha256(jpeg).hexdigest(),
                )  # fmt: skip
                found.append((meta, jpeg))
    return found


@pytest.mark.parametrize("case", list(CASES))
def test_cuts_and_pacing_match_the_rendered_edit(ads: Ads, case: str) -> None:
    ad, path = ads[case]
    m = la.measure_video(str(path))
    expected = expected_cuts(ad.pacing, ad.duration_s)
    for cut in expected:
        assert any(abs(cut - t) <= TOLERANCE_S for t in m.cut_times_s), (cut, m.cut_times_s)
    false_cuts = [t for t in m.cut_times_s if all(abs(cut - t) > TOLERANCE_S for cut in expected)]
    assert not false_cuts, (false_cuts, m.cut_times_s)
    assert la.pacing_label(m) == ad.pacing
    assert m.first_cut_s == m.cut_times_s[0]
    assert m.dynamic_start is (m.cut_times_s[0] < 3.0)
    assert m.duration_s == pytest.approx(ad.duration_s, abs=0.1)
    assert (m.width, m.height) == (ad.width, ad.height)
    assert m.has_audio and m.audio_rms_dbfs is not None and -30 < m.audio_rms_dbfs < -10
    assert 0 <= m.mean_brightness <= 1 and 0 <= m.mean_motion < la.MAX_MEASURABLE_MOTION


def test_dynamic_start_only_for_an_early_cut(ads: Ads) -> None:
    assert la.measure_video(str(ads["fast"][1])).dynamic_start
    assert not la.measure_video(str(ads["slow"][1])).dynamic_start


def test_video_without_audio(tmp_path: Path) -> None:
    m = la.measure_video(str(make_test_video(tmp_path / "mute.mp4", duration_s=2.0, audio=False)))
    assert not m.has_audio and m.audio_rms_dbfs is None
    assert m.cut_times_s == [] and la.pacing_label(m) == "slow"
    assert (m.width, m.height) == (320, 568)


def test_heartbeats_while_measuring(ads: Ads, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter(range(10_000))
    monkeypatch.setattr(la, "monotonic", lambda: float(next(clock)))  # every look is a second later
    beats: list[str] = []
    la.measure_video(str(ads["fast"][1]), heartbeat=beats.append)
    assert beats and beats[0].startswith("measuring video:")


def test_detect_cuts_floor_merging_and_intro() -> None:
    times = [i / 6 + 1 / 12 for i in range(60)]
    scores = [0.02] * 60
    scores[1] = 0.9  # 0.25 s: inside the intro, not an edit
    scores[20], scores[21] = 0.5, 0.8  # one transition over two samples: its stronger jump wins
    scores[40] = 0.3  # below the floor: a keyframe pulse, not a cut
    cuts, threshold = la.detect_cuts(times, scores)
    assert threshold == la.CUT_MIN_SCORE
    assert cuts == [round(times[21], 3)]


@pytest.mark.parametrize(("per_5s", "duration", "label"), [
    (6.9, 8.0, "fast"), (4.0, 8.0, "fast"), (3.9, 8.0, "medium"), (1.5, 8.0, "medium"),
    (1.4, 8.0, "slow"), (0.0, 8.0, "slow"), (9.0, 1.5, "unknown"),
])  # fmt: skip
def test_pacing_thresholds(per_5s: float, duration: float, label: str) -> None:
    assert la.pacing_label(la.VideoMeasurements(duration_s=duration, cuts_per_5s=per_5s)) == label


def test_churning_picture_has_unknown_pacing() -> None:
    m = la.VideoMeasurements(duration_s=8.0, cuts_per_5s=0.0, mean_motion=0.2)
    assert la.pacing_label(m) == "unknown"


@needs_haar
def test_no_face_in_a_test_pattern(ads: Ads) -> None:
    for _, jpeg in frames_of(ads["medium"][1], [0.0, 3.0, 6.0]):
        assert la.detect_faces(jpeg) == 0


@needs_haar
def test_a_drawn_face_is_found() -> None:
    frame = np.full((1280, 720), 60, np.uint8)
    frame[300:600, 200:500] = drawn_face(300)
    ok, jpeg = cv2.imencode(".jpg", frame)
    assert ok and la.detect_faces(jpeg.tobytes()) == 1


# a photographed face (public domain: NASA's portrait of Eileen Collins, as scikit-image ships it), its face box
PHOTO_FACE = Path(__file__).resolve().parent.parent / "support" / "astronaut_face.jpg"
PHOTO_FACE_WIDTH = 93


@needs_haar
@pytest.mark.parametrize("size", [(1920, 1080), (606, 1080)], ids=["16:9", "9:16"])
@pytest.mark.parametrize("share", [0.15, 0.25, 0.33])
def test_a_photographed_face_is_found_in_either_framing(size: tuple[int, int], share: float) -> None:
    """At 15-33 % of the short edge, on a busy background, blurred as a compressed video frame would be."""
    photo = cv2.imread(str(PHOTO_FACE), cv2.IMREAD_GRAYSCALE)
    assert photo is not None
    scale = share * min(size) / PHOTO_FACE_WIDTH
    photo = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    noise = np.random.default_rng(3).integers(0, 255, (size[1] // 8, size[0] // 8), dtype=np.uint8)
    frame = cv2.resize(noise, size, interpolation=cv2.INTER_LINEAR)
    top, left = (size[1] - photo.shape[0]) // 2, (size[0] - photo.shape[1]) // 3
    frame[top : top + photo.shape[0], left : left + photo.shape[1]] = photo
    ok, jpeg = cv2.imencode(".jpg", cv2.GaussianBlur(frame, (0, 0), 1.5))
    assert ok and la.detect_faces(jpeg.tobytes()) == 1


def test_undecodable_image_has_no_faces() -> None:
    if not la.face_detector_available():
        with pytest.raises(la.FaceDetectorUnavailable):
            la.detect_faces(b"not a jpeg")
    else:
        assert la.detect_faces(b"not a jpeg") == 0


def test_insights_are_valid_and_invent_nothing(ads: Ads) -> None:
    ad, path = ads["fast"]
    insights = la.analyze_locally(str(path), frames_of(path, [0.0, 3.0, 5.5]))
    assert CreativeInsights.model_validate(insights.model_dump()) == insights
    assert insights.pacing == "fast"
    assert (insights.hook_type, insights.emotion, insights.target_audience_pain) == ("unknown",) * 3
    assert insights.on_screen_text == [] and insights.cta_present is None and insights.cta_kind == "unknown"
    assert 0 < insights.confidence <= 0.5
    checked = la.face_detector_available()
    assert insights.face_present is (False if checked else None)
    assert insights.people_present is None  # no face found does not mean nobody is there
    assert insights.measurements["faces_checked"] is checked
    assert insights.measurements["cut_count"] == len(expected_cuts(ad.pacing, ad.duration_s))
    assert insights.measurements["has_audio"] is True
    assert all(isinstance(v, float | int | bool) or v is None for v in insights.measurements.values())
    assert insights.summary.startswith("6 s vertical video, fast pacing (8 cuts, first at 0.")
    assert "audio present" in insights.summary


def test_faces_found_make_people_present(ads: Ads, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(la, "face_detector_available", lambda: True)
    monkeypatch.setattr(la, "detect_faces", lambda jpeg: 1 if jpeg == b"face" else 0)
    m = la.VideoMeasurements(duration_s=18.0, cut_times_s=[0.7], cuts_per_5s=0.3, first_cut_s=0.7)
    real = frames_of(ads["fast"][1], [0.0, 3.0, 5.0])
    frames = [(frame, b"face" if frame.label == "hook" else b"") for frame, _ in real]
    insights = la.insights_from_measurements(m, frames)
    assert insights.face_present is True and insights.people_present is True
    assert insights.measurements["faces_hook"] == 1 and insights.measurements["faces_cta"] == 0
    assert "faces in hook frame" in insights.summary


def test_without_a_face_detector_faces_are_unknown(ads: Ads, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(la, "face_detector_available", lambda: False)
    m = la.VideoMeasurements(duration_s=8.0)
    insights = la.insights_from_measurements(m, frames_of(ads["fast"][1], [0.0]))
    assert insights.face_present is None and insights.people_present is None
    assert "faces not checked" in insights.summary and "no audio" in insights.summary
