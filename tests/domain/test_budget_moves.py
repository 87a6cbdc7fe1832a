"""Budget moves: a threshold on share changes, a per-ad-set change rate, Meta's minimum, exact sums."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.budget_moves import budget_moves


def test_small_moves_are_left_alone() -> None:
    assert budget_moves([5000, 5000], [5200, 4800], 0.05, [True, True]) == [5000, 5000]


def test_a_clear_move_is_made_and_sums_exactly() -> None:
    assert budget_moves([5000, 5000], [8000, 2000], 0.05, [True, True]) == [8000, 2000]


def test_only_movers_change_and_share_what_is_left() -> None:
    moved = budget_moves([4000, 3000, 3000], [6000, 3100, 900], 0.05, [True, True, True])
    assert moved[1] == 3000 and sum(moved) == 10000 and moved[0] > moved[2]


def test_a_mover_out_of_changes_this_hour_holds_everything() -> None:
    assert budget_moves([5000, 5000], [8000, 2000], 0.05, [True, False]) == [5000, 5000]


def test_never_under_metas_minimum() -> None:
    assert budget_moves([150, 150], [290, 10], 0.05, [True, True]) == [150, 150]


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError):
        budget_moves([1], [1, 2], 0.05, [True])


@given(st.lists(st.tuples(st.integers(100, 10**6), st.integers(0, 10**6)), min_size=1, max_size=8),
       st.floats(0, 0.5))  # fmt: skip
def test_the_total_is_kept(pairs: list[tuple[int, int]], threshold: float) -> None:
    current = [c for c, _ in pairs]
    moved = budget_moves(current, [t for _, t in pairs], threshold, [True] * len(pairs))
    assert sum(moved) == sum(current)
