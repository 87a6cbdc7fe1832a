"""Keeps `ugc up`'s children alive: a dead one is logged and restarted with backoff; repeated failure ends it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from rich.console import Console

from devstack.process import StackError

POLL_SECONDS = 1.0
MAX_RESTARTS = 5  # consecutive restarts that did not stay up; one more death and `ugc up` gives up
BACKOFF_CAP_SECONDS = 30.0
STABLE_SECONDS = 60.0  # up this long after a restart: its failures are forgotten


class Supervised(Protocol):
    """A child process (or a service that runs one) that can be checked and started again."""

    @property
    def name(self) -> str: ...
    @property
    def log_path(self) -> Path: ...
    @property
    def pid(self) -> int | None: ...
    def running(self) -> bool: ...
    def exit_code(self) -> int | None: ...
    def restart(self) -> None: ...


@dataclass
class _Watch:
    child: Supervised
    started_at: float
    failures: int = 0  # consecutive deaths without `STABLE_SECONDS` of life in between
    restart_at: float | None = None  # when it is dead and waiting for its backoff


@dataclass
class Supervisor:
    """Polls every child; `run()` returns only when one keeps dying (KeyboardInterrupt passes through)."""

    children: list[Supervised]
    console: Console
    poll_seconds: float = POLL_SECONDS
    max_restarts: int = MAX_RESTARTS
    backoff_base: float = 1.0  # seconds before the first restart; doubled for each further one
    backoff_cap: float = BACKOFF_CAP_SECONDS
    stable_seconds: float = STABLE_SECONDS
    _watches: list[_Watch] = field(init=False)

    def __post_init__(self) -> None:
        now = time.monotonic()
        self._watches = [_Watch(child, now) for child in self.children]

    def run(self) -> Supervised:
        """Supervise until a child has failed `max_restarts` restarts in a row; return that child."""
        while True:
            for watch in self._watches:
                if not self._check(watch):
                    return watch.child
            time.sleep(self.poll_seconds)

    def _check(self, watch: _Watch) -> bool:
        """One look at one child: schedule or perform its restart; False once it is beyond saving."""
        now = time.monotonic()
        if watch.restart_at is None:
            if watch.child.running():
                return True
            if now - watch.started_at >= self.stable_seconds:
                watch.failures = 0
            return self._schedule(watch, now, _death(watch.child))
        if now < watch.restart_at:
            return True
        watch.restart_at = None
        watch.started_at = now
        try:
            watch.child.restart()
        except StackError as exc:
            return self._schedule(watch, now, f"did not restart: {exc}")
        self.console.print(f"[green]{watch.child.name} restarted[/] (pid {watch.child.pid})")
        return True

    def _schedule(self, watch: _Watch, now: float, what: str) -> bool:
        child = watch.child
        if watch.failures >= self.max_restarts:
            self.console.print(f"[red]{child.name} {what}[/]; log: {child.log_path}")
            self.console.print(f"[red]giving up after {watch.failures} restarts in a row[/]")
            return False
        watch.failures += 1
        delay = min(self.backoff_base * 2.0 ** (watch.failures - 1), self.backoff_cap)
        watch.restart_at = now + delay
        self.console.print(
            f"[yellow]{child.name} {what}[/]; log: {child.log_path}; "
            f"restarting in {delay:g}s (attempt {watch.failures})"
        )
        return True


def _death(child: Supervised) -> str:
    code = child.exit_code()
    return "is no longer running" if code is None else f"exited with code {code}"
