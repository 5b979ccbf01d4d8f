"""Accounts: login, logout, session expiry, password change, invitations, API tokens, and the guards.

Passwords are hashed by Werkzeug (scrypt); CSRF protection comes from
Flask-WTF; login attempts are rate-limited by Flask-Limiter per address and
locked per account after repeated failures. Messages never tell whether an
address has an account.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any, Callable

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

import storage

from .db import get_db

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
limiter = Limiter(get_remote_address, storage_uri="memory://", default_limits=[])

# A session ends after this long without a request, and after this long at most.
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=8)
# After this many failed logins in a row, the account is locked for a while.
MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
# Per address, whatever the account: slows down password guessing.
LOGIN_RATE_LIMIT = "10 per minute"
INVITATION_VALIDITY = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12

# Checked against an unknown address too, so that both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8))
GENERIC_LOGIN_ERROR = "Adresse ou mot de passe incorrect, ou compte temporairement bloqué."


def hash_secret(value: str) -> str:
    """Invitation links and API tokens are stored as SHA-256 digests (they are long random values)."""
    return hashlib.sha256(value.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def password_problem(password: str, email: str = "") -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit faire au moins {MIN_PASSWORD_LENGTH} caractères."
    if email and password.lower() == email.lower():
        return "Le mot de passe ne peut pas être votre adresse."
    return None


# -- the current user -----------------------------------------------------------
def current_user() -> dict[str, Any] | None:
    """The logged-in user of this request (session or API token), or None."""
    if "api_user" in g:
        return g.api_user
    user_id = session.get("user_id")
    cached = g.get("user_cache")
    if cached is not None and cached[0] == user_id:
        return cached[1]
    user = None
    if user_id:
        try:
            user = storage.get_user(get_db(), user_id)
        except storage.NotFound:
            user = None
        if user and (not user["active"] or user.get("password_changed_at") != session.get("password_changed_at")):
            user = None  # deactivated, or the password changed since this session began
    g.user_cache = (user_id, user)
    return user


def current_org() -> dict[str, Any] | None:
    user = current_user()
    if not user or not user.get("org_id"):
        return None
    cached = g.get("org_cache")
    if cached is None or cached[0] != user["org_id"]:
        g.org_cache = cached = (user["org_id"], storage.get_organisation(get_db(), user["org_id"]))
    return cached[1]


def role_required(*roles: str) -> Callable:
    """Pages of a space: log in first; a user of another role gets 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
            if user["role"] not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def audit(action: str, object_type: str, object_id: Any = None, detail: str = "") -> None:
    storage.audit(get_db(), current_user(), action, object_type, object_id, detail, request.remote_addr)


def init_app(app) -> None:
    csrf.init_app(app)
    limiter.init_app(app)

    @app.before_request
    def _idle_timeout():
        if session.get("user_id"):
            last, started = session.get("seen", 0), session.get("started", 0)
            now = time.time()
            if now - last > IDLE_TIMEOUT.total_seconds() or now - started > SESSION_LIFETIME.total_seconds():
                session.clear()
                flash("Votre session a expiré : reconnectez-vous.", "error")
            else:
                session["seen"] = time.time()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy",
                           "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
                           "object-src 'none'")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if current_app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if session.get("user_id") or request.path.startswith("/api/"):
            headers.setdefault("Cache-Control", "no-store")
        return response


# -- pages ----------------------------------------------------------------------
HOMES = {"cre": "cre.dashboard", "direction": "diagnostic.diagnostic", "employer": "employer.needs",
         "buyer": "buyer.contracts", "admin": "admin.users"}


def home_url(user: dict[str, Any]) -> str:
    return url_for(HOMES[user["role"]])


def _safe_next(target: str | None) -> str | None:
    # Only local paths: never an open redirect to another site. Control characters are refused too:
    # Werkzeug and browsers drop tabs and newlines from a URL, so "/\t/site.example" would become
    # "//site.example" (and a newline would make the Location header fail).
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return target
    return None


def _start_session(user: dict[str, Any]) -> None:
    session.clear()
    session.permanent = True
    session.update(user_id=user["id"], seen=time.time(), started=time.time(),
                   password_changed_at=user.get("password_changed_at"))


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit(LOGIN_RATE_LIMIT, methods=["POST"],
               error_message="Trop de tentatives de connexion : réessayez dans une minute.")
