"""« Mot de passe oublié »: a reset link sent by e-mail, single-use and valid one hour.

The answer to a request is the same whether the address has an account or not (no account
enumeration); requests are limited per address and per account. Using the link sets the password,
unlocks the account and closes its other sessions (``password_changed_at`` changes).
"""
from __future__ import annotations

import secrets
import sys
import time
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.security import generate_password_hash

import storage
from notifications import events

from .auth import LOGIN_RATE_LIMIT, LOGIN_RATE_WINDOW_SECONDS, hash_secret, password_problem
from .db import get_db

bp = Blueprint("password_reset", __name__)

RESET_VALIDITY = timedelta(hours=1)
# Per account: a mailbox is not flooded by someone typing another person's address.
MAX_RESETS_PER_HOUR = 3
SENT_MESSAGE = ("Si un compte existe pour cette adresse, un courriel vient de lui être envoyé avec un lien "
                "valable une heure pour choisir un nouveau mot de passe.")
INVALID_MESSAGE = "Ce lien n'est pas valide, a expiré ou a déjà servi : demandez-en un nouveau."


def _now() -> datetime:
    return datetime.now(timezone.utc)


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def request_reset():
    if request.method == "GET":
        return render_template("auth/forgot.html", email="")
    email = (request.form.get("email") or "").strip().lower()[:200]
    db = get_db()
    # A request counts in the address's login attempts (same window and limit, shared by the
    # workers); it is tied to no account, so it never slows down the account's own logins.
    limit = LOGIN_RATE_LIMIT if current_app.config.get("RATELIMIT_ENABLED", True) else sys.maxsize
    if storage.reserve_login_attempt(db, ip=request.remote_addr or "inconnue", user_id=None, at=time.time(),
                                     window_seconds=LOGIN_RATE_WINDOW_SECONDS, limit=limit) is None:
        abort(429, description="Trop de demandes : réessayez dans une minute.")
    user = storage.user_by_email(db, email) if "@" in email else None
    since = (_now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    if user and user["active"] and storage.recent_password_resets(db, user["id"], since) < MAX_RESETS_PER_HOUR:
        token = secrets.token_urlsafe(32)
        with storage.transaction(db):
            storage.create_password_reset(db, user["id"], hash_secret(token),
                                          (_now() + RESET_VALIDITY).replace(microsecond=0).isoformat())
            events.password_reset(db, user, token, minutes=int(RESET_VALIDITY.total_seconds() // 60))
        storage.audit(db, user, "demande de réinitialisation du mot de passe", "user", user["id"],
                      ip=request.remote_addr)
    flash(SENT_MESSAGE, "success")
    return redirect(url_for("auth.login"))


@bp.route("/mot-de-passe-oublie/<token>", methods=["GET", "POST"])
def reset(token: str):
    db = get_db()
    found = storage.password_reset_by_token(db, hash_secret(token))
    if (not found or found["used_at"] or not found["active"]
            or datetime.fromisoformat(found["expires_at"]) < _now()):
        return render_template("errors/error.html", code=404, title="Lien invalide", message=INVALID_MESSAGE), 404
    error = None
    if request.method == "POST":
        password = request.form.get("password") or ""
        error = password_problem(password, found["email"]) or (
            None if password == request.form.get("confirm") else "Les deux mots de passe ne sont pas identiques.")
        if not error:
            try:
                storage.complete_password_reset(db, found["reset_id"], found["id"], generate_password_hash(password))
            except storage.Conflict:
                return render_template("errors/error.html", code=404, title="Lien invalide",
                                       message=INVALID_MESSAGE), 404
            storage.audit(db, found, "réinitialisation du mot de passe", "user", found["id"], ip=request.remote_addr)
            flash("Mot de passe changé : connectez-vous avec le nouveau.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", email=found["email"], error=error), (400 if error else 200)
