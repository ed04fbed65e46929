"""Changes to meetings need If-Match with the ETag read before (428 without it)."""

from __future__ import annotations


def if_match(client, headers: dict[str, str], meeting_id: int) -> dict[str, str]:
    """`headers` plus If-Match with the meeting's current ETag, read as the app would read it."""
    response = client.get(f"/api/v1/meetings/{meeting_id}", headers=headers)
    assert response.status_code == 200, response.json
    return {**headers, "If-Match": response.headers["ETag"]}
