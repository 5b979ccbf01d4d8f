"""Accounts, API tokens and the audit log."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import sqlite_utils

from .base import Conflict, NotFound, check_version, get_row, next_version, now, select, transaction
from .organisations import get_organisation

ROLES = {"cre": "CRE / CIP", "employer": "Employeur", "buyer": "Acheteur / facilitateur", "admin": "Administrateur"}
ROLE_ORG_KIND = {"cre": "siae", "employer": "employer", "buyer": "buyer", "admin": None}

# A token's last use is written at most this often: reading the API must not write on every request.
TOKEN_USE_RESOLUTION = timedelta(hours=1)


def create_user(db: sqlite_utils.Database, *, email: str, name: str, role: str, org_id: str | None,
                password_hash: str | None = None, invitation_hash: str | None = None,
                invitation_expires: str | None = None) -> int:
    if role not in ROLES:
        raise Conflict(f"Rôle inconnu : {role}")
    kind = ROLE_ORG_KIND[role]
    if kind is not None:
        try:
            org = get_organisation(db, org_id or "")
        except NotFound:
            raise Conflict(f"Organisation inconnue : {org_id}") from None
        if org["kind"] != kind:
            raise Conflict(f"Un compte « {ROLES[role]} » appartient à une organisation de type {kind}")
    elif org_id:
        raise Conflict("Un administrateur n'appartient à aucune organisation")
    try:
        with transaction(db):
            return int(db["users"].insert({
                "email": email.strip().lower(), "name": name, "role": role, "org_id": org_id if kind else None,
                "password_hash": password_hash, "invitation_hash": invitation_hash,
                "invitation_expires": invitation_expires, "active": 1, "failed_logins": 0, "created_at": now(),
                "password_changed_at": now() if password_hash else None, "version": 1}).last_pk)
    except sqlite3.IntegrityError as exc:
        raise Conflict(f"Un compte existe déjà pour {email}") from exc


def get_user(db: sqlite_utils.Database, user_id: int) -> dict[str, Any]:
    return get_row(db, "users", user_id)


def user_by_email(db: sqlite_utils.Database, email: str) -> dict[str, Any] | None:
    rows = select(db, "users", "SELECT * FROM users WHERE email = ?", [(email or "").strip().lower()])
    return rows[0] if rows else None


def user_by_invitation(db: sqlite_utils.Database, invitation_hash: str) -> dict[str, Any] | None:
    rows = select(db, "users", "SELECT * FROM users WHERE invitation_hash = ?", [invitation_hash])
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return select(db, "users", "SELECT users.*, organisations.name AS org_name FROM users "
                              "LEFT JOIN organisations ON organisations.id = users.org_id ORDER BY users.email")


def update_user(db: sqlite_utils.Database, user_id: int, data: Mapping[str, Any], *,
                expected_version: int | None = None) -> int:
    """Change an account; return its new version (``StaleVersion`` if ``expected_version`` is not current)."""
    with transaction(db):
        current = get_row(db, "users", user_id)
        check_version(current, expected_version, "ce compte")
        version = next_version(current)
        db["users"].update(user_id, {**data, "version": version})
        return version


def change_password(db: sqlite_utils.Database, user_id: int, password_hash: str, *, keep_session: str | None = None
                    ) -> str:
    """Set a new password: every API token of the account is revoked and every session but
    ``keep_session`` (the digest of the one that made the change) is closed. Returns the change's time."""
    from .sessions import revoke_sessions

    stamp = now()
    with transaction(db):
        update_user(db, user_id, {"password_hash": password_hash, "password_changed_at": stamp,
                                  "invitation_hash": None, "invitation_expires": None})
        db.execute("UPDATE api_tokens SET revoked = 1 WHERE user_id = ? AND revoked = 0", [user_id])
        revoke_sessions(db, user_id, keep=keep_session)
    return stamp


def create_token(db: sqlite_utils.Database, user_id: int, name: str, token_hash: str, prefix: str, *,
                 expires_at: str) -> int:
    with transaction(db):
        return int(db["api_tokens"].insert({"user_id": user_id, "name": name, "token_hash": token_hash,
                                            "prefix": prefix, "created_at": now(), "revoked": 0,
                                            "expires_at": expires_at}).last_pk)


def token_owner(db: sqlite_utils.Database, token_hash: str) -> dict[str, Any] | None:
    """The active user of an unrevoked, unexpired token, or None.

    The token's last use is recorded at most once per ``TOKEN_USE_RESOLUTION``, so that reads
    through the API do not each take the database's write lock.
    """
    rows = select(db, "users", "SELECT users.*, api_tokens.id AS token_id, api_tokens.last_used_at AS token_used_at, "
                              "api_tokens.expires_at AS token_expires_at FROM api_tokens "
                              "JOIN users ON users.id = api_tokens.user_id "
                              "WHERE api_tokens.token_hash = ? AND api_tokens.revoked = 0 AND users.active = 1",
                 [token_hash])
    if not rows:
        return None
    user = rows[0]
    moment = datetime.now(timezone.utc)
    if not user["token_expires_at"] or datetime.fromisoformat(user["token_expires_at"]) <= moment:
        return None
    used = user["token_used_at"]
    if not used or datetime.fromisoformat(used) <= moment - TOKEN_USE_RESOLUTION:
        try:
            with transaction(db):
                db["api_tokens"].update(user["token_id"], {"last_used_at": now()})
        except sqlite3.OperationalError:
            pass  # bookkeeping only: a busy database must not fail the request itself
    return user


def list_tokens(db: sqlite_utils.Database, user_id: int) -> list[dict[str, Any]]:
    return select(db, "api_tokens", "SELECT id, name, prefix, created_at, last_used_at, expires_at, revoked "
                                   "FROM api_tokens WHERE user_id = ? ORDER BY id", [user_id])


def revoke_token(db: sqlite_utils.Database, user_id: int, token_id: int) -> bool:
    with transaction(db):
        rows = select(db, "api_tokens", "SELECT * FROM api_tokens WHERE id = ? AND user_id = ?", [token_id, user_id])
        if not rows:
            return False
        db["api_tokens"].update(token_id, {"revoked": 1})
        return True


def audit(db: sqlite_utils.Database, user: Mapping[str, Any] | None, action: str, object_type: str,
          object_id: Any = None, detail: str = "", ip: str | None = None) -> None:
    """Record who viewed or changed sensitive data.

    Call it inside the transaction of the change it records (``with transaction(db):`` around
    both): the change and its audit row are stored together or not at all. Alone, it is its own
    transaction (a view of data).
    """
    user = user or {}
    with transaction(db):
        db["audit_log"].insert({
            "at": now(), "user_id": user.get("id"), "user_email": user.get("email"), "role": user.get("role"),
            "org_id": user.get("org_id"), "action": action, "object_type": object_type,
            "object_id": None if object_id is None else str(object_id), "detail": detail, "ip": ip})


def audit_entries(db: sqlite_utils.Database, *, object_type: str | None = None, object_id: Any = None,
                  limit: int = 500) -> list[dict[str, Any]]:
    where, params = ["1 = 1"], []
    if object_type:
        where.append("object_type = ?")
        params.append(object_type)
    if object_id is not None:
        where.append("object_id = ?")
        params.append(str(object_id))
    return select(db, "audit_log", f"SELECT * FROM audit_log WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?",
                 [*params, limit])
