"""The embedded store heals (security review, "also"): killed under load, it is started again on
the same address within seconds; meanwhile requests fail fast and clearly; nothing acknowledged
is lost."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from storage import StorageError, StoreUnavailable
from storage.s3 import S3ObjectStore
from storage.seaweed import EmbeddedSeaweedFS

pytestmark = pytest.mark.integration


def test_a_killed_store_comes_back_and_keeps_every_acknowledged_object(tmp_path):
    embedded = EmbeddedSeaweedFS(tmp_path / "store", bucket="forms-records").start()
    try:
        creds = embedded.credentials
        store = S3ObjectStore(endpoint=embedded.endpoint, access_key=creds.access_key, secret_key=creds.secret_key,
                              bucket="forms-records", timeout=2.0)
        store.ensure_ready()
        acknowledged: dict[str, tuple[str, bytes]] = {}
        failures: list[StorageError] = []
        warmed, killed, healed, done = threading.Event(), threading.Event(), threading.Event(), threading.Event()
        timing: dict[str, float] = {}

        def load() -> None:  # puts back to back, as a busy service would
            while not done.is_set():
                data = uuid.uuid4().bytes * 1000
                key = f"records/load/{uuid.uuid4().hex}.pdf"
                try:
                    stored = store.put(key, data, content_type="application/pdf", metadata={})
                except StorageError as err:
                    failures.append(err)
                    continue
                acknowledged[key] = (stored.version_id, data)
                if len(acknowledged) == 20:
                    warmed.set()
                if killed.is_set() and not healed.is_set():
                    timing["healed"] = time.monotonic()
                    healed.set()

        worker = threading.Thread(target=load)
        worker.start()
        assert warmed.wait(60)
        timing["killed"] = time.monotonic()
        embedded.kill()
        killed.set()
        came_back = healed.wait(60)
        done.set()
        worker.join(30)
        assert came_back, "the store did not come back within a minute"
        assert timing["healed"] - timing["killed"] < 20
        assert embedded.restarts == 1
        assert failures and all(isinstance(f, StoreUnavailable) for f in failures)
        for key, (version, data) in acknowledged.items():
            assert store.get(key, version) == data
    finally:
        embedded.stop()


def test_a_start_that_fails_on_its_ports_is_tried_again_on_new_ones(tmp_path, monkeypatch):
    """Ports found free can be taken before the server binds them: the first start fails (here on
    purpose, at its configuration), the next one runs on other ports and serves."""
    attempts: list[dict[str, int]] = []
    configure = EmbeddedSeaweedFS._configure_fsync

    def first_fails(self, attempts_left: int = 10) -> None:
        attempts.append(dict(self.ports))
        if len(attempts) == 1:
            raise StoreUnavailable("the embedded store refused its fsync configuration: (on purpose)")
        configure(self)

    monkeypatch.setattr(EmbeddedSeaweedFS, "_configure_fsync", first_fails)
    embedded = EmbeddedSeaweedFS(tmp_path / "store", bucket="forms-records").start()
    try:
        assert len(attempts) == 2 and attempts[0]["s3.port"] != attempts[1]["s3.port"]
        creds = embedded.credentials
        store = S3ObjectStore(endpoint=embedded.endpoint, access_key=creds.access_key, secret_key=creds.secret_key,
                              bucket="forms-records", timeout=2.0)
        store.ensure_ready()
        stored = store.put("records/x.pdf", b"%PDF-", content_type="application/pdf", metadata={})
        assert store.get(stored.key, stored.version_id) == b"%PDF-"
    finally:
        embedded.stop()
