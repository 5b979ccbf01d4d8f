"""``flask --app app …`` commands: thin wrappers turning errors into one French line."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

import storage

from .db import get_db
from .demo import load_demo
from .engine import engine


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Crée la base de données si elle n'existe pas."""
    get_db()
    click.echo("Base prête.")


@click.command("load-demo")
@with_appcontext
def load_demo_command() -> None:
    """Charge les données de démonstration (sans doublon si relancée)."""
    try:
        counts = load_demo(get_db(), engine())
    except (ValueError, storage.Conflict) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo("Démonstration chargée : " + ", ".join(f"{k} = {v}" for k, v in counts.items()))


def init_app(app: Flask) -> None:
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_demo_command)
