"""Keep a lease alive from a background thread while the work it guards runs.

A dead process stops beating, so its lease runs out within seconds and another process may take
the work over; a live one, however long its work takes, is never taken over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType

log = logging.getLogger(__name__)


class Heartbeat:
    """Call `beat` every `interval` seconds until the block ends or `beat` returns False (lease lost)."""

    def __init__(self, beat: Callable[[], bool], interval: float, name: str = "heartbeat"):
        self._beat = beat
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.lost = threading.Event()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                if not self._beat():
                    log.warning("%s: the lease was lost (taken over or finished elsewhere)", self._thread.name)
                    self.lost.set()
                    return
            except Exception:  # a missed beat is retried; the lease has slack for it
                log.warning("%s: could not renew the lease; retrying", self._thread.name, exc_info=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stopped.set()
        self._thread.join(timeout=self._interval + 35)
