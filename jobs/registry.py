"""Which function does which kind of job, and on which queue."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session


class PermanentJobError(Exception):
    """The job cannot succeed however often it is retried (corrupt input, missing record...)."""


@dataclass(frozen=True)
class JobHandler:
    kind: str
    queue: str
    function: Callable[["JobContext"], Any]


@dataclass
class JobContext:
    job_id: int
    subject_id: str | None
    payload: dict
    attempt: int
    session_factory: Callable[[], Session]
    heartbeat: Callable[[], None]
    services: dict[str, Any]


_handlers: dict[str, JobHandler] = {}


def job_handler(kind: str, queue: str = "default"):
    def register(function):
        _handlers[kind] = JobHandler(kind, queue, function)
        return function

    return register


def handler_for(kind: str) -> JobHandler:
    try:
        return _handlers[kind]
    except KeyError:
        raise PermanentJobError(f"no handler registered for job kind {kind!r}") from None


def load_handler_modules(module_names: str) -> None:
    for name in filter(None, (part.strip() for part in module_names.split(","))):
        importlib.import_module(name)
