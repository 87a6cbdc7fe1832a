"""Which ad-set budgets to change after new evidence: only clear moves, never past a platform's change rate."""

from __future__ import annotations

import math
from collections.abc import Sequence

META_MIN_DAILY_BUDGET = 100  # minor units: Meta refuses a smaller ad-set daily budget


def budget_moves(
    current: Sequence[int],
    target: Sequence[int],
    threshold: float,
    may_change: Sequence[bool],
    minimum: int = META_MIN_DAILY_BUDGET,
) -> list[int]:
    """The budgets to set: `current` unless a share moves by more than `threshold` (of the total).

    Only the moving ad sets change, and they share what the others leave of the total in proportion to
    their targets (integers, largest remainder, summing exactly). If any moving ad set may not change now
    (its change rate is used up) or a mover would fall under `minimum`, nothing changes: a partial move
    would shift budget the evidence did not ask for.
    """
    if not (len(current) == len(target) == len(may_change)) or not current:
        raise ValueError("current, target and may_change must be equally long and not empty")
    if any(c < 0 for c in current) or any(t < 0 for t in target):
        raise ValueError("budgets must not be negative")
    total = sum(current)
    if total <= 0:
        return list(current)
    movers = [i for i, (c, t) in enumerate(zip(current, target, strict=True)) if abs(t - c) / total > threshold]
    if not movers or not all(may_change[i] for i in movers):
        return list(current)
    pool = total - sum(c for i, c in enumerate(current) if i not in movers)
    weight = sum(target[i] for i in movers)
    exact = {i: pool * target[i] / weight if weight else pool / len(movers) for i in movers}
    cents = {i: math.floor(value) for i, value in exact.items()}
    for i in sorted(movers, key=lambda i: (-(exact[i] - cents[i]), i))[: pool - sum(cents.values())]:
        cents[i] += 1
    if any(value < minimum for value in cents.values()):
        return list(current)
    return [cents.get(i, c) for i, c in enumerate(current)]
