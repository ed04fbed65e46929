"""`fieldrep seed-demo`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from flask import current_app

from demo.seed import describe_logins, seed_demo_data


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create demo users, today's routes and the default call script (idempotent)."""
    settings = current_app.extensions["fieldrep_settings"]
    with current_app.extensions["fieldrep_db"].transaction() as session:
        logins = seed_demo_data(session, settings)
    click.echo(describe_logins(logins))
