"""« Mot de passe oublié »: single-use, expiring reset links (stored as digests, like invitations)."""
from __future__ import annotations

from typing import Any

import sqlite_utils

from .accounts import change_password
from .base import Conflict, now, select, transaction


def create_password_reset(db: sqlite_utils.Database, user_id: int, token_hash: str, expires_at: str) -> int:
    with transaction(db):
        return int(db["password_resets"].insert({"user_id": user_id, "token_hash": token_hash,
                                                 "expires_at": expires_at, "created_at": now()}).last_pk)


def password_reset_by_token(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The reset of this link with its account, whatever its state (the caller checks expiry and use)."""
    rows = select(db, "users", "SELECT password_resets.id AS reset_id, password_resets.expires_at, "
                               "password_resets.used_at, users.* FROM password_resets "
                               "JOIN users ON users.id = password_resets.user_id WHERE token_hash = ?", [token_hash])
    return rows[0] if rows else None


def recent_password_resets(db: sqlite_utils.Database, user_id: int, since: str) -> int:
    return db.execute("SELECT COUNT(*) FROM password_resets WHERE user_id = ? AND created_at >= ?",
                      [user_id, since]).fetchone()[0]


def complete_password_reset(db: sqlite_utils.Database, reset_id: int, user_id: int, password_hash: str) -> str:
    """Set the new password and spend every open link of the account (one use, and older links die
    with it). As any password change: every session and API token of the account is closed, and a
    pending invitation is void. Returns the change's time."""
    with transaction(db):
        if db.execute("SELECT used_at FROM password_resets WHERE id = ?", [reset_id]).fetchone()[0]:
            raise Conflict("Ce lien a déjà servi : demandez-en un nouveau.")
        db.execute("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL",
                   [now(), user_id])
        return change_password(db, user_id, password_hash)
