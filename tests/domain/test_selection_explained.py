"""A decision names its runner-up and says, term by term, why the winner beat it."""

from __future__ import annotations

from domain.rules import ClipFeatures, default_weights
from domain.selection import select_best, why_chosen

VERTICAL = {"duration_s": 12.0, "width": 1080, "height": 1920, "has_audio": True, "cuts_per_5s": 2.0}


def test_the_runner_up_is_the_clip_ranked_second() -> None:
    clips = [
        ("flat", ClipFeatures(**VERTICAL, dynamic_start=False)),
        ("hook", ClipFeatures(**VERTICAL, dynamic_start=True)),
        ("wide", ClipFeatures(**{**VERTICAL, "width": 1920, "height": 1080}, dynamic_start=False)),
    ]
    chosen = select_best(clips, "tiktok", default_weights("tiktok"), [])
    assert (chosen.winner, chosen.candidates) == ("hook", 3)
    assert chosen.runner_up is not None and chosen.runner_up[0] == "flat"
    assert chosen.runner_up[1].total < chosen.score.total
    alone = select_best(clips[:1], "tiktok", default_weights("tiktok"), [])
    assert (alone.winner, alone.candidates, alone.runner_up) == ("flat", 1, None)


def test_why_names_the_largest_differences_each_way() -> None:
    winner = {"aspect_fit": 1.0, "pacing": 1.0, "dynamic_start": 1.0, "loudness": 0.4, "audio": 1.0}
    runner = {"aspect_fit": 1.0, "pacing": 0.5, "dynamic_start": 0.0, "loudness": 0.6, "audio": 1.0}
    assert why_chosen(winner, 12, (0.71, runner)) == (
        "best of 12 candidates, 0.71 for the runner-up; ahead on dynamic_start (+1.00), pacing (+0.50); "
        "behind on loudness (-0.20)"
    )
    assert why_chosen(winner, 1, None) == "the only READY candidate"
