"""Notifications (the in-app list), the e-mail queue, each user's preferences, and the marks of
periodic jobs (what ``run-jobs`` already did, so that it acts once however often it runs)."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

import sqlite_utils

from .base import encode_row, get_row, now, select, transaction

# States of a queued mail: waiting (or waiting for a retry), being sent by a worker, sent, given up.
MAIL_PENDING = "en_attente"
MAIL_SENDING = "envoi"
MAIL_SENT = "envoye"
MAIL_FAILED = "echec"
MAIL_STATUSES = {MAIL_PENDING: "En attente", MAIL_SENDING: "En cours d'envoi", MAIL_SENT: "Envoyé",
                 MAIL_FAILED: "Échec"}
# What replaces a mail's content once sent when it carried a secret (invitation, password reset).
SCRUBBED = "(contenu effacé après l'envoi : il portait un lien personnel)"


# -- recipients ------------------------------------------------------------------
def org_members(db: sqlite_utils.Database, org_id: str | None, *, role: str | None = None) -> list[dict[str, Any]]:
    """The active accounts of an organisation (those an organisation's notification goes to)."""
    if not org_id:
        return []
    sql = "SELECT * FROM users WHERE org_id = ? AND active = 1"
    params: list[Any] = [org_id]
    if role:
        sql += " AND role = ?"
        params.append(role)
    return select(db, "users", sql + " ORDER BY id", params)


def users_with_role(db: sqlite_utils.Database, role: str) -> list[dict[str, Any]]:
    return select(db, "users", "SELECT * FROM users WHERE role = ? AND active = 1 ORDER BY id", [role])


# -- the in-app list -----------------------------------------------------------------
def add_notification(db: sqlite_utils.Database, *, user_id: int, org_id: str | None, kind: str, title: str,
                     link: str, context: Mapping[str, Any], object_type: str | None, object_id: Any,
                     delivery: str) -> int:
    """One event for one recipient. ``delivery``: how its mail goes (immediate, digest, none)."""
    return int(db["notifications"].insert(encode_row("notifications", {
        "user_id": user_id, "org_id": org_id, "kind": kind, "title": title, "link": link,
        "context": dict(context), "object_type": object_type,
        "object_id": None if object_id is None else str(object_id), "delivery": delivery, "created_at": now(),
    })).last_pk)


def list_notifications(db: sqlite_utils.Database, user_id: int, *, limit: int = 100,
                       unread_only: bool = False) -> list[dict[str, Any]]:
    sql = "SELECT * FROM notifications WHERE user_id = ?" + (" AND read_at IS NULL" if unread_only else "")
    return select(db, "notifications", sql + " ORDER BY id DESC LIMIT ?", [user_id, limit])


def unread_count(db: sqlite_utils.Database, user_id: int) -> int:
    return db.execute("SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL",
                      [user_id]).fetchone()[0]


def get_notification(db: sqlite_utils.Database, user_id: int, notification_id: int) -> dict[str, Any] | None:
    """A notification of this user (None for another user's: nobody reads another's list)."""
    rows = select(db, "notifications", "SELECT * FROM notifications WHERE id = ? AND user_id = ?",
                  [notification_id, user_id])
    return rows[0] if rows else None


def mark_read(db: sqlite_utils.Database, user_id: int, notification_id: int | None = None) -> int:
    """Mark one notification (or all of the user's) as read; return how many changed."""
    with transaction(db):
        sql = "UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL"
        params: list[Any] = [now(), user_id]
        if notification_id is not None:
            sql += " AND id = ?"
            params.append(notification_id)
        return db.execute(sql, params).rowcount


def notifications_of_mail(db: sqlite_utils.Database, mail_id: int) -> list[dict[str, Any]]:
    return select(db, "notifications", "SELECT * FROM notifications WHERE mail_id = ? ORDER BY id", [mail_id])


def pending_digests(db: sqlite_utils.Database, delivery: str) -> dict[int, list[dict[str, Any]]]:
    """Notifications waiting for their recipient's digest (``delivery``: the digest mode), by user."""
    rows = select(db, "notifications", "SELECT * FROM notifications WHERE delivery = ? AND mail_id IS NULL "
                                       "ORDER BY user_id, id", [delivery])
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["user_id"], []).append(row)
    return out


# -- preferences -----------------------------------------------------------------
def notification_settings(db: sqlite_utils.Database, user_id: int, org_id: str | None) -> dict[str, str]:
    """The modes a user chose, per kind, for this organisation (kinds never chosen are absent)."""
    rows = db.execute("SELECT kind, mode FROM notification_settings WHERE user_id = ? AND org_id = ?",
                      [user_id, org_id or ""]).fetchall()
    return {kind: mode for kind, mode in rows}


def save_notification_settings(db: sqlite_utils.Database, user_id: int, org_id: str | None,
                               modes: Mapping[str, str]) -> None:
    with transaction(db):
        for kind, mode in modes.items():
            db["notification_settings"].upsert({"user_id": user_id, "org_id": org_id or "", "kind": kind,
                                                "mode": mode}, pk=("user_id", "org_id", "kind"))


