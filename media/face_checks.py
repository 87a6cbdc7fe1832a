"""Face checks on a thread of the lowest CPU priority while the shot pass decodes, the rest at the end.

The pass keeps both cores busy, so the checks (~70 Haar detections, ~2.3 CPU-s, on a 60 s 1080p video) are not
free: they cost the pass 0.4-1.0 s on 2 cores (bench/README.md, session 8), the clips nothing, and let the plan
rank openings by a face. At the lowest priority they take the moments the pass's threads wait, and yield to
them. Whatever the thread has not finished when the pass ends is checked at normal priority by `answers`, so the
answers never depend on how busy the machine was."""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from media.faces import face_in

# Linux niceness, per thread: the thread runs when the pass's threads wait, and yields to them at once
BACKGROUND_NICENESS = 19
FINISH_THREADS = 2  # the media queue's one activity per core; OpenCV runs one thread per detection

K = TypeVar("K", bound=Hashable)


class BackgroundFaceChecks(Generic[K]):
    """face_in of each submitted set of JPEGs, started as they come on a low-priority thread of its own."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._todo: deque[tuple[K, list[bytes]]] = deque()
        self._busy: tuple[K, list[bytes]] | None = None
        self._answers: dict[K, bool | None] = {}
        self._closed = False
        self._thread: threading.Thread | None = None

    def submit(self, key: K, jpegs: list[bytes]) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the face checks were already finished")
            self._todo.append((key, jpegs))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="face-checks", daemon=True)
                self._thread.start()
            self._lock.notify()

    def answers(self) -> dict[K, bool | None]:
        """Every submitted key's answer; what the thread has not finished is checked here, at normal priority (the
        check it is on too, rather than waiting for a thread that may get no CPU). Ends the thread."""
        with self._lock:
            self._closed = True
            left = [*self._todo, *([self._busy] if self._busy is not None else [])]
            self._todo.clear()
            self._lock.notify()
        if left:
            with ThreadPoolExecutor(FINISH_THREADS, thread_name_prefix="face-checks-end") as pool:
                found = list(pool.map(face_in, [jpegs for _, jpegs in left]))
            with self._lock:
                for (key, _), answer in zip(left, found, strict=True):
                    self._answers.setdefault(key, answer)
        with self._lock:
            return dict(self._answers)

    def close(self) -> None:
        """Stop taking checks and let the thread end after the one it is on (a pass that failed or stopped)."""
        with self._lock:
            self._closed = True
            self._todo.clear()
            self._lock.notify()

    def _run(self) -> None:
        _lowest_priority()
        while True:
            with self._lock:
                while not self._todo and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                self._busy = self._todo.popleft()
            key, jpegs = self._busy
            answer = face_in(jpegs)  # OpenCV releases the GIL while it looks
            with self._lock:
                self._answers.setdefault(key, answer)
                self._busy = None


def _lowest_priority() -> None:
    """This thread only: on Linux a thread has its own niceness; elsewhere the checks keep normal priority."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICENESS)
        except OSError:  # a sandbox that forbids it: normal priority, still correct
            pass
