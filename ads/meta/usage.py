"""Meta's usage headers (how close a caller is to its rate limits) and the pacing of calls per ad account.

Meta reports usage on every answer, not only on a refusal: `X-Business-Use-Case-Usage` (per business and
use case: call count, CPU and time as % of the limit, and `estimated_time_to_regain_access` in minutes),
`X-Ad-Account-Usage` (`acc_id_util_pct`, `reset_time_duration` in seconds) and `X-App-Usage`. Pacing from
them keeps an account under its limit instead of learning it from an error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

BUC_HEADER = "x-business-use-case-usage"
AD_ACCOUNT_HEADER = "x-ad-account-usage"
APP_HEADER = "x-app-usage"


@dataclass(frozen=True)
class Usage:
    """The highest usage (percent of a limit) any header reports, and when access comes back once over it."""

    percent: float = 0.0
    regain_minutes: float = 0.0
    reset_seconds: float = 0.0

    def regain_delay(self) -> timedelta | None:
        """How long Meta says to wait (its regain estimate or the account's reset time); None if it said nothing."""
        seconds = max(self.regain_minutes * 60.0, self.reset_seconds)
        return timedelta(seconds=seconds) if seconds > 0 else None


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None  # a malformed header is no reason to fail the call it came with


def _number(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number == number and number >= 0 else 0.0  # NaN and negatives mean nothing


def parse_usage(headers: Mapping[str, str]) -> Usage:
    """The usage an answer's headers report (keys compared lower-case, as HTTP headers are)."""
    lower = {key.lower(): value for key, value in headers.items()}
    percent, regain, reset = 0.0, 0.0, 0.0
    buc = _json(lower.get(BUC_HEADER))
    if isinstance(buc, dict):
        for entries in buc.values():
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict):
                    percent = max(
                        percent, *(_number(entry.get(k)) for k in ("call_count", "total_cputime", "total_time"))
                    )
                    regain = max(regain, _number(entry.get("estimated_time_to_regain_access")))
    account = _json(lower.get(AD_ACCOUNT_HEADER))
    if isinstance(account, dict):
        percent = max(percent, _number(account.get("acc_id_util_pct")))
        reset = max(reset, _number(account.get("reset_time_duration")))
    app = _json(lower.get(APP_HEADER))
    if isinstance(app, dict):
        percent = max(percent, *(_number(app.get(k)) for k in ("call_count", "total_cputime", "total_time")))
    return Usage(percent=percent, regain_minutes=regain, reset_seconds=reset)


@dataclass
class _AccountState:
    usage: Usage
    seen_at: float
    blocked_until: float = 0.0


class Pacer:
    """Per ad account: how long to wait before the next call, from the usage the last answer reported.

    Under `start_percent` calls go at once; from there to 100 % the gap grows linearly to `max_gap_s`;
    at or over 100 % (or after a throttle) no call goes until Meta's regain time has passed.
    """

    def __init__(self, start_percent: float = 75.0, max_gap_s: float = 30.0, clock: Any = time.monotonic):
        self.start_percent = start_percent
        self.max_gap_s = max_gap_s
        self.clock = clock
        self._accounts: dict[str, _AccountState] = {}

    def observe(self, account: str, usage: Usage, *, throttled: bool = False, wait: timedelta | None = None) -> None:
        """Record what an answer for `account` reported (`wait`: how long a throttle said to hold off)."""
        now = self.clock()
        state = _AccountState(usage, now)
        if throttled or usage.percent >= 100.0:
            delay = wait or usage.regain_delay()
            state.blocked_until = now + (delay.total_seconds() if delay else self.max_gap_s)
        self._accounts[account] = state

    def delay_s(self, account: str) -> float:
        """Seconds to wait before calling Meta for `account` now (0: go)."""
        state = self._accounts.get(account)
        if state is None:
            return 0.0
        now = self.clock()
        if state.blocked_until > now:
            return state.blocked_until - now
        over = state.usage.percent - self.start_percent
        if over <= 0:
            return 0.0
        gap = self.max_gap_s * min(over / (100.0 - self.start_percent), 1.0)
        return max(0.0, state.seen_at + gap - now)
