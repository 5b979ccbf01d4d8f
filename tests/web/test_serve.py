"""./scripts/serve: gunicorn with WEB_CONCURRENCY workers on 127.0.0.1:PORT, the schema set up before they fork."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import storage
from storage.backup import _served

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_serve_runs_several_workers_on_a_migrated_database(tmp_path):
    database = tmp_path / "instance" / "passerelle.sqlite"
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "2", "PASSERELLE_DATABASE": str(database),
           "PASSERELLE_SECRET_KEY": "test-serve"}
    log = open(tmp_path / "serve.log", "w")
    server = subprocess.Popen([str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status = None
        for _ in range(150):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/connexion")
                status = conn.getresponse().status
                break
            except OSError:
                time.sleep(0.2)
        assert status == 200, (tmp_path / "serve.log").read_text()
        # The master created and migrated the file before forking: no request was needed for it.
        db = storage.connect(database, migrate=False)
        assert storage.schema_version(db) == storage.SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        db.conn.close()
        assert len(_children(server.pid)) == 2                                  # WEB_CONCURRENCY workers
        assert _served(database)                                                # restore would refuse
        assert f"Listening at: http://127.0.0.1:{port}" in (tmp_path / "serve.log").read_text()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    assert not _served(database)                                                # the lock left with the server
