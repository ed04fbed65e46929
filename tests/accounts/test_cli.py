from __future__ import annotations

from sqlalchemy import select

from models import User


def test_users_create_and_deactivate_from_the_command_line(app, db):
    runner = app.test_cli_runner()
    from app import cli_main

    result = runner.invoke(cli_main, ["users", "create", "--username", "Rep7", "--role", "rep", "--full-name",
                                      "Seven", "--password", "password-seven", "--time-zone", "Asia/Omsk"])
    assert result.exit_code == 0, result.output
    assert "created rep7 (rep)" in result.output
    result = runner.invoke(cli_main, ["users", "deactivate", "rep7"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "rep7"))
        assert user.is_active is False and user.time_zone == "Asia/Omsk"
    duplicate = runner.invoke(cli_main, ["users", "create", "--username", "rep7", "--role", "rep", "--full-name",
                                         "Seven", "--password", "password-seven"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
