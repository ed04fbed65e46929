"""`fieldrep users ...`: create, list, deactivate and reactivate accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from accounts import service
from errors import FieldrepError
from models import Role, User
from services import current_services


def _db():
    return current_services().database


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """User accounts."""


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]))
@click.option("--full-name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--time-zone", default="Europe/Moscow", show_default=True)
@click.option("--email", default=None)
def create_command(username, role, full_name, password, time_zone, email) -> None:
    """Create a user."""
    try:
        with _db().transaction() as session:
            user = service.create_user(
                session, username=username, password=password, role=role, full_name=full_name,
                time_zone=time_zone, email=email,
            )
            click.echo(f"created {user.username} ({user.role.value}), id {user.id}")
    except FieldrepError as exc:
        raise click.ClickException(f"{exc.message} {exc.errors or ''}".strip()) from exc


@users_group.command("list")
def list_command() -> None:
    """List users."""
    with _db().transaction() as session:
        for user in session.scalars(select(User).order_by(User.role, User.username)):
            state = "active" if user.is_active else "deactivated"
            click.echo(f"{user.id:>4}  {user.username:<20} {user.role.value:<8} {user.time_zone:<22} {state}")


def _set_active(username: str, active: bool) -> None:
    with _db().transaction() as session:
        user = session.scalar(select(User).where(User.username == username.lower()))
        if user is None:
            raise click.ClickException(f"no user named {username!r}")
        service.set_active(session, user, active)
        click.echo(f"{user.username} {'reactivated' if active else 'deactivated'}")


@users_group.command("deactivate")
@click.argument("username")
def deactivate_command(username: str) -> None:
    """Deactivate a user: their tokens stop working at once."""
    _set_active(username, False)


@users_group.command("activate")
@click.argument("username")
def activate_command(username: str) -> None:
    """Reactivate a user."""
    _set_active(username, True)
