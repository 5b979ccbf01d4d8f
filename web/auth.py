"""Accounts: login, logout, session expiry, password change, invitations, API tokens, and the guards.

Passwords are hashed by Werkzeug (scrypt); CSRF protection comes from
Flask-WTF. Everything that must hold across workers lives in the database
(``storage.sessions``): sessions (logout closes them for every copy of the
cookie), login attempts (the per-address rate limit and the per-account
protection). Messages never tell whether an address has an account.
"""
from __future__ import annotations

import hashlib
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from functools import wraps
from typing import Any, Callable

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

import storage

from .db import get_db

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()

# A session ends after this long without a request, and after this long at most.
IDLE_TIMEOUT = timedelta(minutes=30)
SESSION_LIFETIME = timedelta(hours=8)
# Per address, whatever the account: at most this many login attempts in a sliding minute.
LOGIN_RATE_LIMIT = 10
LOGIN_RATE_WINDOW_SECONDS = 60
# Per account and address: after this many failures in a row, that address waits before its
# next try, 1 minute then twice as long after each further failure, 15 minutes at most. The
# person's other addresses are not slowed down: an attacker cannot keep them out.
FAILURES_BEFORE_DELAY = 5
FIRST_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(minutes=15)
# Per account, whatever the address (guessing spread over many addresses): past this many
# failures in an hour, only addresses the account has logged in from before may try.
ACCOUNT_ALERT_FAILURES = 20
ACCOUNT_ALERT_WINDOW = timedelta(hours=1)
INVITATION_VALIDITY = timedelta(days=7)
MIN_PASSWORD_LENGTH = 12
# API tokens: valid this long unless their creator chooses another validity.
TOKEN_VALIDITY_DAYS = 90
TOKEN_VALIDITY_CHOICES = (30, 90, 365)
MAX_TOKEN_VALIDITY_DAYS = 365

# Checked against an unknown address too, so that both answers take the same time.
_DUMMY_HASH = generate_password_hash("not-a-password-" + secrets.token_hex(8))
GENERIC_LOGIN_ERROR = "Adresse ou mot de passe incorrect, ou compte temporairement bloqué."
RATE_LIMIT_MESSAGE = "Trop de tentatives de connexion : réessayez dans une minute."


def hash_secret(value: str) -> str:
    """Invitation links, API tokens and session ids are stored as SHA-256 digests (long random values)."""
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
def _session_hash() -> str | None:
    sid = session.get("sid")
    return hash_secret(sid) if isinstance(sid, str) and sid else None


def current_user() -> dict[str, Any] | None:
    """The logged-in user of this request (open server-side session or API token), or None."""
    if "api_user" in g:
        return g.api_user
    key = _session_hash()
    cached = g.get("user_cache")
    if cached is not None and cached[0] == key:
        return cached[1]
    user = storage.session_user(get_db(), key) if key else None
    g.user_cache = (key, user)
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
    """Record an action of the current user. A change and its audit row go in one transaction:
    call this inside the ``with storage.transaction(db):`` block of the change."""
    storage.audit(get_db(), current_user(), action, object_type, object_id, detail, request.remote_addr)


def init_app(app) -> None:
    csrf.init_app(app)

    @app.before_request
    def _idle_timeout():
        if session.get("sid"):
            last, started = session.get("seen", 0), session.get("started", 0)
            now = time.time()
            if now - last > IDLE_TIMEOUT.total_seconds() or now - started > SESSION_LIFETIME.total_seconds():
                storage.revoke_session(get_db(), _session_hash())
                session.clear()
                flash("Votre session a expiré : reconnectez-vous.", "error")
            else:
                # The idle clock lives in the signed cookie: a read writes nothing to the database.
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
        if session.get("sid") or request.path.startswith("/api/"):
            headers.setdefault("Cache-Control", "no-store")
        return response


# -- pages ----------------------------------------------------------------------
HOMES = {"cre": "cre.dashboard", "employer": "employer.needs", "buyer": "buyer.contracts", "admin": "admin.users"}


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
    """A new server-side session (any previous one of this browser is closed)."""
    previous = _session_hash()
    if previous:
        storage.revoke_session(get_db(), previous)
    sid = secrets.token_urlsafe(32)
    expires = _now() + SESSION_LIFETIME
    storage.create_session(get_db(), hash_secret(sid), user["id"], expires_at=expires.isoformat())
    session.clear()
    session.permanent = True
    session.update(sid=sid, seen=time.time(), started=time.time())
    g.pop("user_cache", None)