# -- the mail queue --------------------------------------------------------------
def enqueue_mail(db: sqlite_utils.Database, *, kind: str, to_addr: str, context: Mapping[str, Any],
                 user_id: int | None = None, secret: bool = False,
                 notification_ids: Iterable[int] = ()) -> int:
    """Queue one message (rendered and sent by the worker); link the notifications it carries."""
    with transaction(db):
        stamp = now()
        mail_id = int(db["mail_queue"].insert(encode_row("mail_queue", {
            "kind": kind, "user_id": user_id, "to_addr": to_addr, "context": dict(context), "status": MAIL_PENDING,
            "attempts": 0, "next_attempt_at": stamp, "secret": int(secret), "created_at": stamp,
        })).last_pk)
        for notification_id in notification_ids:
            db["notifications"].update(notification_id, {"mail_id": mail_id})
        return mail_id


def get_mail(db: sqlite_utils.Database, mail_id: int) -> dict[str, Any]:
    return get_row(db, "mail_queue", mail_id)


def claim_due_mails(db: sqlite_utils.Database, *, at: str, stale_before: str, limit: int = 100) -> list[dict[str, Any]]:
    """Take the mails due for sending (pending and due, or claimed by a worker that died before
    ``stale_before``): marked as being sent in one transaction, so two workers never send the same mail."""
    with transaction(db):
        rows = select(db, "mail_queue",
                      "SELECT * FROM mail_queue WHERE (status = ? AND next_attempt_at <= ?) "
                      "OR (status = ? AND claimed_at < ?) ORDER BY id LIMIT ?",
                      [MAIL_PENDING, at, MAIL_SENDING, stale_before, limit])
        for row in rows:
            db["mail_queue"].update(row["id"], {"status": MAIL_SENDING, "claimed_at": at})
        return rows


def save_rendered_mail(db: sqlite_utils.Database, mail_id: int, *, subject: str, message: str) -> None:
    """Keep the message as first rendered: a retry sends the very same bytes (same Message-ID)."""
    with transaction(db):
        db["mail_queue"].update(mail_id, {"subject": subject, "message": message})


def mark_mail_sent(db: sqlite_utils.Database, mail_id: int, *, eml_path: str | None = None) -> None:
    with transaction(db):
        row = get_row(db, "mail_queue", mail_id)
        update: dict[str, Any] = {"status": MAIL_SENT, "sent_at": now(), "attempts": (row["attempts"] or 0) + 1,
                                  "last_error": None, "eml_path": eml_path, "claimed_at": None}
        if row["secret"]:
            # Delivered (or written to the outbox): the personal link need not stay in the database.
            update.update(message=SCRUBBED, context="{}")
        db["mail_queue"].update(mail_id, update)


def mark_mail_failed(db: sqlite_utils.Database, mail_id: int, *, error: str, retry_at: str | None) -> int:
    """Record a failed attempt: retried at ``retry_at``, or given up when it is None. Returns the attempts."""
    with transaction(db):
        row = get_row(db, "mail_queue", mail_id)
        attempts = (row["attempts"] or 0) + 1
        db["mail_queue"].update(mail_id, {
            "attempts": attempts, "last_error": error[:500], "claimed_at": None,
            "status": MAIL_PENDING if retry_at else MAIL_FAILED, "next_attempt_at": retry_at or row["next_attempt_at"],
        })
        return attempts


def retry_mail(db: sqlite_utils.Database, mail_id: int) -> bool:
    """An operator sends a failed mail again (attempts start over)."""
    with transaction(db):
        row = get_row(db, "mail_queue", mail_id)
        if row["status"] != MAIL_FAILED:
            return False
        db["mail_queue"].update(mail_id, {"status": MAIL_PENDING, "attempts": 0, "next_attempt_at": now(),
                                          "last_error": row["last_error"]})
        return True


def list_mails(db: sqlite_utils.Database, *, status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    sql = "SELECT * FROM mail_queue" + (" WHERE status = ?" if status else "") + " ORDER BY id DESC LIMIT ?"
    return select(db, "mail_queue", sql, [status, limit] if status else [limit])


def mail_counts(db: sqlite_utils.Database) -> dict[str, int]:
    counts = dict.fromkeys(MAIL_STATUSES, 0)
    counts.update({s: n for s, n in db.execute("SELECT status, COUNT(*) FROM mail_queue GROUP BY status")})
    return counts


# -- marks of periodic jobs ------------------------------------------------------
def mark_job_done(db: sqlite_utils.Database, kind: str, key: str) -> bool:
    """Record that a job acted on ``key`` (a reminder for proposal 12…); False if it already had.

    Call inside the transaction that does the action: the mark and the action stand or fall together.
    """
    with transaction(db):
        cursor = db.execute("INSERT OR IGNORE INTO job_marks (kind, key, at) VALUES (?, ?, ?)",
                            [kind, str(key), now()])
        return cursor.rowcount == 1


def job_done(db: sqlite_utils.Database, kind: str, key: str) -> bool:
    return db.execute("SELECT 1 FROM job_marks WHERE kind = ? AND key = ?", [kind, str(key)]).fetchone() is not None
