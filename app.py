"""Passerelle web application: ``create_app()`` wires configuration, blueprints and commands."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("PASSERELLE_SECRET_KEY", "dev-only-not-secret"),
        DEMO_PROFILES=str(Path(app.root_path) / "data" / "demo" / "profiles.jsonl"),
    )
    if test_config:
        app.config.update(test_config)

    from web import engine, home

    engine.init_app(app)
    app.register_blueprint(home.bp)

    @app.errorhandler(404)
    def not_found(error):
        return render_template("errors/404.html"), 404

    return app
