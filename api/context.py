"""Where the web layer finds the app's services: one typed object, built by services.build_services."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services import Services, current_services
from settings import Settings
from storage.db import Database
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
