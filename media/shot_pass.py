"""One decode of a stored video: its shots, each pinned to its first frame, and a horizontal source's 9:16 crop."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from time import monotonic
from typing import Any

import av
from av.video.frame import PictureType

from domain.clip_plan import Samples, ShotPass
from domain.clip_spread import vertical_size
from media.clipping import Beat
from media.keyframes import is_idr, nal_length_size
from media.limits import FrameCounter, check_frame
from media.local_analyzer import (
    CUT_MIN_SCORE,
    SMALL_WIDTH,
    _VideoStats,
    detect_cuts,
)
from media.source import DECODER_THREAD_TYPE, ENCODER_THREADS, ShouldStop, check_stop, displayed_size, open_video
from models.schemas.media import MediaLimits

# the crop is a deliverable encoded once for all its clips: x264's fastest preset, the old per-clip CRF
CROP_X264 = {"preset": "ultrafast", "crf": "23", "forced-idr": "1"}
KEYFRAME_EVERY_S = 2.0  # besides every shot's first frame: players seek in 2 s steps at worst
# a source above this is re-encoded, not copied: clips this heavy are refused or recompressed by platforms
MAX_COPY_BITRATE = 20_000_000
MP4_AUDIO = {"aac", "mp3"}  # audio copied into the crop's MP4 as it is
SAMPLE_FPS = 6.0  # measure_video's default: the cut detector's thresholds are tuned to it
# decoded frames held until the next sample tells where a shot starts (~5 at 30 fps): a 4K source's keep their
# ~60 MB; past it (huge frames, timestamps that crawl) the oldest are encoded without waiting
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
) -> ShotPass:
    """One decode: measure_video's cuts, pinned to each shot's first frame; a horizontal source's crop encoded.

    Loudness is left to `loudness_blocks(loudness_source(...))`, so it can run while the crop uploads.
    """
    limits = limits or MediaLimits()
    with open_video(source, limits=limits) as (container, _video):
        state, last_beat = _Pass(container, crop_path, max_edge, 1.0 / SAMPLE_FPS, limits), monotonic()
        for packet in container.demux(*state.inputs):
            check_stop(should_stop)
            state.add(packet)
            if heartbeat is not None and monotonic() - last_beat >= 1.0:
                last_beat = monotonic()
                heartbeat(f"finding shots: {state.last_time:.0f}s of {state.duration:.0f}s")
        return state.finish()


class _Pass:
    """One decode's state: samples, the frames since the last sample, the crop's encoder and the audio copy."""

    def __init__(
        self, container: av.container.InputContainer, crop_path: Path, max_edge: int, step: float, limits: MediaLimits
    ):
        self.video = container.streams.video[0]
        self.video.thread_type = DECODER_THREAD_TYPE
        self.audio = container.streams.audio[0] if container.streams.audio else None
        self.inputs = [s for s in (self.video, self.audio) if s is not None]
        w, h = self.video.codec_context.width, self.video.codec_context.height
        self.stats = _VideoStats(SMALL_WIDTH, _thumb_height(w, h))
        self.crop_stats: _VideoStats | None = None
        self.times: list[float] = []
        self.pending: list[av.VideoFrame] = []  # decoded since the last sample, not yet encoded
        self.max_pending, self.limits, self.frames = MAX_PENDING_FRAMES, limits, FrameCounter(limits)
        self.previous: av.VideoFrame | None = None  # the last sample
        self.first_frame: dict[int, float] = {}  # sample pair → time of the first frame after its jump
        self.crop_path, self.max_edge, self.step, self.next_t, self.last_time = crop_path, max_edge, step, 0.0, 0.0
        self.out: Any = None
        self.held: list[av.Packet] | None = []  # audio demuxed before the first frame decides the outputs
        self.source_packets: list[tuple[float, float]] = []
        self.source_idrs: list[float] = []
        self.open_gop = False
        cc = self.video.codec_context
        self.nal_length = nal_length_size(cc.extradata) if cc.name == "h264" else None
        self.crop_packets: list[tuple[float, float, bool]] = []
        tb = self.video.time_base
        duration = float(self.video.duration * tb) if self.video.duration and tb else 0.0
        self.duration = duration or (container.duration or 0) / 1_000_000
        self.rotation, self.audio_packets, self.copyable = 0, 0, False
        self.bit_rate, self.start_time = self.video.bit_rate or container.bit_rate or 0, container.start_time or 0
        self.graph: Any = None
        self.enc: Any = None
        self.out_audio: Any = None

    def add(self, packet: av.Packet) -> None:
        """One demuxed packet: audio is copied (or held), video decoded, sampled, and cropped."""
        if packet.stream is self.audio:
            self.audio_packets += packet.dts is not None
            if self.held is not None and packet.dts is not None:
                self.held.append(packet)
            elif self.out is not None and self.out_audio is not None and packet.dts is not None:
                packet.stream = self.out_audio
                self._guard(self.out.mux, packet)
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
            self._start(frame)
        self.pending.append(frame)
        while len(self.pending) > self.max_pending:  # bounded: the oldest go to the crop's encoder now
            oldest = self.pending.pop(0)
            if self.out is not None:
                self._guard(self._encode_one, oldest, False)
        if t + 1e-3 < self.next_t:
            return  # decoded (inter frames need it), encoded, never sampled
        self.next_t, self.last_time = max(self.next_t + self.step, t + self.step / 2), t
        self.times.append(t)
        self.stats.add(frame, t)
        first = None
        if self.previous is not None and self.stats.scores[-1] > CUT_MIN_SCORE:  # a cut candidate
            first = self._first_of_shot(self.previous)
            self.first_frame[len(self.stats.scores) - 1] = round(float(first.time or t), 3)
        cropped = self._guard(self._encode, first)
        if self.crop_stats is not None and cropped is not None:
            self.crop_stats.add(cropped, t)
        self.previous = frame

    def _first_of_shot(self, previous: av.VideoFrame) -> av.VideoFrame:
        """The frame since the previous sample that the histogram jump happens at: where the new shot starts."""
        frames = [previous, *self.pending]
        probe = _VideoStats(*self.stats.size)
        for f in frames:
            probe.add(f, 0.0)
        return frames[1 + max(range(len(probe.scores)), key=probe.scores.__getitem__)]

    def _start(self, frame: av.VideoFrame) -> None:
        """At the first frame (it tells the rotation): open the crop's encoder and the audio copy."""
        held, self.held = self.held or [], None
        cc, self.rotation = self.video.codec_context, int(frame.rotation or 0)
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
        self.crop_stats = _VideoStats(SMALL_WIDTH, _thumb_height(*size))
        self._guard(self._open, (cw, ch), size, held)

    def _open(self, crop: tuple[int, int], size: tuple[int, int], held: list[av.Packet]) -> None:
        """The crop's MP4: its H.264 encoder and the source's audio, with what was held until now."""
        self.out = av.open(str(self.crop_path), "w", format="mp4", options={"movflags": "+faststart"})
        self.graph = av_graph(self.video, crop, size)
        rate = self.video.average_rate or Fraction(30)
        self.enc = self.out.add_stream("libx264", rate=rate, options=CROP_X264)
        self.enc.width, self.enc.height = size
        # frame threads, as the ffmpeg CLI has them: PyAV's default (slices) leaves half of x264 idle
        self.enc.pix_fmt, self.enc.codec_context.thread_type = "yuv420p", "AUTO"
        self.enc.codec_context.thread_count = ENCODER_THREADS
        self.enc.codec_context.time_base = self.video.time_base  # frames keep the source's timestamps
        self.enc.codec_context.gop_size = max(1, round(KEYFRAME_EVERY_S * float(rate)))
        self.out_audio = self.out.add_stream_from_template(self.audio) if self.audio is not None else None
        for packet in held:
            packet.stream = self.out_audio
            self.out.mux(packet)

    def _guard(self, step: Any, *args: Any) -> Any:
        """Run a step of the crop; if FFmpeg refuses it, drop the crop (its clips get re-encoded) and go on."""
        try:
            return step(*args)
        except (av.error.FFmpegError, ValueError):
            self.out, self.crop_stats, self.crop_packets = None, None, []
            return None

    def _encode(self, first: av.VideoFrame | None) -> av.VideoFrame | None:
        """Crop and encode the pending frames, an IDR at a shot's first; the last one cropped."""
        cropped = None
        for frame in self.pending:
            if self.out is None:
                break
            cropped = self._encode_one(frame, frame is first)
        self.pending.clear()
        return cropped

    def _encode_one(self, frame: av.VideoFrame, shot_start: bool) -> av.VideoFrame:
        """Crop and encode one frame; the cropped frame."""
        self.graph.push(frame)
        cropped = self.graph.pull()
        # a decoded frame keeps its source picture type, which x264 would obey: only shot starts are forced
        cropped.pict_type = PictureType.I if shot_start else PictureType.NONE
        self._mux(self.enc.encode(cropped))
        return cropped

    def _mux(self, packets: list[av.Packet]) -> None:
        """Write the crop's packets, noting their times and which are keyframes (where clips may start)."""
        for p in packets:
            if p.pts is not None and p.dts is not None:
                self.crop_packets.append((float(p.dts * p.time_base), float(p.pts * p.time_base), p.is_keyframe))
            self.out.mux(p)

    def _close(self) -> None:
        """Drain the encoder and finish the MP4 (faststart moves its index to the front)."""
        if self.out is not None:
            self._mux(self.enc.encode(None))
            self.out.close()

    def finish(self) -> ShotPass:
        """Flush the encoder and find the cuts."""
        self._guard(self._encode, None)
        self._guard(self._close)
        w, h = displayed_size(self.video.codec_context.width, self.video.codec_context.height, self.rotation)
        cuts, _ = detect_cuts(self.stats.pair_times, self.stats.scores)
        by_time = {round(self.stats.pair_times[i], 3): t for i, t in self.first_frame.items()}
        audio = self.audio_packets > 0

        def samples(stats: Any) -> Samples:
            return Samples(times=self.times, scores=stats.scores, diffs=stats.diffs)

        return ShotPass(
            duration_s=round(self.duration or self.last_time + self.step, 3), width=w, height=h,
            cut_times_s=[by_time.get(c, c) for c in cuts], original=samples(self.stats),
            vertical=samples(self.crop_stats) if self.crop_stats is not None else None,
            source_packets=self.source_packets if self.copyable else [],
            source_keyframes_s=self.source_idrs if self.copyable and not self.open_gop else [],
            vertical_packets=[(d, p) for d, p, _ in self.crop_packets],
            vertical_keyframes_s=[round(p, 3) for _, p, key in self.crop_packets if key],
            has_audio=audio, audio_is_aac=audio and self.audio is not None and self.audio.codec_context.name == "aac",
        )  # fmt: skip


def loudness_source(shots: ShotPass, crop_path: Path, source: str) -> str:
    """Where to measure loudness: the local crop carries the source's audio, else the source itself."""
    return str(crop_path) if shots.vertical_keyframes_s else source


def _thumb_height(width: int, height: int) -> int:
    """measure_video's thumbnail height for a 64-px-wide luma thumbnail."""
    return max(8, round(SMALL_WIDTH * height / max(width, 1) / 2) * 2)


def av_graph(video: Any, crop: tuple[int, int], size: tuple[int, int]) -> Any:
    """A filter graph cropping the centre, scaled to size, square pixels, yuv420p."""
    graph = av.filter.Graph()
    chain = [graph.add_buffer(template=video), graph.add("crop", "{}:{}".format(*crop))]
    if size != crop:
        chain.append(graph.add("scale", "{}:{}".format(*size)))
    chain += [graph.add("setsar", "1"), graph.add("format", "yuv420p"), graph.add("buffersink")]
    graph.link_nodes(*chain).configure()
    return graph
