"""Several instances starting at the same instant on shared PostgreSQL and S3 (issue: start-up
races): the catalog's migrations run once, under a PostgreSQL advisory lock, while the others wait;
the bucket is created once and found by the others; the Object Lock canary is written once a day,
not at every start."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from forms_service.clock import FixedClock
from forms_service.components import check_object_lock
from forms_service.db.migrate import current, head
from storage.memory import MemoryObjectStore

MIGRATE = """
import sys
from sqlalchemy import create_engine
from forms_service.db.migrate import upgrade
engine = create_engine(sys.argv[1])
sys.stdin.readline()  # all start together
upgrade(engine)
"""


def _new_database(server: str) -> str:
    name = f"race_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.mark.integration
@pytest.mark.parametrize("trial", range(3))
def test_instances_starting_together_migrate_a_new_database_once(postgres_server, trial):
    url = _new_database(postgres_server)
    starters = [subprocess.Popen([sys.executable, "-c", MIGRATE, url], stdin=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for process in starters:  # release them at the same instant
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    failures = [process.communicate(timeout=120)[1] for process in starters if process.wait(timeout=120) != 0]
    assert failures == []
    assert current(create_engine(url)) == head()


@pytest.mark.integration
def test_instances_starting_together_create_the_bucket_once(components):
    from storage.s3 import S3ObjectStore

    seaweed = components.embedded_store
    bucket = f"race-{uuid.uuid4().hex[:10]}"
    stores = [S3ObjectStore(endpoint=seaweed.endpoint, access_key=seaweed.credentials.access_key,
                            secret_key=seaweed.credentials.secret_key, bucket=bucket, secure=False)
              for _ in range(4)]
    barrier, errors = threading.Barrier(len(stores)), []

    def start(store):
        barrier.wait()
        try:
            store.ensure_ready()
        except Exception as err:
            errors.append(repr(err))

    threads = [threading.Thread(target=start, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []


def test_the_object_lock_canary_is_written_once_a_day():
    clock = FixedClock(datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc))
    store = MemoryObjectStore(now=clock.now)
    for _ in range(5):  # five processes starting today
        check_object_lock(store, clock)
    clock.advance(hours=20)
    check_object_lock(store, clock)
    assert len(list(store.list_versions("canary/"))) == 1
    clock.advance(days=1)
    check_object_lock(store, clock)  # a new day: a new canary
    assert len(list(store.list_versions("canary/"))) == 2


def test_a_release_step_migrates_the_catalog_alone(runner):
    missing = runner("db", "current")
    assert missing.exit_code == 1 and "cannot read the catalog's schema" in missing.output
    runner.data_dir.mkdir(parents=True)
    before = runner("db", "current")
    assert before.exit_code == 1 and "catalog schema: none" in before.output  # nothing there yet
    upgraded = runner("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"catalog schema: {head()} (this release: {head()})" in upgraded.output
    assert runner("db", "current").exit_code == 0


@pytest.mark.integration
def test_an_instance_waiting_too_long_for_the_migration_lock_says_so(postgres_server, monkeypatch):
    from forms_service.db import migrate

    url = _new_database(postgres_server)
    holder = create_engine(url)
    with holder.begin() as connection:  # another instance is migrating, and takes its time
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": migrate.MIGRATION_LOCK_KEY})
        monkeypatch.setattr(migrate, "LOCK_WAIT_SECONDS", 1)
        with pytest.raises(migrate.MigrationLockTimeout, match="another instance has been migrating"):
            migrate.upgrade(create_engine(url))
    holder.dispose()
