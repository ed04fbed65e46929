"""A job kind for the worker tests: the first attempt hangs (so a test can kill its worker)."""

from __future__ import annotations

import time
from pathlib import Path

from jobs.registry import JobContext, job_handler


@job_handler("test.hang_first_attempt")
def hang_first_attempt(context: JobContext) -> None:
    markers = Path(context.payload["markers"])
    (markers / f"started-{context.attempt}").write_text(str(context.attempt))
    if context.attempt == 1:
        time.sleep(300)
    (markers / f"done-{context.attempt}").write_text(str(context.attempt))


@job_handler("test.always_fails")
def always_fails(context: JobContext) -> None:
    raise RuntimeError(f"attempt {context.attempt} broke")
