"""A selfie is judged by its header before a pixel is decoded, and a big photo is decoded at a reduced
scale: a small file declaring a huge picture (a decompression bomb) costs neither time nor memory."""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
import zlib
from datetime import date

import pytest
from PIL import Image

from errors import Invalid
from reps.selfie import WORKING_SIDE, ImageLimits, check_selfie
from settings import PROJECT_ROOT


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 10_900) -> bytes:
    """An 8-bit grayscale PNG of side x side black pixels: ~120 KB on disk, 119 megapixels decoded."""
    compressor = zlib.compressobj(9)
    row = b"\0" * (side + 1)  # filter byte + pixels
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


PEAK_MEMORY = """
import io, json, resource, sys, time
sys.path.insert(0, {root!r})
from reps import selfie
from errors import Invalid
from PIL import Image
selfie._register_image_formats(); selfie._face_detectors()   # imports (PIL, OpenCV) are not the upload's cost
Image.new("RGB", (64, 64)).convert("L")
data = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    selfie.check_selfie(data, today=__import__("datetime").date(2026, 11, 25), time_zone="Europe/Moscow")
    outcome = "accepted"
except Invalid as refused:
    outcome = refused.message
print(json.dumps({{"peak_growth_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024,
                  "seconds": time.perf_counter() - started, "outcome": outcome}}))
"""


def _measure(path) -> dict:
    """Peak memory growth and time of one selfie check, in a fresh interpreter (peak RSS is per process)."""
    result = subprocess.run([sys.executable, "-c", PEAK_MEMORY.format(root=str(PROJECT_ROOT)), str(path)],
                            capture_output=True, text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png())
    assert path.stat().st_size < 400_000
    measured = _measure(path)
    assert "10900 x 10900 pixels" in measured["outcome"]
    assert measured["seconds"] < 0.5, measured
    assert measured["peak_growth_mb"] < 20, measured  # decoded in full: ~520 MB and 1.2 s (measured)


def test_a_big_jpeg_is_decoded_at_a_reduced_scale(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (8000, 6000), (120, 130, 140)).save(path, quality=80)  # 48 MP: 144 MB decoded in full
    measured = _measure(path)
    assert "face" in measured["outcome"]  # read, and judged on what it shows (a grey card has no face)
    assert measured["peak_growth_mb"] < 40, measured  # decoded in full: ~390 MB (measured)


@pytest.mark.parametrize("size", [(10_001, 100), (100, 10_001), (7_100, 7_100)])
def test_the_limits_are_settings(size):
    image = Image.new("L", size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    with pytest.raises(Invalid, match="pixels"):
        check_selfie(buffer.getvalue(), today=date(2026, 11, 25), time_zone="Europe/Moscow")
    roomy = ImageLimits(max_pixels=60_000_000, max_side=20_000)
    with pytest.raises(Invalid, match=r"face|time"):  # past the size check, judged on the picture itself
        check_selfie(buffer.getvalue(), today=date(2026, 11, 25), time_zone="Europe/Moscow", limits=roomy)


def test_the_working_copy_is_bounded():
    assert WORKING_SIDE <= 4096
