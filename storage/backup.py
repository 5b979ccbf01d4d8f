"""The database file as a whole: online backup, restore, and the lock a running server holds.

A backup uses SQLite's online backup API: it copies a consistent snapshot of
the database (the WAL's committed pages included) while the app keeps reading
and writing. The copy is one self-contained file (rollback-journal mode, no
``-wal`` beside it), private (``0600``), checked before it is reported done.

A restore refuses while a server runs on the database (``./scripts/serve``
holds a lock on ``<database>.lock`` for as long as any of its processes
live), checks the backup first, keeps a copy of the current database, then
writes the backup into the live file through the same backup API, so the
file is never half-copied, and brings its schema up to date.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path
from typing import Any

from .schema import BUSY_TIMEOUT_MS, SCHEMA_VERSION, connect, init_schema

# Tables a file must hold to be a Passerelle database.
_REQUIRED_TABLES = {"meta", "organisations", "profiles", "needs", "users"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is in French."""


def lock_path(database: str | Path) -> Path:
    return Path(f"{database}.lock")


_HELD: dict[str, int] = {}


def hold_serving_lock(database: str | Path) -> None:
    """Mark the database as served, for as long as this process and its children live.

    A shared lock: several servers may run on one file, and a restore (which
    wants the lock alone) is refused while any of them runs. The lock goes
    with the processes, even when they are killed.
    """
    key = str(Path(database).resolve())
    if key in _HELD:
        return
    fd = os.open(lock_path(database), os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _HELD[key] = fd


def _served(database: str | Path) -> bool:
    path = lock_path(database)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases the lock if it was taken
    return False


def _open(path: str | Path, *, readonly: bool = False) -> sqlite3.Connection:
    uri = f"file:{Path(path).resolve()}{'?mode=ro' if readonly else ''}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def _summary(conn: sqlite3.Connection) -> dict[str, Any]:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    counts = {t: conn.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0]
              for t in ("profiles", "needs", "proposals", "users") if t in tables}
    return {"schema_version": conn.execute("PRAGMA user_version").fetchone()[0], **counts}


def backup_database(database: str | Path, destination: str | Path) -> dict[str, Any]:
    """Copy the live database into a new file ``destination``; return what it holds."""
    source_path, dest = Path(database), Path(destination)
    if not source_path.exists():
        raise BackupError(f"Base introuvable : {source_path}")
    if dest.exists():
        raise BackupError(f"{dest} existe déjà : choisissez un nouveau nom de fichier (rien n'est écrasé).")
    if not dest.parent.is_dir():
        raise BackupError(f"Dossier introuvable : {dest.parent}")
    os.close(os.open(dest, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    source = _open(source_path)
    target = sqlite3.connect(dest)
    try:
        # One step (all pages): the copy is one consistent snapshot, writers in WAL mode go on meanwhile.
        source.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
        if target.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("La copie est incohérente : recommencez la sauvegarde.")
        summary = _summary(target)
    except BaseException:
        target.close()
        dest.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    target.close()
    return {"path": str(dest), "bytes": dest.stat().st_size, **summary}


def check_backup(path: str | Path) -> dict[str, Any]:
    """What a backup file holds, or ``BackupError`` when it is not a sound Passerelle database."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Sauvegarde introuvable : {path}")
    try:
        conn = _open(path, readonly=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} est endommagé (contrôle d'intégrité en échec) : rien n'a été restauré.")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not _REQUIRED_TABLES <= tables:
                raise BackupError(f"{path} n'est pas une sauvegarde de Passerelle : rien n'a été restauré.")
            summary = _summary(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} n'est pas une base SQLite lisible ({exc}) : rien n'a été restauré.") from exc
    if summary["schema_version"] > SCHEMA_VERSION:
        raise BackupError(f"{path} vient d'une version plus récente de Passerelle (schéma "
                          f"{summary['schema_version']} > {SCHEMA_VERSION}) : mettez l'application à jour d'abord.")
    return summary


def restore_database(backup: str | Path, database: str | Path, *, safety_copy: str | Path | None) -> dict[str, Any]:
    """Replace the database's content by a backup's; the current content goes to ``safety_copy`` first."""
    database = Path(database)
    if _served(database):
        raise BackupError("Passerelle tourne sur cette base (./scripts/serve) : arrêtez le serveur avant de "
                          "restaurer. Rien n'a été modifié.")
    summary = check_backup(backup)
    if database.exists() and safety_copy is not None:
        backup_database(database, safety_copy)
    live = connect(database, migrate=False)
    source = _open(backup, readonly=True)
    try:
        source.backup(live.conn)
    finally:
        source.close()
    if live.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        live.execute("PRAGMA journal_mode = WAL")
    init_schema(live)  # a backup from an older release gets this release's schema
    live.conn.close()
    return {"path": str(database), **summary, "safety_copy": str(safety_copy) if safety_copy else None}
