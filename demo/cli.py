"""`fieldrep seed-demo`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from demo.seed import DemoDataRefused, describe_logins, seed_demo_data
from services import current_services


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create demo users, today's routes and the default call script (idempotent)."""
    services = current_services()
    try:
        with services.database.transaction() as session:
            logins = seed_demo_data(session, services.settings)
    except DemoDataRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(describe_logins(logins))
