"""The 15 image operations of Population Based Augmentation and how a policy applies them.

Ho, Liang, Stoica, Abbeel & Chen (ICML 2019) reuse AutoAugment's Pillow operations
(reference code: arcelien/pba, ``pba/augmentation_transforms.py`` and
``pba/augmentation_transforms_hp.py``). Everything here is pure Python + numpy + Pillow,
written from the paper and that code's behaviour:

- A magnitude ``m`` (0..9) becomes a strength through ``int(m * maxval / 10)`` or
  ``m * maxval / 10`` (the reference divides by ``PARAMETER_MAX = 10`` although the
  search never proposes 10), so Rotate reaches 27 degrees at m = 9, shears 0.27,
  Solarize's threshold falls to 256 - 230 = 26 and the enhance factors span 0.1..1.72.
- Geometric operations pick their sign with a fair coin, as the reference does.
- The reference's pixel amounts (translate 10 px, cutout 20 px) are meant for 32x32
  CIFAR images. We scale them by ``size / 32`` and round to whole pixels (half up), so
  32x32 images get exactly the reference's numbers and 8x8 digits move at most 2 px and
  lose at most a 4x4 square (see :func:`translate_pixels` and :func:`cutout_side`).
- Pixels a geometric operation or Cutout leaves empty get the ``fill`` colour. The
  reference marks them transparent and turns them into the dataset mean when it
  un-normalizes (its Cutout colour 125, 122, 113 is CIFAR-10's mean); ``fill`` plays that
  role here (the block passes the batch's per-channel mean, or 0).
- Resampling is nearest-neighbour, Pillow's default that the reference relies on.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

# The order of the reference's HP_TRANSFORMS list: it fixes the layout of a policy.
OP_NAMES = ("AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize", "Color", "Contrast",
            "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateX", "TranslateY", "Cutout")
PARAMETER_MAX = 10  # the reference's divisor for magnitudes
MAX_PROBABILITY = 10  # probabilities are tenths: 0..10
MAX_MAGNITUDE = 9  # PBA's explore step keeps magnitudes in 0..9
POLICY_LENGTH = 4 * len(OP_NAMES)  # two copies of each op, each a (probability, magnitude) pair
COUNT_PROBS = (0.2, 0.3, 0.5)  # P(apply 0, 1, 2 operations to an image): the reference's 'cifar10' rule
REFERENCE_SIZE = 32  # the image size the reference's pixel amounts are meant for

_NEAREST = Image.Resampling.NEAREST
_AFFINE = Image.Transform.AFFINE


def int_level(magnitude: int, maxval: float) -> int:
    """``int(magnitude * maxval / 10)``: the reference's integer strength."""
    return int(magnitude * maxval / PARAMETER_MAX)


def float_level(magnitude: int, maxval: float) -> float:
    """``magnitude * maxval / 10``: the reference's real-valued strength."""
    return float(magnitude) * maxval / PARAMETER_MAX


def _half_up(value: float) -> int:
    return int(np.floor(value + 0.5))


def rotate_degrees(m: int) -> int:
    """Rotation angle (before the random sign): 0..27 degrees."""
    return int_level(m, 30)


def posterize_bits(m: int) -> int:
    """Bits kept per channel: 4 at m = 0 down to 1 at m = 9."""
    return 4 - int_level(m, 4)


def solarize_threshold(m: int) -> int:
    """Values at or above this are inverted: 256 (nothing) at m = 0, 26 at m = 9."""
    return 256 - int_level(m, 256)


def enhance_factor(m: int) -> float:
    """Factor for Color/Contrast/Brightness/Sharpness: 0.1 at m = 0 (never 0, which destroys the image)."""
    return float_level(m, 1.8) + 0.1


def shear_amount(m: int) -> float:
    """Shear coefficient (before the random sign): 0..0.27."""
    return float_level(m, 0.3)


def translate_pixels(m: int, size: int) -> int:
    """Shift in pixels along an axis of ``size`` pixels: the reference's 0..9 px scaled by size/32."""
    return _half_up(int_level(m, 10) * size / REFERENCE_SIZE)


def cutout_side(m: int, height: int, width: int) -> int:
    """Side of the Cutout square (before clipping at the border).

    The reference's patch spans ``size // 2`` on each side of a random centre, with
    ``size = int(m * 20 / 10) = 2m`` on 32x32 images; we scale that half-side by
    ``min(height, width) / 32`` so 32x32 images keep 2m and 8x8 images get 0, 2 or 4.
    """
    return 2 * _half_up(int_level(m, 20) / 2 * min(height, width) / REFERENCE_SIZE)


def _sign(value, rng: np.random.Generator):
    return -value if rng.random() > 0.5 else value


def _affine(img: Image.Image, coeffs: tuple, fill) -> Image.Image:
    return img.transform(img.size, _AFFINE, coeffs, resample=_NEAREST, fillcolor=fill)


def _enhancer(cls) -> Callable:
    return lambda img, m, rng, fill: cls(img).enhance(enhance_factor(m))


