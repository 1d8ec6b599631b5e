"""A user's picture as a strip the captioner reads (``recur.data.digit_strips``: 12 × 64, ink 1,
paper 0), and a strip written back as a PNG.

Reading any image file Pillow opens (PNG, JPEG, ...):

1. grey levels in [0, 1]; where the picture's mean is above 0.5 the paper is light and the levels
   are inverted, so that ink is high;
2. the levels are stretched so that the darkest pixel is 0 and the inkiest 1, and pixels under
   ``BLANK`` (5 % ink; the training digits' faintest level is 1/16) are set to 0 (binarising the paper, keeping the strokes' grey edges as the
   training digits have them);
3. an image of k·12 × k·64 pixels (a strip drawn k times larger, as ``write_strip`` does) is
   averaged down k × k; one that fits the strip (at most 12 × 64) is placed as it is, centred; any
   other is cropped to its ink and scaled (bilinear) so that the ink is 8 pixels high, a digit's
   height, or narrower if it would not fit 64 columns, then centred.

A picture with no ink, or a file that is no image, is refused in one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from recur.atomic import write_atomically
from recur.data.digit_strips import HEIGHT, WIDTH
from recur.errors import RecurError

BLANK = 0.05
DIGIT_HEIGHT = 8


def _pillow():
    try:
        from PIL import Image
    except ImportError:
        raise RecurError("reading images needs Pillow: pip install pillow") from None
    return Image


def read_strip(path: str | Path) -> np.ndarray:
    """The picture at ``path`` as a strip ``[12, 64]`` float32 (module docstring)."""
    Image = _pillow()
    path = Path(path)
    if not path.is_file():
        raise RecurError(f"{path}: no such image file")
    try:
        with Image.open(path) as picture:
            grey = np.asarray(picture.convert("L"), dtype=np.float32) / 255.0
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise RecurError(f"{path}: not an image Pillow can read ({type(err).__name__})") from None
    if grey.size == 0:
        raise RecurError(f"{path}: the image is empty (0 pixels)")
    ink = 1.0 - grey if grey.mean() > 0.5 else grey
    low, high = float(ink.min()), float(ink.max())
    if high - low < 1e-6:
        raise RecurError(f"{path}: the image is one flat level: no ink to read")
    ink = (ink - low) / (high - low)
    ink[ink < BLANK] = 0.0
    k = ink.shape[0] // HEIGHT
    if k > 1 and ink.shape == (k * HEIGHT, k * WIDTH):
        ink = ink.reshape(HEIGHT, k, WIDTH, k).mean(axis=(1, 3))
    elif ink.shape[0] > HEIGHT or ink.shape[1] > WIDTH:
        rows, cols = np.nonzero(ink)
        ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        scale = min(DIGIT_HEIGHT / ink.shape[0], WIDTH / ink.shape[1])
        size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
        ink = np.asarray(Image.fromarray(ink).resize(size, Image.BILINEAR), dtype=np.float32).clip(0, 1)
    strip = np.zeros((HEIGHT, WIDTH), dtype=np.float32)
    top, left = (HEIGHT - ink.shape[0]) // 2, (WIDTH - ink.shape[1]) // 2
    strip[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
    return strip


def write_strip(path: str | Path, strip: np.ndarray, scale: int = 1) -> Path:
    """A strip as an 8-bit grey PNG, ink white on black, each pixel ``scale`` × ``scale``."""
    Image = _pillow()
    levels = (np.clip(strip, 0, 1) * 255).round().astype(np.uint8)
    if scale > 1:
        levels = levels.repeat(scale, axis=0).repeat(scale, axis=1)
    return write_atomically(path, lambda tmp: Image.fromarray(levels).save(tmp, format="PNG"))
