"""The Swagger UI's files, served from the installed swagger-ui-bundle package (no CDN)."""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

SWAGGER_STATIC_URL = "/api/docs/static/"

swagger_static = Blueprint("swagger_static", __name__)


@swagger_static.route(SWAGGER_STATIC_URL + "<path:filename>")
def swagger_file(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