def _equalize(img: Image.Image, m: int, rng: np.random.Generator, fill) -> Image.Image:
    """Pillow's histogram equalization, made to work on images of fewer than ~256 pixels.

    Pillow's ``ImageOps.equalize`` uses the step ``(pixels - count of the top value) // 255``,
    which is 0 on tiny images such as 8x8 digits, and then returns them unchanged. We use
    the same lookup table (identical results where Pillow's step is at least 1) with a
    fractional step where it would be 0.
    """
    lut = []
    hist = img.histogram()
    for start in range(0, len(hist), 256):
        band = hist[start:start + 256]
        used = [h for h in band if h]
        spread = sum(used) - used[-1] if used else 0
        if len(used) <= 1 or spread == 0:
            lut.extend(range(256))
            continue
        step = spread // 255 or spread / 255
        n = step // 2 if isinstance(step, int) else step / 2
        for count in band:
            lut.append(min(255, int(n // step)))
            n += count
    return img.point(lut)


def _cutout(img: Image.Image, m: int, rng: np.random.Generator, fill) -> Image.Image:
    width, height = img.size
    half = cutout_side(m, height, width) // 2
    if half <= 0:
        return img
    cy, cx = int(rng.integers(0, height)), int(rng.integers(0, width))
    y0, x0 = max(0, cy - half), max(0, cx - half)
    y1, x1 = min(height, cy + half), min(width, cx + half)
    out = img.copy()
    ImageDraw.Draw(out).rectangle((x0, y0, x1 - 1, y1 - 1), fill=fill)  # Pillow's box is inclusive
    return out


# op(img, magnitude, rng, fill) -> img. Pillow's affine maps an output pixel (x, y) to
# the input pixel (a x + b y + c, d x + e y + f), which is what the reference writes.
OPS: dict[str, Callable] = {
    "AutoContrast": lambda img, m, rng, fill: ImageOps.autocontrast(img),
    "Equalize": _equalize,
    "Invert": lambda img, m, rng, fill: ImageOps.invert(img),
    "Rotate": lambda img, m, rng, fill: img.rotate(_sign(rotate_degrees(m), rng), resample=_NEAREST,
                                                   fillcolor=fill),
    "Posterize": lambda img, m, rng, fill: ImageOps.posterize(img, posterize_bits(m)),
    "Solarize": lambda img, m, rng, fill: ImageOps.solarize(img, solarize_threshold(m)),
    "Color": _enhancer(ImageEnhance.Color),
    "Contrast": _enhancer(ImageEnhance.Contrast),
    "Brightness": _enhancer(ImageEnhance.Brightness),
    "Sharpness": _enhancer(ImageEnhance.Sharpness),
    "ShearX": lambda img, m, rng, fill: _affine(img, (1, _sign(shear_amount(m), rng), 0, 0, 1, 0), fill),
    "ShearY": lambda img, m, rng, fill: _affine(img, (1, 0, 0, _sign(shear_amount(m), rng), 1, 0), fill),
    "TranslateX": lambda img, m, rng, fill: _affine(
        img, (1, 0, _sign(translate_pixels(m, img.size[0]), rng), 0, 1, 0), fill),
    "TranslateY": lambda img, m, rng, fill: _affine(
        img, (1, 0, 0, 0, 1, _sign(translate_pixels(m, img.size[1]), rng)), fill),
    "Cutout": _cutout,
}


def policy_entries(policy: Sequence[int]) -> list[tuple[str, int, int]]:
    """The 30 (op name, probability 0..10, magnitude 0..9) entries of a 60-integer policy.

    Layout (the reference's ``parse_policy``, applied to each half of the vector):
    ``policy[30 * copy + 2 * k]`` is the probability and ``policy[30 * copy + 2 * k + 1]``
    the magnitude of operation ``OP_NAMES[k]``, for copy 0 (first half) and 1 (second).
    """
    half = POLICY_LENGTH // 2
    return [(name, int(policy[half * copy + 2 * k]), int(policy[half * copy + 2 * k + 1]))
            for copy in (0, 1) for k, name in enumerate(OP_NAMES)]


def to_pil(img: np.ndarray) -> Image.Image:
    """A (H, W, 1) or (H, W, 3) uint8 array as an 'L' or 'RGB' Pillow image."""
    return Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img)


def from_pil(img: Image.Image, channels: int) -> np.ndarray:
    """Back to a (H, W, channels) uint8 array."""
    arr = np.asarray(img, dtype=np.uint8)
    return arr[..., None] if channels == 1 else arr


def apply_policy(img: np.ndarray, entries: Sequence[tuple[str, int, int]], rng: np.random.Generator,
                 fill) -> tuple[np.ndarray, list[str]]:
    """Augment one uint8 (H, W, C) image the way the reference's ``apply_policy`` does.

    Draw how many operations to apply (0, 1 or 2 with probability 0.2 / 0.3 / 0.5),
    shuffle the 30 entries, then walk through them: each applies with its probability
    (``rng.random() < p / 10``, so 0 never and 10 always) and counts towards the limit;
    the walk stops once the limit is reached (or the entries run out, so an image may get
    fewer operations than drawn).

    Returns:
        The augmented image (the input itself when nothing applied) and the names of the
        operations applied, in order.
    """
    count = int(rng.choice(len(COUNT_PROBS), p=COUNT_PROBS))
    if count == 0:
        return img, []
    pil, applied = None, []
    for i in rng.permutation(len(entries)):
        name, prob, magnitude = entries[i]
        if rng.random() < prob / MAX_PROBABILITY:
            pil = OPS[name](to_pil(img) if pil is None else pil, magnitude, rng, fill)
            applied.append(name)
            if len(applied) == count:
                break
    return (img, applied) if pil is None else (from_pil(pil, img.shape[-1]), applied)