def _login_delayed(db, user: dict[str, Any], ip: str, attempt_id: int, at: float) -> bool:
    """Whether this address must wait before trying this account again (see the constants above)."""
    failures, last = storage.failures_in_a_row(db, user["id"], ip, before_id=attempt_id)
    if failures >= FAILURES_BEFORE_DELAY and last is not None:
        delay = min(MAX_DELAY, FIRST_DELAY * 2 ** (failures - FAILURES_BEFORE_DELAY))
        if at - last < delay.total_seconds():
            return True
    recent = storage.account_failures_since(db, user["id"], at - ACCOUNT_ALERT_WINDOW.total_seconds())
    return recent > ACCOUNT_ALERT_FAILURES and not storage.known_address(db, user["id"], ip)


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        user = current_user()
        if user:
            return redirect(home_url(user))
        return render_template("auth/login.html", email="", error=None, next=request.args.get("next", ""))
    email = (request.form.get("email") or "").strip().lower()[:200]
    password = request.form.get("password") or ""
    db = get_db()
    user = storage.user_by_email(db, email)
    ip = request.remote_addr or "inconnue"
    at = time.time()
    limit = LOGIN_RATE_LIMIT if current_app.config.get("RATELIMIT_ENABLED", True) else sys.maxsize
    attempt_id = storage.reserve_login_attempt(db, ip=ip, user_id=user and user["id"], at=at,
                                               window_seconds=LOGIN_RATE_WINDOW_SECONDS, limit=limit)
    if attempt_id is None:
        abort(429, description=RATE_LIMIT_MESSAGE)
    delayed = bool(user) and _login_delayed(db, user, ip, attempt_id, at)
    valid = check_password_hash(user["password_hash"] if user and user["password_hash"] else _DUMMY_HASH, password)
    if not user or not user["active"] or delayed or not valid:
        # Never the typed address itself: people type passwords in the wrong field.
        storage.audit(db, user, "échec de connexion", "user", user and user["id"],
                      "" if user else "adresse inconnue", ip)
        return render_template("auth/login.html", email=email, error=GENERIC_LOGIN_ERROR,
                               next=request.form.get("next", "")), 401
    with storage.transaction(db):
        storage.login_succeeded(db, attempt_id)
        db["users"].update(user["id"], {"last_login_at": _now().isoformat()})
        _start_session(user)
        storage.audit(db, user, "connexion", "user", user["id"], ip=ip)
    return redirect(_safe_next(request.form.get("next")) or home_url(user))


@bp.post("/deconnexion")
def logout():
    """Close the session on the server: a copy of the cookie no longer opens anything."""
    key = _session_hash()
    if key:
        storage.revoke_session(get_db(), key)
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
            with storage.transaction(db):
                storage.change_password(db, user["id"], generate_password_hash(password))
                _start_session(user)
                storage.audit(db, user, "activation du compte", "user", user["id"], ip=request.remote_addr)
            flash("Compte activé.", "success")
            return redirect(home_url(user))
    return render_template("auth/invitation.html", user=user, error=error), (400 if error else 200)


@bp.route("/compte", methods=["GET", "POST"])
@role_required("cre", "employer", "buyer", "admin")
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
                with storage.transaction(db):
                    storage.change_password(db, user["id"], generate_password_hash(password),
                                            keep_session=_session_hash())
                    audit("changement de mot de passe", "user", user["id"])
                flash("Mot de passe changé : vos autres sessions sont fermées et vos jetons d'API révoqués.",
                      "success")
                return redirect(url_for("auth.account"))
        elif action == "jeton":
            name = (request.form.get("name") or "").strip()[:80] or "jeton"
            days = request.form.get("days", type=int) or TOKEN_VALIDITY_DAYS
            if days not in TOKEN_VALIDITY_CHOICES:
                error = "Validité du jeton : " + ", ".join(f"{d} jours" for d in TOKEN_VALIDITY_CHOICES) + "."
            else:
                with storage.transaction(db):
                    new_token = create_api_token(db, user["id"], name, days=days)
                    audit("création de jeton d'API", "user", user["id"], f"{name} ({days} jours)")
        elif action == "revoquer":
            with storage.transaction(db):
                if storage.revoke_token(db, user["id"], request.form.get("token_id", type=int) or 0):
                    audit("révocation de jeton d'API", "user", user["id"])
                    flash("Jeton révoqué.", "success")
            return redirect(url_for("auth.account"))
        else:
            abort(400)
    return render_template("auth/account.html", user=user, error=error, new_token=new_token,
                           tokens=storage.list_tokens(db, user["id"]), roles=storage.ROLES,
                           validity_choices=TOKEN_VALIDITY_CHOICES, default_validity=TOKEN_VALIDITY_DAYS,
                           now=_now().isoformat()), (400 if error else 200)


def invite(db, *, email: str, name: str, role: str, org_id: str | None) -> str:
    """Create an account waiting for its first login; return the invitation token.

    The token reaches the invitee only (the operator's command line, later e-mail): never a
    page an administrator sees, so that an administrator cannot open the account themselves.
    """
    token = secrets.token_urlsafe(32)
    storage.create_user(db, email=email, name=name, role=role, org_id=org_id, invitation_hash=hash_secret(token),
                        invitation_expires=(_now() + INVITATION_VALIDITY).isoformat())
    return token


def renew_invitation(db, user: dict[str, Any]) -> str:
    """A new invitation link for an account that has not chosen its password yet (the old one stops working)."""
    token = secrets.token_urlsafe(32)
    storage.update_user(db, user["id"], {"invitation_hash": hash_secret(token),
                                         "invitation_expires": (_now() + INVITATION_VALIDITY).isoformat()})
    return token


def create_api_token(db, user_id: int, name: str, *, days: int = TOKEN_VALIDITY_DAYS) -> str:
    """A new API token of this user, valid ``days`` days; returns the token (only its digest is kept)."""
    token = secrets.token_urlsafe(32)
    expires = _now() + timedelta(days=days)
    storage.create_token(db, user_id, name, hash_secret(token), token[:8], expires_at=expires.isoformat())
    return token


def api_user_from_token() -> dict[str, Any] | None:
    """The user of a ``Authorization: Bearer <token>`` header, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return storage.token_owner(get_db(), hash_secret(header[len("Bearer "):].strip()))
