"""gunicorn settings of ``./scripts/serve``.

The master process creates the app once before forking the workers: the
database schema is created or migrated there, once (not by four workers
racing), the secret key file is generated there if needed, and the master
takes the "served" lock on the database that makes ``flask --app app restore``
refuse while the server runs.
"""
import os

wsgi_app = "app:create_app()"
bind = f"{os.environ.get('PASSERELLE_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Requests are short; a CSV import of 20,000 lines is the longest (well under this).
timeout = 120
graceful_timeout = 30
accesslog = "-"
errorlog = "-"


def on_starting(server):  # noqa: ARG001 (gunicorn's hook signature)
    import storage
    from app import create_app
    from web.db import get_db

    app = create_app()
    with app.app_context():
        get_db()  # creates or migrates the schema, once, before the workers start
    storage.hold_serving_lock(app.config["DATABASE"])
