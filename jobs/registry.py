"""Which function does which kind of job, and on which queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from services import Services


class PermanentJobError(Exception):
    """The job cannot succeed however often it is retried (corrupt input, missing record...)."""


class LeaseLost(Exception):
    """Another worker took the job over (this one was presumed dead): its results must not be kept."""


@dataclass(frozen=True)
class JobHandler:
    kind: str
    queue: str
    function: Callable[[JobContext], Any]


@dataclass
class JobContext:
    job_id: int
    subject_id: str | None
    payload: dict[str, Any]
    attempt: int
    session_factory: Callable[[], Session]
    services: Services
    # Marks the job done inside the caller's session, so the results and the job's state commit
    # together; raises LeaseLost if another worker has taken the job over.
    complete_in: Callable[[Session], None]


_handlers: dict[str, JobHandler] = {}


def job_handler(kind: str,
                queue: str = "default") -> Callable[[Callable[[JobContext], Any]], Callable[[JobContext], Any]]:
    def register(function: Callable[[JobContext], Any]) -> Callable[[JobContext], Any]:
        _handlers[kind] = JobHandler(kind, queue, function)
        return function

    return register


def handler_for(kind: str) -> JobHandler:
    try:
        return _handlers[kind]
    except KeyError:
        raise PermanentJobError(f"no handler registered for job kind {kind!r}") from None
