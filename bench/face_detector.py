"""Face detector benchmark: the shipped Haar settings against the earlier ones, on faces and on textures.

Positives: a photographed face (scikit-image's public-domain astronaut) and the tests' drawn face, each at 14-50 %
of the short edge of a 16:9 and a 9:16 frame over a photographed texture, plain, blurred, faded or noisy.
Negatives: the textures whole and in random crops, in both framings. Every image is fitted within FACE_MAX_EDGE as
the face checks see it. The images come from the scikit-image wheel's `skimage/data` folder:

    pip download --no-deps scikit-image -d /tmp/sk && unzip -q /tmp/sk/*.whl 'skimage/data/*' -d /tmp/sk
    python -m bench.face_detector --images /tmp/sk/skimage/data
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from media import faces
from tests.support.drawn_face import drawn_face

SETTINGS = {"earlier (1.1, 8)": (1.1, 8), "shipped": (faces.SCALE_STEP, faces.MIN_NEIGHBOURS)}
SHARES = (0.14, 0.18, 0.22, 0.27, 0.33, 0.4, 0.5)
ASTRONAUT_FACE = (178, 67, 93)  # x, y, width of the face box in astronaut.png


def fit(image: np.ndarray) -> np.ndarray:
    scale = faces.FACE_MAX_EDGE / max(image.shape)
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image


def detector(scale_step: float, neighbours: int) -> Callable[[np.ndarray], bool]:
    return lambda image: faces.faces_in_image(image, scale_step, neighbours) > 0


def grey(path: Path) -> np.ndarray | None:
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    return image if image is not None and min(image.shape) >= 200 else None


def images(folder: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(1)
    astronaut = grey(folder / "astronaut.png")
    if astronaut is None:
        raise SystemExit(f"no astronaut.png in {folder}: see this module's docstring")
    textures = [t for p in sorted(folder.glob("*.png")) if p.stem != "astronaut" and (t := grey(p)) is not None]
    negatives = []
    for texture in textures:
        h, w = texture.shape
        for size in ((1920, 1080), (606, 1080)):
            negatives.append(fit(cv2.resize(texture, size)))
            for _ in range(3):
                ch = h // 2
                cw = min(w, int(ch * size[0] / size[1]))
                y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
                negatives.append(fit(cv2.resize(texture[y : y + ch, x : x + cw], size)))
    positives = []
    for size in ((1920, 1080), (606, 1080)):
        for share in SHARES:
            for k in range(8):
                face_px = int(min(size) * share)
                x, y, width = ASTRONAUT_FACE
                scale = face_px / width
                photo = cv2.resize(astronaut, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                frame = cv2.resize(textures[k % len(textures)], size)
                h, w = min(photo.shape[0], size[1]), min(photo.shape[1], size[0])
                top, left = int(rng.integers(0, size[1] - h + 1)), int(rng.integers(0, size[0] - w + 1))
                frame[top : top + h, left : left + w] = photo[:h, :w]
                frame = [frame, cv2.GaussianBlur(frame, (0, 0), 2), cv2.convertScaleAbs(frame, alpha=0.6, beta=40),
                         np.clip(frame + rng.normal(0, 12, frame.shape), 0, 255).astype(np.uint8)][k % 4]  # fmt: skip
                positives.append(fit(frame))
                drawn = cv2.resize(textures[(k + 1) % len(textures)], size)
                top, left = (size[1] - face_px) // 2, int(rng.integers(0, size[0] - face_px + 1))
                drawn[top : top + face_px, left : left + face_px] = drawn_face(face_px)
                positives.append(fit(drawn))
    return positives, negatives


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="scikit-image's skimage/data folder")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # as the worker runs it
    positives, negatives = images(args.images)
    print(f"{len(positives)} frames with a face, {len(negatives)} without")
    for name, (scale_step, neighbours) in SETTINGS.items():
        found = detector(scale_step, neighbours)
        start = time.perf_counter()
        hits, false = sum(map(found, positives)), sum(map(found, negatives))
        per_image = (time.perf_counter() - start) / (len(positives) + len(negatives))
        print(f"{name:18} faces found {hits}/{len(positives)}, false hits {false}/{len(negatives)}, "
              f"{per_image * 1000:.0f} ms an image")  # fmt: skip


if __name__ == "__main__":
    main()
