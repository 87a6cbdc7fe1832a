"""The shot pass's 9:16 crop, encoded in a thread of its own while the pass decodes on.

Encoding in the decoding thread left both waiting on each other: x264's call blocks while its frame threads are
busy, and the decoder's frame threads then idle with their output unread (the pass used ~1.6 of 2 cores). Here
the pass hands frames over through a small queue; this thread alone touches the crop's filter graph, encoder and
MP4 (audio packets come through the same queue, so one thread muxes).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from av.video.frame import PictureType

from media.local_analyzer import SMALL_WIDTH, _VideoStats
from media.source import ENCODER_THREADS

# the crop is a deliverable encoded once for all its clips: x264's fastest preset, the old per-clip CRF
CROP_X264 = {"preset": "ultrafast", "crf": "23", "forced-idr": "1"}
KEYFRAME_EVERY_S = 2.0  # besides every shot's first frame: players seek in 2 s steps at worst
_CLOSE, _ABORT = object(), object()


class CropEncoder:
    """The crop's MP4 written by one thread: frames (an IDR where a shot starts), the source's audio copied."""

    def __init__(self, path: Path, video: Any, audio: Any, crop: tuple[int, int], size: tuple[int, int],
                 thumb_height: int, queued: int):  # fmt: skip
        self.failed = False
        self.stats = _VideoStats(SMALL_WIDTH, thumb_height)  # the crop's samples, as measure_video takes them
        self.packets: list[tuple[float, float, bool]] = []  # (dts, pts, keyframe) of the crop's video
        # no faststart: the index goes at the end, so the file only grows in order while it is written (it is
        # stored as it grows, storage.growing_upload) and is not rewritten whole at the end
        self.out = av.open(str(path), "w", format="mp4")
        try:
            self.graph = crop_graph(video, crop, size)
            rate = video.average_rate or Fraction(30)
            self.enc = self.out.add_stream("libx264", rate=rate, options=CROP_X264)
            self.enc.width, self.enc.height = size
            # frame threads, as the ffmpeg CLI has them: PyAV's default (slices) leaves half of x264 idle
            self.enc.pix_fmt, self.enc.codec_context.thread_type = "yuv420p", "AUTO"
            self.enc.codec_context.thread_count = ENCODER_THREADS
            self.enc.codec_context.time_base = video.time_base  # frames keep the source's timestamps
            self.enc.codec_context.gop_size = max(1, round(KEYFRAME_EVERY_S * float(rate)))
            self.audio = self.out.add_stream_from_template(audio) if audio is not None else None
        except BaseException:
            with contextlib.suppress(av.error.FFmpegError, ValueError):
                self.out.close()
            raise
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queued))
        self.thread = threading.Thread(target=self._run, name="crop-encoder", daemon=True)
        self.thread.start()

    def frame(self, frame: av.VideoFrame, shot_start: bool, sample_t: float | None) -> None:
        """Encode a frame (an IDR when a shot starts there); a sample's crop also goes into the crop's stats."""
        self.queue.put((frame, shot_start, sample_t))

    def audio_packet(self, packet: av.Packet) -> None:
        self.queue.put(packet)

    def close(self) -> bool:
        """Drain the encoder and finish the MP4 (its index at the end); whether the crop is whole."""
        self._end(_CLOSE)
        return not self.failed

    def abort(self) -> None:
        """Stop without finishing: the pass failed or was stopped, and the crop is thrown away."""
        self._end(_ABORT)

    def _end(self, how: object) -> None:
        if self.thread.is_alive():
            self.queue.put(how)
            self.thread.join()

    def _run(self) -> None:
        while (item := self.queue.get()) is not _ABORT:
            if item is _CLOSE:
                self._step(self._finish)
                return
            if not self.failed:  # after a failure the queue is still emptied: the pass never waits on a dead thread
                self._step(self._audio if isinstance(item, av.Packet) else self._encode, item)
        self._step(self.out.close)

    def _step(self, step: Any, *args: Any) -> None:
        """One step of the crop; if FFmpeg refuses it, the crop is dropped (its clips get re-encoded)."""
        try:
            step(*args)
        except (av.error.FFmpegError, ValueError):
            self.failed = True

    def _encode(self, item: tuple[av.VideoFrame, bool, float | None]) -> None:
        frame, shot_start, sample_t = item
        self.graph.push(frame)
        cropped = self.graph.pull()
        # a decoded frame keeps its source picture type, which x264 would obey: only shot starts are forced
        cropped.pict_type = PictureType.I if shot_start else PictureType.NONE
        self._mux(self.enc.encode(cropped))
        if sample_t is not None:
            self.stats.add(cropped, sample_t)

    def _audio(self, packet: av.Packet) -> None:
        if self.audio is not None:
            packet.stream = self.audio
            self.out.mux(packet)

    def _mux(self, packets: list[av.Packet]) -> None:
        """Write the crop's packets, noting their times and which are keyframes (where clips may start)."""
        for p in packets:
            if p.pts is not None and p.dts is not None:
                self.packets.append((float(p.dts * p.time_base), float(p.pts * p.time_base), p.is_keyframe))
            self.out.mux(p)

    def _finish(self) -> None:
        if not self.failed:
            self._mux(self.enc.encode(None))
        self.out.close()


def crop_graph(video: Any, crop: tuple[int, int], size: tuple[int, int]) -> Any:
    """A filter graph cropping the centre, scaled to size, square pixels, yuv420p."""
    graph = av.filter.Graph()
    chain = [graph.add_buffer(template=video), graph.add("crop", "{}:{}".format(*crop))]
    if size != crop:
        chain.append(graph.add("scale", "{}:{}".format(*size)))
    chain += [graph.add("setsar", "1"), graph.add("format", "yuv420p"), graph.add("buffersink")]
    graph.link_nodes(*chain).configure()
    return graph
