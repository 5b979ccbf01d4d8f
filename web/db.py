"""The database handle of a request: opened on first use, closed at teardown."""
from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g

import storage


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = storage.connect(current_app.config["DATABASE"])
    return g.db


def close_db(_error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_db)
