"""Passerelle web application: ``create_app()`` wires configuration, blueprints, commands and error pages."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError


def _secret_key(instance_path: str) -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the instance folder."""
    if os.environ.get("PASSERELLE_SECRET_KEY"):
        return os.environ["PASSERELLE_SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            # Created whole and private at once: two processes starting together keep the same key.
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text(encoding="utf-8").strip()


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    if not value.isdigit():
        raise ValueError(f"{name} : nombre entier attendu, pas « {value} »")
    return int(value)


def create_app(test_config: dict | None = None) -> Flask:
    import jobs
    from notifications import mailer

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        # E-mail: SMTP when set (smtp://host:port, smtps://user:password@host), else .eml files in MAIL_OUTBOX.
        SMTP_URL=os.environ.get("PASSERELLE_SMTP_URL") or None,
        MAIL_FROM=os.environ.get("PASSERELLE_MAIL_FROM") or mailer.DEFAULT_FROM,
        MAIL_OUTBOX=os.environ.get("PASSERELLE_OUTBOX") or str(Path(app.instance_path) / "outbox"),
        # Where the links of the mails point (the address users type to reach Passerelle).
        BASE_URL=os.environ.get("PASSERELLE_BASE_URL") or mailer.DEFAULT_BASE_URL,
        DIGEST_HOUR=_int_env("PASSERELLE_DIGEST_HOUR", mailer.DIGEST_HOUR),
        REMINDER_DAYS=_int_env("PASSERELLE_REMINDER_DAYS", jobs.REMINDER_DAYS),
        AUTO_CLOSE_DAYS=_int_env("PASSERELLE_AUTO_CLOSE_DAYS", jobs.AUTO_CLOSE_DAYS),
        STALE_NEED_DAYS=_int_env("PASSERELLE_STALE_NEED_DAYS", jobs.STALE_NEED_DAYS),
        DATABASE=os.environ.get("PASSERELLE_DATABASE", str(Path(app.instance_path) / "passerelle.sqlite")),
        TAXONOMY_DIR=os.environ.get("PASSERELLE_TAXONOMY") or None,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,  # CSV imports: 5 MB is tens of thousands of lines
        # Session cookie: HTTPS only (browsers accept it on http://localhost too), not readable by scripts.
        SESSION_COOKIE_SECURE=os.environ.get("PASSERELLE_INSECURE_COOKIES") != "1",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        # The login rate limit (10 attempts a minute per address, web/auth.py); tests switch it off.
        RATELIMIT_ENABLED=True,
        # Who answers accessibility requests (the statement's contact).
        ACCESSIBILITY_CONTACT=os.environ.get("PASSERELLE_ACCESSIBILITY_CONTACT", "accessibilite@passerelle.fr"),
    )
    if test_config:
        app.config.update(test_config)
    if "SECRET_KEY" not in app.config or not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)
    app.json.ensure_ascii = False
    if os.environ.get("PASSERELLE_PROXY_FIX") == "1":
        # Behind one reverse proxy: client address and scheme from X-Forwarded-* (rate limits, links).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    import aftercare
    import storage
    from notifications import events
    from web import (admin, api, auth, buyer, commands, cre, db, declarations, diagnostic, employer, engine, filters,
                     home, notifications, outreach, password_reset, pooled, titulaire)

    # Consequences of a proposal change, in its transaction: the follow-up plan of a hire first, then
    # the notifications (which mention the plan).
    storage.on_proposal_change(aftercare.on_proposal_change)
    storage.on_proposal_change(events.on_proposal_change)

    db.init_app(app)
    engine.init_app(app)
    commands.init_app(app)
    filters.init_app(app)
    auth.init_app(app)
    declarations.init_app(app)
    app.register_blueprint(home.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(cre.bp)
    app.register_blueprint(employer.bp)
    app.register_blueprint(titulaire.bp)
    app.register_blueprint(buyer.bp)
    pooled.init_app(app)
    app.register_blueprint(outreach.bp)
    app.register_blueprint(diagnostic.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(password_reset.bp)

    def error_page(code: int, title: str, message: str):
        if request.path.startswith("/api/"):
            return jsonify(error=message), code
        return render_template("errors/error.html", code=code, title=title, message=message), code

    @app.errorhandler(400)
    def bad_request(error):
        return error_page(400, "Requête invalide", getattr(error, "description", None) or "La requête est invalide.")

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, "Accès refusé", "Vous n'avez pas accès à cette page.")

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, "Formulaire expiré", "Le formulaire a expiré ou ne vient pas de Passerelle : "
                                                    "rechargez la page et recommencez.")

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, "Trop de tentatives", getattr(error, "description", None) or "Réessayez plus tard.")

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, "Page introuvable", "Cette page n'existe pas ou plus.")

    @app.errorhandler(405)
    def not_allowed(error):
        return error_page(405, "Méthode non permise", "Cette action n'est pas possible ici.")

    @app.errorhandler(413)
    def too_large(error):
        return error_page(413, "Fichier trop volumineux", "Le fichier dépasse 5 Mo.")

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, "Erreur interne", "Une erreur est survenue ; rien n'a été enregistré à moitié.")

    return app
