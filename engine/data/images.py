"""An image folder (one sub-folder per class) as arrays, read through the bounded reader.

Each file is read as bytes by :mod:`engine.reader` (regular files only, at most
``MAX_IMAGE_BYTES``) and decoded by Pillow from memory. A small file can still claim an
enormous size (a decompression bomb), so the claimed size is checked against
``MAX_IMAGE_PIXELS`` before any pixel is decoded, and Pillow's own bomb warning and
error become a DataError too.
"""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from engine import reader
from engine.errors import DataError

IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
MAX_IMAGE_BYTES = 64 * 1024 * 1024
MAX_IMAGE_PIXELS = 4096 * 4096  # far beyond what a small network takes; Pillow's default is 89M


def image_folder(path: Path):
    """Load ``path/<class>/<image>`` files.

    Returns:
        ``(x, y, class names, "image")`` with ``x`` in [0, 1], shape (n, h, w, channels).

    Raises:
        DataError: one line naming the folder or file at fault.
    """
    try:
        classes = sorted(p.name for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        if not classes:
            raise DataError(f"{path}: an image folder needs one sub-folder per class; found none")
        files = [(ci, f) for ci, c in enumerate(classes) for f in sorted((path / c).iterdir())
                 if f.suffix.lower() in IMAGE_EXTENSIONS]
    except OSError as exc:
        raise DataError(f"{exc.filename or path}: cannot list the folder ({exc.strerror or exc})") from None
    if not files:
        raise DataError(f"{path}: no image files ({', '.join(sorted(IMAGE_EXTENSIONS))}) in the class folders")
    opened = [(ci, f, _decode(f, reader.read_bytes(f, MAX_IMAGE_BYTES, "image file", DataError)))
              for ci, f in files]
    modes = {im.mode for _, _, im in opened}
    grey = modes <= {"L", "1", "P"} and all(im.mode != "P" or _grey_palette(im) for _, _, im in opened)
    mode = "L" if grey else "RGB"
    images, labels, size, first = [], [], None, None
    for ci, f, im in opened:
        if size is None:
            size, first = im.size, f
        elif im.size != size:
            raise DataError(f"{f}: image size {im.size[0]}x{im.size[1]} differs from {size[0]}x{size[1]} "
                            f"of {first}; resize the images to one size")
        arr = np.asarray(im.convert(mode), dtype="float32") / 255.0
        images.append(arr[..., None] if mode == "L" else arr)
        labels.append(ci)
    return np.stack(images), np.asarray(labels, dtype="int64"), classes, "image"


def _decode(f: Path, raw: bytes):
    """Decode one image from its bytes, refusing bombs before they are decompressed."""
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow only warns between its limit and twice that; a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(raw)) as im:
                width, height = im.size  # from the header: nothing is decoded yet
                if width * height > MAX_IMAGE_PIXELS:
                    raise DataError(f"{f}: refused: the image claims {width}x{height} pixels, more than the "
                                    f"{MAX_IMAGE_PIXELS} Sprout decodes (a decompression bomb?); "
                                    "resize the images")
                im.load()
                return im.copy()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise DataError(f"{f}: refused as a possible decompression bomb: {exc}") from None
        except DataError:
            raise
        except Exception as exc:  # noqa: BLE001 - a corrupt file fails inside Pillow in many ways
            raise DataError(f"{f}: not a readable image ({type(exc).__name__}: {exc})") from None


def _grey_palette(im) -> bool:
    return im.convert("RGB").getextrema() == im.convert("L").convert("RGB").getextrema()
