"""Checks on the morning selfie: a real photo (JPEG/PNG/HEIC), taken today, one face; location removed."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from errors import Invalid

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic", "HEIC": "image/heic",
                    "MPO": "image/jpeg"}
EXIF_DATETIME_ORIGINAL, EXIF_DATETIME = 0x9003, 0x0132
MAX_PIXELS = 60_000_000
DETECTION_SIDE = 640
# The longest side kept: enough for a supervisor to judge dress code. A JPEG is decoded at a reduced
# scale (1/2, 1/4, 1/8 in the DCT) straight to about this size, so a big photo never sits in memory.
WORKING_SIDE = 2048


@dataclass(frozen=True)
class ImageLimits:
    """Bounds read from the image header, before a single pixel is decoded."""

    max_pixels: int = 50_000_000
    max_side: int = 10_000

    @classmethod
    def from_settings(cls, settings) -> ImageLimits:
        return cls(max_pixels=settings.max_selfie_megapixels * 1_000_000, max_side=settings.max_selfie_side)


@dataclass(frozen=True)
class CheckedSelfie:
    jpeg: bytes  # re-encoded: no EXIF, so no GPS position
    taken_at: datetime | None  # from EXIF, in the rep's zone; None if the photo carried no time
    width: int
    height: int


def _refuse(message: str) -> Invalid:
    return Invalid(message, errors={"file": [message]})


@lru_cache(maxsize=1)
def _register_image_formats() -> None:
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:  # pragma: no cover - a declared dependency
        pass
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _check_dimensions(width: int, height: int, limits: ImageLimits) -> None:
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise _refuse(f"The picture is {width} x {height} pixels; a selfie may be at most {limits.max_side} pixels "
                      f"on a side and {limits.max_pixels / 1e6:g} megapixels. Send the camera's normal photo.")


def _open(data: bytes, limits: ImageLimits):
    from PIL import Image, UnidentifiedImageError

    _register_image_formats()
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        _check_dimensions(image.width, image.height, limits)
        if image.format in ("JPEG", "MPO"):
            image.draft("RGB", (WORKING_SIDE, WORKING_SIDE))
        image.load()
        if max(image.size) > WORKING_SIDE:
            image.thumbnail((WORKING_SIDE, WORKING_SIDE))  # keeps the EXIF in image.info/getexif()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse("This is not a photo we can read; send a JPEG, PNG or HEIC picture from the camera.") from exc
    except Image.DecompressionBombError as exc:
        raise _refuse("The picture is far too large; send a normal camera photo.") from exc
    if image.format not in ACCEPTED_FORMATS:
        raise _refuse(f"{image.format} pictures are not accepted; send a JPEG, PNG or HEIC photo.")
    return image


def _exif_time(image, time_zone: str) -> datetime | None:
    exif = image.getexif()
    raw = exif.get_ifd(0x8769).get(EXIF_DATETIME_ORIGINAL) or exif.get(EXIF_DATETIME)
    if not raw:
        return None
    try:
        return datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S").replace(tzinfo=ZoneInfo(time_zone))
    except ValueError:
        return None


@lru_cache(maxsize=1)
def _face_detectors():
    import cv2
    import cv2.data

    return tuple(cv2.CascadeClassifier(cv2.data.haarcascades + name) for name in
                 ("haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml"))


def _overlap(first, second) -> float:
    x1, y1 = max(first[0], second[0]), max(first[1], second[1])
    x2 = min(first[0] + first[2], second[0] + second[2])
    y2 = min(first[1] + first[3], second[1] + second[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    return inter / (first[2] * first[3] + second[2] * second[3] - inter)


def count_faces(image) -> int:
    import numpy as np

    small = image.convert("L")
    small.thumbnail((DETECTION_SIDE, DETECTION_SIDE))
    gray = np.asarray(small)
    # In a selfie the face is large: ignoring small detections avoids faces "seen" in the background.
    smallest = max(40, int(0.12 * min(gray.shape)))
    default, alt2 = _face_detectors()
    found = default.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=5, minSize=(smallest, smallest))
    confirming = alt2.detectMultiScale(gray, scaleFactor=1.1, minNeighbors=3, minSize=(smallest, smallest))
    # A face counts when two differently trained cascades agree on it: one cascade alone sees
    # "faces" in JPEG artefacts and badges.
    return sum(1 for face in found if any(_overlap(face, other) > 0.3 for other in confirming))


def check_selfie(data: bytes, *, today: date, time_zone: str, limits: ImageLimits | None = None) -> CheckedSelfie:
    from PIL import ImageOps

    if not data:
        raise _refuse("The file is empty.")
    image = _open(data, limits or ImageLimits())
    taken_at = _exif_time(image, time_zone)
    if taken_at is not None and taken_at.date() != today:
        raise _refuse(f"The photo was taken on {taken_at.date().isoformat()}, not today; take a new selfie.")
    image = ImageOps.exif_transpose(image).convert("RGB")
    faces = count_faces(image)
    if faces == 0:
        raise _refuse("No face was found; take the selfie facing the camera, in good light.")
    if faces > 1:
        raise _refuse(f"{faces} faces were found; the selfie must show you alone.")
    cleaned = io.BytesIO()
    image.save(cleaned, format="JPEG", quality=88)  # no exif= argument: GPS and the rest are dropped
    return CheckedSelfie(cleaned.getvalue(), taken_at, image.width, image.height)
