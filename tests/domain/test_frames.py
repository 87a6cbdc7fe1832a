import pytest

from domain.frames import frame_instant, scaled_size


@pytest.mark.parametrize(
    ("requested", "duration", "expected"),
    [
        (0.0, 30.0, 0.0),
        (3.0, 30.0, 3.0),
        (10.0, 10.1, 10.0),  # a frame exists at 10 s
        (10.0, 10.0, 9.5),  # the last frame starts before 10 s: take the last second
        (10.0, 9.9, 9.4),
        (3.0, 2.0, 1.5),
        (10.0, 0.3, 0.0),
    ],
)
def test_frame_instant(requested: float, duration: float, expected: float) -> None:
    assert frame_instant(requested, duration) == pytest.approx(expected)


def test_scaled_size_keeps_aspect_and_limits_the_long_edge() -> None:
    assert scaled_size(1080, 1920, 1280) == (720, 1280)
    assert scaled_size(1920, 1080, 1280) == (1280, 720)
    assert scaled_size(320, 568, 1280) == (320, 568)
    assert scaled_size(1081, 1921, 1280) == (720, 1280)
