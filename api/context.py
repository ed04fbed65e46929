"""Where the web layer finds the app's services: one typed object, built by services.build_services."""

from __future__ import annotations

import functools

from sqlalchemy.orm import Session

from services import Services, current_services
from settings import Settings
from storage.db import Database, read_without_transaction
from storage.objects import ObjectStore


def services() -> Services:
    return current_services()


def database() -> Database:
    return current_services().database


def db_session() -> Session:
    return current_services().database.session()


def app_settings() -> Settings:
    return current_services().settings


def object_store() -> ObjectStore:
    return current_services().objects


def read_only(view):
    """A view that only reads (the hot polled ones): its queries, the token check's included, run
    without a transaction on PostgreSQL (storage.db.read_without_transaction). Put it above the auth."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        read_without_transaction(db_session())
        return view(*args, **kwargs)

    return wrapper
