"""From a proposal to the employer's mail in the outbox. Prints one JSON object.

    python bench/bench_notifications.py [--proposals 20]

On a copy of the demo database, the CRE of S1 proposes people through ``POST /api/v1/proposals``
(the mails to the employer's users are queued in the proposal's transaction), then one run of the
worker (``flask run-jobs``: render French text + HTML, write ``.eml`` files, no SMTP) delivers them.

Figures: the POST's median time, and the same POST with the notification listener detached (the
baseline, measured in the same run) and their ratio (the cost of queueing the mails); the worker's
time per mail; and the time from the POST to the last employer's ``.eml`` on disk for a single
proposal (POST + one worker run), which is what a user waits beyond the cron interval (run-jobs every
few minutes: the interval, not the work, dominates).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jobs  # noqa: E402
import storage  # noqa: E402
from app import create_app  # noqa: E402
from notifications import events, mailer  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

CONFIG = {"TESTING": True, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
          "SESSION_COOKIE_SECURE": False}


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def token_client(app, db):
    from web.auth import hash_secret

    email = "bench.cre@s1.test"
    if storage.user_by_email(db, email) is None:
        storage.create_user(db, email=email, name="Bench CRE", role="cre", org_id="S1",
                            password_hash=generate_password_hash("bench-password-long", method="pbkdf2:sha256:1000"))
    user = storage.user_by_email(db, email)
    from datetime import datetime, timedelta, timezone

    storage.create_token(db, user["id"], "bench", hash_secret("bench-token"), "bench-to",
                         expires_at=(datetime.now(timezone.utc) + timedelta(days=1)).isoformat())
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = "Bearer bench-token"
    return client


def candidates(db, count: int) -> list[tuple[int, int]]:
    """(need, profile) pairs not proposed yet, on needs of employers that have accounts."""
    with_accounts = {u["org_id"] for u in storage.list_users(db) if u["role"] == "employer"}
    needs = [n for n in storage.list_needs(db) if n["employer_id"] in with_accounts]
    people = [p for p in storage.list_profiles(db, siae_id="S1") if p["consent_at"]]
    pairs = []
    for need in needs:
        taken = {p["profile_id"] for p in storage.list_proposals(db, need_id=need["id"])}
        pairs += [(need["id"], p["id"]) for p in people if p["id"] not in taken]
    return pairs[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proposals", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    try:
        path = work / "demo.sqlite"
        app = create_app({**CONFIG, "DATABASE": str(path), "MAIL_OUTBOX": str(work / "outbox")})
        assert app.test_cli_runner().invoke(args=["load-demo"]).exit_code == 0
        db = storage.connect(path)
        client = token_client(app, db)
        with app.app_context():  # the demo's own mails leave first
            jobs.run_jobs(db, settings=jobs.JobSettings(), mail_settings=mailer.MailSettings.from_config(app.config))
        pairs = candidates(db, 2 * args.proposals + 1)
        if len(pairs) < 2 * args.proposals + 1:
            raise SystemExit(f"pas assez de couples besoin × personne ({len(pairs)})")

        def post(pair) -> float:
            start = time.perf_counter()
            response = client.post("/api/v1/proposals", json={"need_id": pair[0], "profile_id": pair[1]})
            elapsed = time.perf_counter() - start
            assert response.status_code == 201, response.get_json()
            return elapsed

        # Interleaved, so that both series see the same machine load.
        with_mail, baseline = [], []
        listeners = storage.proposals._LISTENERS  # the bench detaches the notification listener for the baseline
        for i in range(args.proposals):
            with_mail.append(post(pairs[2 * i]))
            listeners.remove(events.on_proposal_change)
            try:
                baseline.append(post(pairs[2 * i + 1]))
            finally:
                listeners.append(events.on_proposal_change)
        queued = sum(1 for m in storage.list_mails(db, status=storage.MAIL_PENDING))
        settings = mailer.MailSettings.from_config(app.config)
        with app.app_context():
            start = time.perf_counter()
            counts = jobs.run_jobs(db, settings=jobs.JobSettings(), mail_settings=settings)
            worker = time.perf_counter() - start

            # One proposal, end to end: POST, then one worker run, until its mails are on disk.
            outbox = Path(app.config["MAIL_OUTBOX"])
            before = set(outbox.glob("*.eml"))
            start = time.perf_counter()
            post(pairs[-1])
            jobs.run_jobs(db, settings=jobs.JobSettings(), mail_settings=settings)
            end_to_end = time.perf_counter() - start
            new = set(outbox.glob("*.eml")) - before
        result = {
            "proposals": args.proposals,
            "post_ms_median": ms(statistics.median(with_mail)),
            "post_without_notifications_ms_median": ms(statistics.median(baseline)),
            "post_ratio_to_baseline": round(statistics.median(with_mail) / statistics.median(baseline), 3),
            "mails_queued": queued,
            "worker_mails_sent": counts["mails_sent"],
            "worker_ms_per_mail": ms(worker / max(counts["mails_sent"], 1)),
            "proposal_to_outbox_ms": ms(end_to_end),
            "proposal_to_outbox_mails": len(new),
        }
        print(json.dumps(result, ensure_ascii=False))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
