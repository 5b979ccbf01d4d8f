"""``flask --app app …`` commands: thin wrappers turning errors into one French line."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

import storage

from werkzeug.security import generate_password_hash

from .auth import invite, password_problem
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


@click.command("create-org")
@click.option("--id", "org_id", required=True, help="identifiant court, ex. S6")
@click.option("--kind", type=click.Choice(["siae", "employer", "buyer"]), required=True)
@click.option("--name", required=True)
@click.option("--city", default=None)
@with_appcontext
def create_org_command(org_id: str, kind: str, name: str, city: str | None) -> None:
    """Crée (ou met à jour) une organisation."""
    storage.upsert_organisation(get_db(), {"id": org_id, "kind": kind, "name": name, "city": city})
    click.echo(f"Organisation {org_id} enregistrée.")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(list(storage.ROLES)), required=True)
@click.option("--org", "org_id", default=None, help="organisation (sauf pour un administrateur)")
@click.option("--password", default=None, help="sinon, un lien d'invitation est affiché")
@with_appcontext
def create_user_command(email: str, name: str, role: str, org_id: str | None, password: str | None) -> None:
    """Crée un compte ; sans --password, affiche le lien d'invitation (premier accès)."""
    db = get_db()
    try:
        if password:
            problem = password_problem(password, email)
            if problem:
                raise click.ClickException(problem)
            storage.create_user(db, email=email, name=name, role=role, org_id=org_id,
                                password_hash=generate_password_hash(password))
            click.echo(f"Compte {email} créé.")
        else:
            token = invite(db, email=email, name=name, role=role, org_id=org_id)
            click.echo(f"Compte {email} créé. Lien d'invitation (7 jours) : /invitation/{token}")
    except storage.Conflict as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("import-rome")
@click.argument("directory", type=click.Path(file_okay=False))
@with_appcontext
def import_rome_command(directory: str) -> None:
    """Importe le ROME 4.0 (dossier CSV de France Travail) ; remplace une version précédente."""
    from matching.rome import RomeError, load_referential

    from .careers import referential_rows

    try:
        referential = load_referential(directory)
    except RomeError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = storage.replace_rome(get_db(), referential.version, referential_rows(referential))
    click.echo(f"ROME {referential.version} importé : " + ", ".join(f"{k} = {v}" for k, v in counts.items()))


@click.command("clause-reminders")
@click.option("--date", "on", default=None, help="jour de référence AAAA-MM-JJ (aujourd'hui par défaut)")
@with_appcontext
def clause_reminders_command(on: str | None) -> None:
    """Liste les mois non déclarés au 10 du mois suivant, par titulaire (rappels à envoyer)."""
    from datetime import date

    from .declarations import send_reminders

    try:
        today = date.fromisoformat(on) if on else None
    except ValueError:
        raise click.ClickException(f"Date invalide : {on} (format AAAA-MM-JJ).") from None
    db = get_db()
    due = send_reminders(db, today=today, notify=notifier())
    users = {u["org_id"]: [] for u in storage.list_users(db)}
    for u in storage.list_users(db):
        if u["role"] == "employer" and u["active"]:
            users[u["org_id"]].append(u["email"])
    for r in due:
        click.echo(f"{r.lot['titulaire']} ({', '.join(users.get(r.titulaire_id) or ['aucun compte'])}) : "
                   f"{r.contract['reference']} lot {r.lot['number']}, mois manquants {', '.join(r.months)}")
    click.echo(f"{len(due)} rappel(s) dû(s).")


def notifier():
    """The app's notification sender for clause reminders, once notifications exist (issue 12); else None."""
    return None


def init_app(app: Flask) -> None:
    app.cli.add_command(clause_reminders_command)
    app.cli.add_command(import_rome_command)
    app.cli.add_command(init_db_command)
    app.cli.add_command(load_demo_command)
    app.cli.add_command(create_org_command)
    app.cli.add_command(create_user_command)
