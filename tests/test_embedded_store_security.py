"""The embedded store cannot be bypassed on the host (security review, finding 2).

Its internal gRPC ports used to need no credentials: ``weed shell`` deleted a version that S3
refused to delete under Object Lock.  And its files, the catalog and the data directory were
readable by every local user.
"""

from __future__ import annotations

import stat
import subprocess
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from storage import ObjectLocked, Retention
from storage.seaweed import weed_binary

pytestmark = pytest.mark.integration


@pytest.fixture
def locked(components):
    key = f"records/annex2-agreement/rec_{uuid.uuid4().hex}/v1.pdf"
    stored = components.store.put(key, b"%PDF-evidence", content_type="application/pdf", metadata={},
                                  retention=Retention("GOVERNANCE", datetime.now(timezone.utc) + timedelta(days=2)))
    return key, stored.version_id


def test_weed_shell_on_the_host_cannot_delete_a_locked_version(components, locked, tmp_path):
    key, version = locked
    ports = components.embedded_store.ports
    master = f"127.0.0.1:{ports['master.port']}.{ports['master.port.grpc']}"
    filer = f"127.0.0.1:{ports['filer.port']}.{ports['filer.port.grpc']}"
    folder = key.rsplit("/", 1)[0]
    # A local user without the store's certificates, in a directory of his own.  Without them the
    # shell cannot connect and keeps retrying; given ten seconds (an open store took one) it is stopped.
    try:
        shell = subprocess.run([weed_binary(), "shell", f"-master={master}", f"-filer={filer}"],
                               input=f"fs.rm -r /buckets/{components.store.bucket}/{folder}\n", capture_output=True,
                               text=True, cwd=tmp_path, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
                               timeout=10)
        said = shell.stdout + shell.stderr
    except subprocess.TimeoutExpired as gave_up:
        said = f"(stopped after {gave_up.timeout} s)"
    assert components.store.get(key, version) == b"%PDF-evidence", said
    with pytest.raises(ObjectLocked):
        components.store.delete(key, version)


@pytest.mark.parametrize("part, method, path", [
    ("filer.port", "DELETE", "/buckets/{bucket}/records?recursive=true"),
    ("filer.port", "GET", "/buckets/{bucket}/records/"),
    ("master.port", "GET", "/col/delete?collection={bucket}"),
    ("master.port", "GET", "/dir/assign"),
    ("volume.port", "GET", "/1,01637037d6"),
])
def test_the_side_ports_refuse_operations(components, part, method, path):
    port = components.embedded_store.ports[part]
    url = f"http://127.0.0.1:{port}" + path.format(bucket=components.store.bucket)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5)
    assert refused.value.code in (401, 403, 404)


def test_the_data_directory_is_the_service_users_alone(components):
    data_dir = components.settings.data_dir
    paths = [data_dir, *(p for p in data_dir.rglob("*") if not p.is_symlink())]
    open_folders = [str(p) for p in paths if p.is_dir() and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert open_folders == []  # nothing below is reachable by another user
    # and what the service writes is its own (weed sets its volume-info files to 0644 itself)
    open_files = [str(p.relative_to(data_dir)) for p in paths if p.is_file() and p.suffix != ".vif"
                  and stat.S_IMODE(p.stat().st_mode) & 0o077]
    assert open_files == []
    for private in ("catalog.sqlite3", "seaweedfs/security.toml", "seaweedfs/tls/node.key",
                    "seaweedfs/credentials.json", "pki/keys/signer.key.pem"):
        assert stat.S_IMODE((data_dir / private).stat().st_mode) == 0o600, private
