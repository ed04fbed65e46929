"""The "changes since" token: opaque, encrypted and authenticated, and good only for whom it was given.

A plain `v1.<seq>` token told a rep how many meeting changes the whole company made, and could be
edited into any number. This one is a Fernet token (AES-CBC + HMAC-SHA256, from `cryptography`)
over the position in the change feed and the scope it was issued for (the user, and whose meetings).
Anything that does not open to this scope (malformed, edited, another user's, another rep's filter,
signed with another key) is unusable, and an unusable token always gets the one recovery answer:
410, reload in full.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from errors import Gone

UNUSABLE = "That sync token cannot be served (malformed, too old, or not yours); reload in full: call again " \
           "without `since`."


class SyncTokens:
    def __init__(self, secret_key: str):
        key = hashlib.sha256(b"fieldrep sync tokens\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    @staticmethod
    def scope(viewer_id: int, rep_id: int | None) -> str:
        return f"{viewer_id}:{rep_id if rep_id is not None else '*'}"

    def seal(self, scope: str, position: int) -> str:
        return self._fernet.encrypt(f"{scope}|{position}".encode()).decode()

    def open(self, scope: str, token: str) -> int:
        """The feed position in `token`; raises Gone (410) for any token not issued for `scope`."""
        try:
            issued_scope, position = self._fernet.decrypt(token.encode()).decode().rsplit("|", 1)
            value = int(position)
        except (InvalidToken, ValueError, UnicodeError):
            raise Gone(UNUSABLE) from None
        if issued_scope != scope or value < 0:
            raise Gone(UNUSABLE)
        return value
