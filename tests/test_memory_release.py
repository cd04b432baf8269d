"""What a document needed for a moment goes back to the system once it is made."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from forms_service.produce import memory
from forms_service.produce.memory import release_freed_memory
from tests.conftest import load_example, signed_form

FRAGMENTED_HEAP = textwrap.dedent("""
    from pathlib import Path
    from forms_service.produce.memory import release_freed_memory

    def rss_mib():
        status = Path("/proc/self/status").read_text()
        return int(next(l for l in status.splitlines() if l.startswith("VmRSS:")).split()[1]) // 1024

    blocks = [bytes(1000 + i % 7) for i in range(200_000)]  # ~200 MB from malloc (over pymalloc's 512 B)
    kept = blocks[::1000]  # a few survivors scattered through the heap: free() alone cannot shrink it
    del blocks
    before = rss_mib()
    assert release_freed_memory()
    print(before - rss_mib())
""")


def test_freed_memory_scattered_through_the_heap_goes_back_to_the_system():
    released = subprocess.run([sys.executable, "-c", FRAGMENTED_HEAP], capture_output=True, text=True, timeout=60,
                              check=True)
    assert int(released.stdout) > 100, released  # MiB of the ~200 freed


def test_a_document_made_releases_what_it_freed_at_most_every_interval(components, monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "release_freed_memory", lambda: calls.append(1) or True)
    monkeypatch.setattr(memory, "_last_release", -memory.INTERVAL)
    for _ in range(2):
        signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    assert calls == [1]  # the first, not the one seconds after it
    monkeypatch.setattr(memory, "_last_release", memory._last_release - memory.INTERVAL)
    signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    assert calls == [1, 1]


def test_there_is_a_way_to_release_on_debian():
    assert release_freed_memory() is True
