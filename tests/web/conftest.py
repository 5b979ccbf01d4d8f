"""Web fixtures, flaskr-style: an app on a temporary database, a client, a CLI runner.

The demo database is built once per test session (it maps 120 profiles and
ranks candidates for the demo proposals); each test gets its own copy.
"""
from __future__ import annotations

import shutil

import pytest

from app import create_app
from web.db import get_db
from web_helpers import enter

# CSRF and rate limits are switched off for most tests and checked by their own tests;
# the test client talks plain HTTP, so the session cookie cannot be Secure here.
TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
               "SESSION_COOKIE_SECURE": False}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    app = create_app({**TEST_CONFIG, "DATABASE": str(path)})
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture
def app(demo_db, tmp_path):
    path = tmp_path / "passerelle.sqlite"
    shutil.copy(demo_db, path)
    return create_app({**TEST_CONFIG, "DATABASE": str(path)})


@pytest.fixture
def empty_app(tmp_path):
    return create_app({**TEST_CONFIG, "DATABASE": str(tmp_path / "empty.sqlite")})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    with app.app_context():
        yield get_db()


@pytest.fixture
def cre(client):
    """A client in the CRE space of S1 (the Montreuil ressourcerie)."""
    return enter(client, "cre", "S1")


@pytest.fixture
def employer(app):
    """A client in the employer space of E14 (Filéa Câblage, need N028)."""
    return enter(app.test_client(), "employer", "E14")
