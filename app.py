"""Fieldrep's application factory, the Celery app bound to it, and the `fieldrep` command line."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import NoReturn, cast

import click
from flask import Flask, jsonify, redirect
from flask.cli import FlaskGroup
from flask.globals import app_ctx
from flask.json.provider import DefaultJSONProvider

from settings import Settings, SettingsError, load_settings

API_TITLE = "Fieldrep"
API_VERSION = "v1"


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    Path(settings.instance_path).mkdir(parents=True, exist_ok=True)
    app = Flask(__name__, instance_path=settings.instance_path)
    from services import EXTENSION_KEY, build_services
    from storage.ratelimit import SCHEME as RATE_LIMIT_SCHEME

    # Default: login attempts counted in the app's database, which every web process shares.
    rate_limit_storage = settings.rate_limit_storage_url or f"{RATE_LIMIT_SCHEME}://"

    # One session per app context (not per thread): a task run eagerly inside a request gets its own.
    # (app_ctx is a werkzeug LocalProxy, typed as the AppContext it stands for)
    services = build_services(settings, session_scope=lambda: id(app_ctx._get_current_object()))  # type: ignore[attr-defined]
    secret_key = services.secret_key
    app.config.from_mapping(
        SECRET_KEY=secret_key,
        JWT_SECRET_KEY=secret_key,
        JWT_ACCESS_TOKEN_EXPIRES=settings.access_token_expires,
        JWT_REFRESH_TOKEN_EXPIRES=settings.refresh_token_expires,
        JWT_TOKEN_LOCATION=["headers"],
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        RATELIMIT_STORAGE_URI=rate_limit_storage,
        RATELIMIT_HEADERS_ENABLED=True,
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/api/docs/static/",
        API_SPEC_OPTIONS={
            "info": {"description": "The field representatives' API, the voice-compliance bot and the staff consoles."},
            "components": {
                "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
            },
        },
        JSON_SORT_KEYS=False,
    )
    cast(DefaultJSONProvider, app.json).ensure_ascii = False  # Russian transcripts stay readable in the JSON
    if settings.environment == "test":
        app.config["TESTING"] = True

    from accounts.auth import init_auth
    from api.contract import ContractPlugin, enum_type, finish_components
    from api.docs import swagger_static
    from api.errors import FieldrepApi, register_error_handlers
    from api.guards import GuardsPlugin, init_request_guards

    app.extensions[EXTENSION_KEY] = services
    app.teardown_appcontext(services.database.remove)

    api = FieldrepApi(app, spec_kwargs={"extra_plugins": [GuardsPlugin(), ContractPlugin()]})
    api.ma_plugin.converter.add_attribute_function(enum_type)
    register_error_handlers(app, api)
    init_request_guards(app)  # before the rate limiter and every view: they may read the body
    init_auth(app)

    from accounts.api import blp as auth_blp
    from accounts.api import users_blp
    from compliance.api import recordings_blp, scripts_blp
    from qa.api import blp as qa_blp
    from qa.api import disputes_blp
    from reports.api import blp as reports_blp
    from reps.api import blp as tasks_blp
    from reps.morning_api import blp as morning_blp
    from routes.api import blp as meetings_blp
    from storage.api import blp as objects_blp
    from support.api import blp as support_blp

    for blueprint in (auth_blp, users_blp, meetings_blp, tasks_blp, morning_blp, recordings_blp, scripts_blp,
                      objects_blp, qa_blp, disputes_blp, support_blp, reports_blp):
        api.register_blueprint(blueprint)
    finish_components(api.spec)
    app.register_blueprint(swagger_static)

    from console import init_console
    from qa.console import bp as qa_console
    from reports.console import bp as reports_console
    from support.console import bp as support_console

    init_console(app)
    app.register_blueprint(qa_console)
    app.register_blueprint(reports_console)
    app.register_blueprint(support_console)

    @app.get("/")
    def index():
        return redirect("/api/docs")

    @app.get("/health")
    def health():
        return jsonify(status="ok")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return app


def _exit_for_settings(error: SettingsError) -> NoReturn:
    click.echo(str(error), err=True)  # one line naming the variable, not a traceback
    sys.exit(2)


def _create_cli_app() -> Flask:
    try:
        return create_app()
    except SettingsError as error:
        _exit_for_settings(error)


class _FieldrepGroup(FlaskGroup):
    def main(self, *args, **kwargs):
        try:  # commands that read the settings themselves (model prepare, analyze) end the same way
            return super().main(*args, **kwargs)
        except SettingsError as error:
            _exit_for_settings(error)


@click.group(cls=_FieldrepGroup, create_app=_create_cli_app, add_default_commands=False, add_version_option=False)
def cli_main() -> None:
    """Fieldrep: the field representatives' backend and its voice-compliance bot."""


def _register_commands() -> None:
    from accounts.cli import users_group
    from compliance.cli import analyze_command, model_group
    from demo.cli import seed_demo_command
    from jobs.cli import beat_command, worker_command
    from runner import run_command
    from storage.migrations import db_group

    for command in (db_group, users_group, seed_demo_command, worker_command, beat_command, run_command,
                    analyze_command, model_group):
        cli_main.add_command(command)


_register_commands()


if __name__ == "__main__":
    cli_main()