def login():
    if request.method == "GET":
        user = current_user()
        if user:
            return redirect(home_url(user))
        return render_template("auth/login.html", email="", error=None, next=request.args.get("next", ""))
    email = (request.form.get("email") or "").strip().lower()
    password = request.form.get("password") or ""
    db = get_db()
    user = storage.user_by_email(db, email)
    now = _now()
    locked = bool(user and user.get("locked_until") and datetime.fromisoformat(user["locked_until"]) > now)
    valid = check_password_hash(user["password_hash"] if user and user["password_hash"] else _DUMMY_HASH, password)
    if not user or not user["active"] or locked or not valid:
        if user and not locked and not valid:
            failures = (user["failed_logins"] or 0) + 1
            update = {"failed_logins": failures}
            if failures >= MAX_FAILED_LOGINS:
                update.update(failed_logins=0, locked_until=(now + LOCK_DURATION).isoformat())
            storage.update_user(db, user["id"], update)
        # Never the typed address itself: people type passwords in the wrong field.
        storage.audit(db, user, "échec de connexion", "user", user and user["id"],
                      "" if user else "adresse inconnue", request.remote_addr)
        return render_template("auth/login.html", email=email, error=GENERIC_LOGIN_ERROR,
                               next=request.form.get("next", "")), 401
    storage.update_user(db, user["id"], {"failed_logins": 0, "locked_until": None, "last_login_at": now.isoformat()})
    _start_session(user)
    storage.audit(db, user, "connexion", "user", user["id"], ip=request.remote_addr)
    return redirect(_safe_next(request.form.get("next")) or home_url(user))


@bp.post("/deconnexion")
def logout():
    session.clear()
    flash("Vous êtes déconnecté(e).", "success")
    return redirect(url_for("auth.login"))


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """First login: the invited person chooses a password through the link an administrator sent."""
    db = get_db()
    user = storage.user_by_invitation(db, hash_secret(token))
    if not user or not user.get("invitation_expires") or datetime.fromisoformat(user["invitation_expires"]) < _now():
        return render_template("errors/error.html", code=404, title="Invitation invalide",
                               message="Ce lien d'invitation n'est pas valide ou a expiré : demandez-en un nouveau "
                                       "à votre administrateur."), 404
    error = None
    if request.method == "POST":
        password, confirm = request.form.get("password") or "", request.form.get("confirm") or ""
        error = password_problem(password, user["email"]) or (None if password == confirm else
                                                               "Les deux mots de passe ne sont pas identiques.")
        if not error:
            stamp = _now().isoformat()
            storage.update_user(db, user["id"], {"password_hash": generate_password_hash(password),
                                                 "invitation_hash": None, "invitation_expires": None,
                                                 "password_changed_at": stamp})
            _start_session({**user, "password_changed_at": stamp})
            storage.audit(db, user, "activation du compte", "user", user["id"], ip=request.remote_addr)
            flash("Compte activé.", "success")
            return redirect(home_url(user))
    return render_template("auth/invitation.html", user=user, error=error), (400 if error else 200)


@bp.route("/compte", methods=["GET", "POST"])
@role_required(*storage.ROLES)
def account():
    user = current_user()
    db = get_db()
    error = new_token = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "mot_de_passe":
            current, password = request.form.get("current") or "", request.form.get("password") or ""
            if not check_password_hash(user["password_hash"] or _DUMMY_HASH, current):
                error = "Mot de passe actuel incorrect."
            else:
                error = password_problem(password, user["email"]) or (
                    None if password == request.form.get("confirm") else "Les deux mots de passe ne sont pas identiques.")
            if not error:
                stamp = _now().isoformat()
                storage.update_user(db, user["id"], {"password_hash": generate_password_hash(password),
                                                     "password_changed_at": stamp})
                _start_session({**user, "password_changed_at": stamp})
                audit("changement de mot de passe", "user", user["id"])
                flash("Mot de passe changé : vos autres sessions sont fermées.", "success")
                return redirect(url_for("auth.account"))
        elif action == "jeton":
            name = (request.form.get("name") or "").strip()[:80] or "jeton"
            new_token = secrets.token_urlsafe(32)
            storage.create_token(db, user["id"], name, hash_secret(new_token), new_token[:8])
            audit("création de jeton d'API", "user", user["id"], name)
        elif action == "revoquer":
            if storage.revoke_token(db, user["id"], request.form.get("token_id", type=int) or 0):
                audit("révocation de jeton d'API", "user", user["id"])
                flash("Jeton révoqué.", "success")
            return redirect(url_for("auth.account"))
        else:
            abort(400)
    return render_template("auth/account.html", user=user, error=error, new_token=new_token,
                           tokens=storage.list_tokens(db, user["id"]), roles=storage.ROLES), (400 if error else 200)


def invite(db, *, email: str, name: str, role: str, org_id: str | None) -> str:
    """Create an account waiting for its first login; return the invitation token (shown once)."""
    token = secrets.token_urlsafe(32)
    storage.create_user(db, email=email, name=name, role=role, org_id=org_id, invitation_hash=hash_secret(token),
                        invitation_expires=(_now() + INVITATION_VALIDITY).isoformat())
    return token


def api_user_from_token() -> dict[str, Any] | None:
    """The user of a ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return storage.token_owner(get_db(), hash_secret(header[len("Bearer "):].strip()))
