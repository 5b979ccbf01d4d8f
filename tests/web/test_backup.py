"""Backup while the app runs (SQLite online backup API) and a restore that refuses what is unsafe."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import storage

ROOT = Path(__file__).resolve().parents[2]


def _count(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_backup_is_consistent_while_another_process_writes(app, runner, tmp_path):
    """A writer adds profiles, each with its audit row in the same transaction, during the backup:
    the copy holds whole transactions only (as many audit rows as profiles) and passes its check."""
    path = app.config["DATABASE"]
    stop = threading.Event()
    written = []

    def writer():
        db = storage.connect(path)
        i = 0
        while not stop.is_set() and i < 2000:
            with storage.transaction(db):
                pid = storage.create_profile(db, {"reference": f"BK-{i}", "first_name": "Awa", "siae_id": "S1"})
                storage.audit(db, None, "création", "profile", pid, "sauvegarde")
            written.append(i)
            i += 1
        db.conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    while len(written) < 20:
        pass
    destination = tmp_path / "sauvegardes" / "passerelle-1.sqlite"
    destination.parent.mkdir()
    result = runner.invoke(args=["backup", str(destination)])
    stop.set()
    thread.join(60)
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output
    assert stat.S_IMODE(os.stat(destination).st_mode) == 0o600
    assert not Path(f"{destination}-wal").exists()                      # one self-contained file
    assert _count(destination, "PRAGMA integrity_check") == "ok"
    profiles = _count(destination, "SELECT COUNT(*) FROM profiles WHERE reference LIKE 'BK-%'")
    audits = _count(destination, "SELECT COUNT(*) FROM audit_log WHERE detail = 'sauvegarde'")
    assert 20 <= profiles == audits <= len(written)
    assert _count(destination, "SELECT COUNT(*) FROM profiles WHERE reference NOT LIKE 'BK-%'") == \
        _count(path, "SELECT COUNT(*) FROM profiles WHERE reference NOT LIKE 'BK-%'")


def test_backup_never_overwrites_a_file(app, runner, tmp_path):
    existing = tmp_path / "deja.sqlite"
    existing.write_text("important")
    result = runner.invoke(args=["backup", str(existing)])
    assert result.exit_code != 0 and "existe déjà" in result.output
    assert existing.read_text() == "important"


def test_restore_brings_the_backup_back_and_keeps_the_replaced_base(app, runner, tmp_path):
    path = Path(app.config["DATABASE"])
    backup = tmp_path / "avant.sqlite"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    db = storage.connect(path)
    person = storage.list_profiles(db, siae_id="S1")[0]
    storage.update_profile(db, person["id"], {"notes": "écrit après la sauvegarde"})
    db.conn.close()

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    db = storage.connect(path)
    assert storage.get_profile(db, person["id"])["notes"] == person["notes"]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert storage.schema_version(db) == storage.SCHEMA_VERSION
    [kept] = list(path.parent.glob(f"{path.name}.avant-restauration-*"))
    assert "écrit après la sauvegarde" in [r[0] for r in sqlite3.connect(kept).execute("SELECT notes FROM profiles")]
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600


def test_restore_refuses_what_is_not_a_passerelle_backup(app, runner, tmp_path):
    path = Path(app.config["DATABASE"])
    before = _count(path, "SELECT COUNT(*) FROM profiles")
    garbage = tmp_path / "pas-une-base.sqlite"
    garbage.write_bytes(b"ceci n'est pas une base" * 100)
    other = tmp_path / "autre.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    for source, message in ((garbage, "n'est pas une base SQLite lisible"), (other, "n'est pas une sauvegarde de Passerelle"),
                            (tmp_path / "absente.sqlite", "Sauvegarde introuvable")):
        result = runner.invoke(args=["restore", str(source), "--yes"])
        assert result.exit_code != 0 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    assert _count(path, "SELECT COUNT(*) FROM profiles") == before
    assert not list(path.parent.glob(f"{path.name}.avant-restauration-*"))


def test_restore_refuses_while_a_server_runs_on_the_base(app, runner, tmp_path):
    path = Path(app.config["DATABASE"])
    backup = tmp_path / "s.sqlite"
    assert runner.invoke(args=["backup", str(backup)]).exit_code == 0
    # A process standing for ./scripts/serve: it holds the served lock until it ends.
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys, time, storage; storage.hold_serving_lock(sys.argv[1]); print('ok', flush=True); "
                               "time.sleep(60)", str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout.readline().strip() == "ok"
        refused = runner.invoke(args=["restore", str(backup), "--yes"])
        assert refused.exit_code != 0 and "arrêtez le serveur" in refused.output
    finally:
        server.kill()
        server.wait()
    assert runner.invoke(args=["restore", str(backup), "--yes"]).exit_code == 0   # the lock went with the process
