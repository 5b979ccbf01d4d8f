"""Security state every worker shares: login sessions and login attempts.

Kept in the database (not in a process) so that several workers, or several
servers on one file, see the same state: a session closed in one worker is
closed in all of them, and the login rate limit counts every worker's attempts.
"""
from __future__ import annotations

from typing import Any

import sqlite_utils

from .base import now, select, transaction

# Login attempts are kept this long (the "known address" rule reads successes this far back).
LOGIN_HISTORY_SECONDS = 90 * 24 * 3600


# -- sessions ---------------------------------------------------------------------
def create_session(db: sqlite_utils.Database, session_hash: str, user_id: int, *, expires_at: str) -> None:
    """Open a session; only the digest of the cookie's random id is stored."""
    with transaction(db):
        db.execute("DELETE FROM sessions WHERE expires_at < ? OR revoked_at IS NOT NULL", [now()])
        db["sessions"].insert({"id": session_hash, "user_id": user_id, "created_at": now(),
                               "expires_at": expires_at})


def session_user(db: sqlite_utils.Database, session_hash: str) -> dict[str, Any] | None:
    """The active user of an open, unexpired session, or None."""
    rows = select(db, "users", "SELECT users.* FROM sessions JOIN users ON users.id = sessions.user_id "
                              "WHERE sessions.id = ? AND sessions.revoked_at IS NULL AND sessions.expires_at > ? "
                              "AND users.active = 1", [session_hash, now()])
    return rows[0] if rows else None


def revoke_session(db: sqlite_utils.Database, session_hash: str) -> None:
    with transaction(db):
        db.execute("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [now(), session_hash])


def revoke_sessions(db: sqlite_utils.Database, user_id: int, *, keep: str | None = None) -> int:
    """Close every session of an account (but ``keep``); return how many were open."""
    with transaction(db):
        cursor = db.execute("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL "
                            "AND id IS NOT ?", [now(), user_id, keep])
        return cursor.rowcount


# -- login attempts -----------------------------------------------------------------
def reserve_login_attempt(db: sqlite_utils.Database, *, ip: str, user_id: int | None, at: float,
                          window_seconds: float, limit: int) -> int | None:
    """Count this address's attempts in the last ``window_seconds`` and, below ``limit``, record
    this one (as a failure until ``login_succeeded``); return its id, or None when over the limit.

    Count and record happen under the write lock, so workers racing each other cannot let
    more than ``limit`` attempts through.
    """
    with transaction(db):
        recent = db.execute("SELECT COUNT(*) FROM login_attempts WHERE ip = ? AND at > ?",
                            [ip, at - window_seconds]).fetchone()[0]
        if recent >= limit:
            return None
        attempt_id = int(db["login_attempts"].insert({"at": at, "ip": ip, "user_id": user_id, "ok": 0}).last_pk)
        if attempt_id % 100 == 0:  # now and then, forget what is too old to matter
            db.execute("DELETE FROM login_attempts WHERE at < ?", [at - LOGIN_HISTORY_SECONDS])
        return attempt_id


def login_succeeded(db: sqlite_utils.Database, attempt_id: int) -> None:
    db["login_attempts"].update(attempt_id, {"ok": 1})


def failures_in_a_row(db: sqlite_utils.Database, user_id: int, ip: str, *, before_id: int) -> tuple[int, float | None]:
    """Failures of this account from this address since its last success there (attempts before
    ``before_id``), and the time of the last one."""
    row = db.execute(
        "SELECT COUNT(*), MAX(at) FROM login_attempts WHERE user_id = ? AND ip = ? AND ok = 0 AND id < ? AND id > "
        "COALESCE((SELECT MAX(id) FROM login_attempts WHERE user_id = ? AND ip = ? AND ok = 1), 0)",
        [user_id, ip, before_id, user_id, ip]).fetchone()
    return int(row[0]), row[1]


def account_failures_since(db: sqlite_utils.Database, user_id: int, since: float) -> int:
    """Failed logins of an account from any address since ``since`` (epoch seconds)."""
    return db.execute("SELECT COUNT(*) FROM login_attempts WHERE user_id = ? AND ok = 0 AND at > ?",
                      [user_id, since]).fetchone()[0]


def known_address(db: sqlite_utils.Database, user_id: int, ip: str) -> bool:
    """Whether this account has logged in successfully from this address (within the kept history)."""
    return db.execute("SELECT 1 FROM login_attempts WHERE user_id = ? AND ip = ? AND ok = 1 LIMIT 1",
                      [user_id, ip]).fetchone() is not None
