"""Storage under several processes: WAL, write transactions that queue, a private file, schema set-up once."""
from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

import storage
import storage.schema

WRITERS = 4
WRITES_EACH = 25


def _writer(path: str, worker: int, errors) -> None:
    db = storage.connect(path)
    try:
        for i in range(WRITES_EACH):
            # Read, then write what was read: the pattern that fails at once with a
            # deferred BEGIN when two processes upgrade their read lock together.
            with storage.transaction(db):
                counter = int(db.execute("SELECT value FROM meta WHERE key = 'counter'").fetchone()[0])
                db["meta"].upsert({"key": "counter", "value": str(counter + 1)}, pk="key")
                pid = storage.create_profile(db, {"reference": f"W{worker}-{i}", "first_name": "Awa",
                                                  "siae_id": "S1"})
                storage.audit(db, None, "création", "profile", pid)
    except Exception as exc:  # reported to the parent: a failure here is the bug under test
        errors.put(f"{type(exc).__name__}: {exc}")


@pytest.fixture
def path(tmp_path):
    path = tmp_path / "private" / "passerelle.sqlite"
    db = storage.connect(path)
    storage.upsert_organisation(db, {"id": "S1", "kind": "siae", "name": "ACI"})
    db["meta"].upsert({"key": "counter", "value": "0"}, pk="key")
    db.conn.close()
    return path


def test_concurrent_read_modify_write_transactions_all_commit(path):
    ctx = multiprocessing.get_context("spawn")
    errors = ctx.Queue()
    workers = [ctx.Process(target=_writer, args=(str(path), w, errors)) for w in range(WRITERS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    failures = []
    while not errors.empty():
        failures.append(errors.get())
    assert failures == []
    db = storage.connect(path)
    total = WRITERS * WRITES_EACH
    assert db["profiles"].count == total
    assert db["audit_log"].count == total
    # No increment lost: every transaction saw the previous one's write.
    assert db.execute("SELECT value FROM meta WHERE key = 'counter'").fetchone()[0] == str(total)


def test_database_is_in_wal_mode_with_foreign_keys(path):
    db = storage.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == storage.BUSY_TIMEOUT_MS


def test_database_file_is_private(path):
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_an_existing_folder_keeps_its_mode(tmp_path):
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    storage.connect(folder / "db.sqlite")
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(folder / "db.sqlite").st_mode) == 0o600


def test_schema_is_set_up_once_per_file_not_per_connection(path, monkeypatch):
    calls = []
    monkeypatch.setattr(storage.schema, "init_schema", lambda db: calls.append(db))
    storage.connect(path)
    storage.connect(path)
    assert calls == []
    assert storage.schema_version(storage.connect(path)) == storage.SCHEMA_VERSION


def test_an_older_file_is_migrated_on_connect(path):
    db = storage.connect(path)
    db.execute("PRAGMA user_version = 1")
    db.execute("DROP INDEX idx_profiles_reference")
    db.conn.close()
    db = storage.connect(path)
    assert storage.schema_version(db) == storage.SCHEMA_VERSION
    assert "idx_profiles_reference" in {i.name for i in db["profiles"].indexes}


def test_a_failed_transaction_leaves_nothing(path):
    db = storage.connect(path)
    with pytest.raises(RuntimeError):
        with storage.transaction(db):
            storage.create_profile(db, {"reference": "R-1", "first_name": "Awa", "siae_id": "S1"})
            storage.audit(db, None, "création", "profile", 1)
            raise RuntimeError("the audit row could not be written")
    assert db["profiles"].count == 0 and db["audit_log"].count == 0
    assert not db.conn.in_transaction


def test_an_inner_failure_rolls_back_only_the_inner_block(path):
    db = storage.connect(path)
    with storage.transaction(db):
        storage.create_profile(db, {"reference": "R-1", "first_name": "Awa", "siae_id": "S1"})
        with pytest.raises(storage.Conflict):
            storage.create_profile(db, {"reference": "R-1", "first_name": "Awa", "siae_id": "S1"})
    assert db["profiles"].count == 1
