"""One decode of a stored video: its shots, each pinned to its first frame, and a horizontal source's 9:16 crop."""

from __future__ import annotations

from pathlib import Path
from time import monotonic
from typing import Any

import av

from domain.clip_plan import Samples, ShotPass
from domain.clip_spread import vertical_size
from media.clipping import Beat
from media.crop_encoder import CropEncoder
from media.face_frames import FaceFrames
from media.keyframes import is_idr, nal_length_size
from media.limits import FrameCounter, check_frame
from media.local_analyzer import CUT_MIN_SCORE, SMALL_WIDTH, _VideoStats, detect_cuts
from media.source import (
    ShouldStop,
    check_stop,
    displayed_size,
    open_video,
    parked_frame_threads,
    pass_decoder_threads,
)
from models.schemas.media import MediaLimits

# a source above this is re-encoded, not copied: clips this heavy are refused or recompressed by platforms
MAX_COPY_BITRATE = 20_000_000
MP4_AUDIO = {"aac", "mp3"}  # audio copied into the crop's MP4 as it is
SAMPLE_FPS = 6.0  # measure_video's default: the cut detector's thresholds are tuned to it
# decoded frames held until the next sample tells where a shot starts (~5 at 30 fps), and as many again queued
# for the crop's encoder: a 4K source's keep ~60 MB each; past it (huge frames, timestamps that crawl) the oldest
# are encoded without waiting
PENDING_BYTES = 64 * 1024 * 1024
MAX_PENDING_FRAMES = 32


def shot_pass(
    source: str,
    crop_path: Path,
    max_edge: int,
    heartbeat: Beat = None,
    *,
    limits: MediaLimits | None = None,
    should_stop: ShouldStop = None,
    faces: FaceFrames | None = None,
) -> ShotPass:
    """One decode: measure_video's cuts, pinned to each shot's first frame; a horizontal source's crop encoded;
    into `faces` (when given) the frames a clip opening on each shot would show at the face instants.

    Loudness is left to `loudness_blocks(loudness_source(...))`, so it can run while the crop uploads.
    """
    limits = limits or MediaLimits()
    with open_video(source, limits=limits) as (container, video):
        state, last_beat = _Pass(container, crop_path, max_edge, 1.0 / SAMPLE_FPS, limits, faces), monotonic()
        try:
            cc = video.codec_context
            bits = cc.format.components[0].bits if cc.format is not None and cc.format.components else 8
            with parked_frame_threads(video, pass_decoder_threads(cc.width, cc.height, bits)):
                for packet in container.demux(*state.inputs):
                    check_stop(should_stop)
                    state.add(packet)
                    if heartbeat is not None and monotonic() - last_beat >= 1.0:
                        last_beat = monotonic()
                        heartbeat(f"finding shots: {state.last_time:.0f}s of {state.duration:.0f}s")
            return state.finish()
        finally:
            if state.crop is not None:
                state.crop.abort()  # nothing left to do after finish; after a failure, the thread must not linger


