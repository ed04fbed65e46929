"""0014 fills the new task columns for tasks that already exist: the expiry moment and the phone to call."""

from __future__ import annotations

import sqlalchemy as sa

from storage.migrations import downgrade_database, upgrade_database


def test_0014_backfills_expiry_and_phone(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    upgrade_database(url, "0013")
    engine = sa.create_engine(url)
    now = "2026-11-25 10:00:00.000000"
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO users (id, username, full_name, role, time_zone, password_hash, is_active, created_at) "
            "VALUES (1, 'r', 'R', 'rep', 'Asia/Yekaterinburg', 'x', 1, :now)"), {"now": now})
        connection.execute(sa.text(
            "INSERT INTO meetings (id, rep_id, client_name, client_phone, client_language, english_speaking_client,"
            " address, starts_at, ends_at, products, offers, status, created_at) VALUES (1, 1, 'C', '+79160000000',"
            " 'ru', 0, 'A', :now, :now, '[]', '[]', 'planned', :now)"), {"now": now})
        connection.execute(sa.text(
            "INSERT INTO tasks (id, owner_id, kind, state, meeting_id, title, deadline_at, remind_minutes_before,"
            " attempt, created_at) VALUES (1, 1, 'reminder_call', 'open', 1, 'T', '2026-11-25 20:00:00.000000',"
            " 15, 1, :now)"), {"now": now})
    upgrade_database(url)
    with engine.connect() as connection:
        expires_at, phone = connection.execute(sa.text("SELECT expires_at, client_phone FROM tasks")).one()
    # 20:00 UTC is 01:00 on the 26th in Yekaterinburg (+5): the 26th's 23:59:59 local is 18:59:59 UTC
    assert str(expires_at).startswith("2026-11-26 18:59:59") and phone == "+79160000000"
    downgrade_database(url, "0013")
    engine.dispose()
