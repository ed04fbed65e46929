"""Alembic, driven from the `fieldrep db` commands and from `fieldrep run`."""

from __future__ import annotations

from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask.cli import AppGroup

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade_database(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Database migrations."""


def _url() -> str:
    from services import current_services

    return current_services().settings.sqlalchemy_url


@db_group.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    upgrade_database(_url(), revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
def downgrade_command(revision: str) -> None:
    """Undo migrations down to REVISION."""
    downgrade_database(_url(), revision)


@db_group.command("current")
def current_command() -> None:
    """Show the database's revision."""
    command.current(alembic_config(_url()), verbose=False)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
def revision_command(message: str) -> None:
    """Write a new migration from the difference between the models and the database (developers)."""
    command.revision(alembic_config(_url()), message=message, autogenerate=True)