class _Pass:
    """One decode's state: samples, the frames since the last sample, and the crop's encoder."""

    def __init__(
        self,
        container: av.container.InputContainer,
        crop_path: Path,
        max_edge: int,
        step: float,
        limits: MediaLimits,
        faces: FaceFrames | None,
    ):
        self.video = container.streams.video[0]
        self.faces = faces
        self.audio = container.streams.audio[0] if container.streams.audio else None
        self.inputs = [s for s in (self.video, self.audio) if s is not None]
        w, h = self.video.codec_context.width, self.video.codec_context.height
        self.stats = _VideoStats(SMALL_WIDTH, _thumb_height(w, h))
        self.times: list[float] = []
        self.pending: list[av.VideoFrame] = []  # decoded since the last sample, not yet sent to the crop
        self.max_pending, self.limits, self.frames = MAX_PENDING_FRAMES, limits, FrameCounter(limits)
        self.previous: av.VideoFrame | None = None  # the last sample
        self.first_frame: dict[int, float] = {}  # sample pair → time of the first frame after its jump
        self.crop_path, self.max_edge, self.step, self.next_t, self.last_time = crop_path, max_edge, step, 0.0, 0.0
        self.crop: CropEncoder | None = None
        self.held: list[av.Packet] | None = []  # audio demuxed before the first frame decides the outputs
        self.source_packets: list[tuple[float, float]] = []
        self.source_idrs: list[float] = []
        self.open_gop = False
        cc = self.video.codec_context
        self.nal_length = nal_length_size(cc.extradata) if cc.name == "h264" else None
        tb = self.video.time_base
        duration = float(self.video.duration * tb) if self.video.duration and tb else 0.0
        self.duration = duration or (container.duration or 0) / 1_000_000
        self.rotation, self.audio_packets, self.copyable = 0, 0, False
        self.bit_rate, self.start_time = self.video.bit_rate or container.bit_rate or 0, container.start_time or 0

    @property
    def live_crop(self) -> CropEncoder | None:
        """The crop's encoder while it still takes frames (None: no crop, or FFmpeg refused it)."""
        return self.crop if self.crop is not None and not self.crop.failed else None

    def add(self, packet: av.Packet) -> None:
        """One demuxed packet: audio is copied (or held), video decoded, sampled, and cropped."""
        if packet.stream is self.audio:
            self.audio_packets += packet.dts is not None
            if self.held is not None and packet.dts is not None:
                self.held.append(packet)
            elif (crop := self.live_crop) is not None and packet.dts is not None:
                crop.audio_packet(packet)
            return
        if packet.dts is not None and packet.pts is not None:
            self.source_packets.append((float(packet.dts * packet.time_base), float(packet.pts * packet.time_base)))
            if packet.is_keyframe and self.nal_length is not None:
                if is_idr(bytes(packet), self.nal_length):
                    self.source_idrs.append(round(float(packet.pts * packet.time_base), 3))
                else:  # open GOPs: a seek may land on this I picture, whose leading B-frames need the GOP before
                    self.open_gop = True
        for frame in packet.decode():
            check_frame(frame, self.limits)
            self.frames.add()
            if frame.time is not None:
                self._frame(frame, float(frame.time))

    def _frame(self, frame: av.VideoFrame, t: float) -> None:
        """A decoded frame: pending for the crop, and about six times a second a sample that may show a cut."""
        if self.held is not None:
            self._start(frame, t)
        if self.faces is not None and self.faces.wants(t):
            self.faces.add(t, frame.to_ndarray(format="gray"))
        self.pending.append(frame)
        while len(self.pending) > self.max_pending:  # bounded: the oldest go to the crop's encoder now
            self._to_crop(self.pending.pop(0), False, None)
        if t + 1e-3 < self.next_t:
            return  # decoded (inter frames need it), encoded, never sampled
        self.next_t, self.last_time = max(self.next_t + self.step, t + self.step / 2), t
        self.times.append(t)
        self.stats.add(frame, t)
        first = None
        if self.previous is not None and self.stats.scores[-1] > CUT_MIN_SCORE:  # a cut candidate
            first = self._first_of_shot(self.previous)
            opening = round(float(first.time or t), 3)
            self.first_frame[len(self.stats.scores) - 1] = opening
            if self.faces is not None:
                self.faces.open(opening, opening)
        for pending in self.pending:  # the crop's IDR on the shot's first frame; the sample into its stats
            self._to_crop(pending, pending is first, t if pending is frame else None)
        self.pending.clear()
        self.previous = frame

    def _to_crop(self, frame: av.VideoFrame, shot_start: bool, sample_t: float | None) -> None:
        if (crop := self.live_crop) is not None:
            crop.frame(frame, shot_start, sample_t)

    def _first_of_shot(self, previous: av.VideoFrame) -> av.VideoFrame:
        """The frame since the previous sample that the histogram jump happens at: where the new shot starts."""
        frames = [previous, *self.pending]
        probe = _VideoStats(*self.stats.size)
        for f in frames:
            probe.add(f, 0.0)
        return frames[1 + max(range(len(probe.scores)), key=probe.scores.__getitem__)]

    def _start(self, frame: av.VideoFrame, t: float) -> None:
        """At the first frame (it tells the rotation): open the crop's encoder and the audio copy."""
        held, self.held = self.held or [], None
        cc, self.rotation = self.video.codec_context, int(frame.rotation or 0)
        if self.rotation:  # the face frames are kept as stored, so only for upright sources
            self.faces = None
        if self.faces is not None:
            self.faces.open(0.0, t)  # clips from the start open on the first frame, whatever its time
        frame_bytes = sum(plane.buffer_size for plane in frame.planes)
        self.max_pending = max(2, min(MAX_PENDING_FRAMES, PENDING_BYTES // max(frame_bytes, 1)))
        w, h, sar = cc.width, cc.height, cc.sample_aspect_ratio
        # the source is already a fit original clip: H.264 4:2:0 within 1920 px, square pixels, upright, time 0
        pix_fmt = cc.format.name if cc.format is not None else None
        self.copyable = (cc.name == "h264" and pix_fmt == "yuv420p" and self.rotation == 0 and not self.start_time
                         and max(w, h) <= self.max_edge and w % 2 == h % 2 == 0 and sar in (None, 0, 1)
                         and self.bit_rate <= MAX_COPY_BITRATE)  # fmt: skip
        audio_ok = self.audio is None or self.audio.codec_context.name in MP4_AUDIO
        if not (w > h and self.rotation == 0 and audio_ok):
            return  # no crop: vertical sources need none; the rest are re-encoded clip by clip as before
        cw, ch = int(min(w, h * 9 / 16) / 2) * 2, int(min(h, w * 16 / 9) / 2) * 2  # clip_filter's crop
        size = vertical_size(w, h, self.max_edge)
        try:
            self.crop = CropEncoder(self.crop_path, self.video, self.audio, (cw, ch), size, _thumb_height(*size),
                                    self.max_pending)  # fmt: skip
        except (av.error.FFmpegError, ValueError):
            return  # FFmpeg refused the crop: its clips get re-encoded
        for packet in held:
            self.crop.audio_packet(packet)
        if self.faces is not None:
            self.faces.crop = (cw, ch)

    def finish(self) -> ShotPass:
        """Flush the crop's encoder and find the cuts."""
        for pending in self.pending:
            self._to_crop(pending, False, None)
        self.pending.clear()
        crop = self.crop if self.crop is not None and self.crop.close() else None  # None unless whole
        w, h = displayed_size(self.video.codec_context.width, self.video.codec_context.height, self.rotation)
        cuts, _ = detect_cuts(self.stats.pair_times, self.stats.scores)
        by_time = {round(self.stats.pair_times[i], 3): t for i, t in self.first_frame.items()}
        audio = self.audio_packets > 0
        crop_packets = crop.packets if crop is not None else []

        def samples(stats: Any) -> Samples:
            return Samples(times=self.times, scores=stats.scores, diffs=stats.diffs)

        return ShotPass(
            duration_s=round(self.duration or self.last_time + self.step, 3), width=w, height=h,
            cut_times_s=[by_time.get(c, c) for c in cuts], original=samples(self.stats),
            vertical=samples(crop.stats) if crop is not None else None,
            source_packets=self.source_packets if self.copyable else [],
            source_keyframes_s=self.source_idrs if self.copyable and not self.open_gop else [],
            vertical_packets=[(d, p) for d, p, _ in crop_packets],
            vertical_keyframes_s=[round(p, 3) for _, p, key in crop_packets if key],
            has_audio=audio, audio_is_aac=audio and self.audio is not None and self.audio.codec_context.name == "aac",
        )  # fmt: skip


def loudness_source(shots: ShotPass, crop_path: Path, source: str) -> str:
    """Where to measure loudness: the local crop carries the source's audio, else the source itself."""
    return str(crop_path) if shots.vertical_keyframes_s else source


def _thumb_height(width: int, height: int) -> int:
    """measure_video's thumbnail height for a 64-px-wide luma thumbnail."""
    return max(8, round(SMALL_WIDTH * height / max(width, 1) / 2) * 2)
