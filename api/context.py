"""Where create_app keeps the app's parts, for the web layer to reach them in one way."""

from __future__ import annotations

from flask import current_app


def database():
    return current_app.extensions["fieldrep_db"]


def db_session():
    return current_app.extensions["fieldrep_db"].session


def app_settings():
    return current_app.extensions["fieldrep_settings"]


def object_store():
    return current_app.extensions["fieldrep_services"]["objects"]
