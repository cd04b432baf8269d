"""A pool of blank SoftHSM2 tokens — the demo's "cards" — made before anything loads the module.

A process that has loaded a PKCS#11 module does not see tokens another process initialises later
(SoftHSM2 reads its token directory when the module is initialised; only re-initialising it, which
ends every open session, shows them).  Keys and certificates another process writes onto an
*existing* token, on the other hand, are seen at once.  So the demo makes its cards from a pool of
tokens initialised up front (each with a PIN of its own): issuing a card claims a blank token and
generates its key on it, from whichever process asks, and every process sees the card.

The pool lives beside its SoftHSM2 configuration (``SOFTHSM2_CONF``, which the module reads once per
process): ``pool.json`` (0600) names each token's label, PIN and who claimed it.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SignerUnavailable

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
POOL_SIZE = 64  # blank cards made at once: agencies and people of a demo or a test run


@dataclass(frozen=True)
class PoolToken:
    label: str
    pin: str
    owner: str  # "" while blank


class SoftHsmPool:
    """Blank tokens in the SoftHSM2 directory of ``conf`` (created with it when missing)."""

    def __init__(self, conf: Path):
        self.conf = Path(conf)
        self.directory = self.conf.parent
        self._file = self.directory / "pool.json"

    @classmethod
    def for_process(cls, default_conf: Path) -> SoftHsmPool:
        """The pool of this process's SoftHSM2 configuration: ``SOFTHSM2_CONF`` when set (the module
        reads it once per process, so every pool of the process must be that one), else
        ``default_conf``, which this process then uses."""
        conf = os.environ.get("SOFTHSM2_CONF")
        if not conf:
            os.environ["SOFTHSM2_CONF"] = conf = str(default_conf)
        return cls(Path(conf))

    @property
    def module(self) -> str:
        return MODULE

    def ensure(self, size: int = POOL_SIZE) -> SoftHsmPool:
        """The configuration and ``size`` blank tokens, made now if the pool is not there yet (≈20 ms
        a token).  Call it before this process loads the module: tokens made later are not seen."""
        with self._locked() as tokens:
            if tokens:
                return self
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            (self.directory / "tokens").mkdir(mode=0o700, exist_ok=True)
            if not self.conf.exists():
                self.conf.write_text(f"directories.tokendir = {self.directory / 'tokens'}\n"
                                     "objectstore.backend = file\nlog.level = ERROR\n")
            start = len(tokens)
            for number in range(start + 1, start + size + 1):
                label, pin = f"DEMO 卡片 {number:03d}", f"{secrets.randbelow(10**6):06d}"
                self._run("softhsm2-util", "--init-token", "--free", "--label", label, "--so-pin",
                          secrets.token_hex(8), "--pin", pin)
                tokens.append({"label": label, "pin": pin, "owner": ""})
        _show_new_tokens()
        return self

    def claim(self, owner: str) -> PoolToken:
        """The token ``owner`` holds, claiming a blank one on its first call."""
        with self._locked() as tokens:
            for token in tokens:
                if token["owner"] == owner:
                    return PoolToken(**token)
            for token in tokens:
                if not token["owner"]:
                    token["owner"] = owner
                    return PoolToken(**token)
        raise SignerUnavailable(f"the demo has no blank card left ({len(tokens)} made): start with a new data "
                                "directory, or register real keys")

    def tokens(self) -> list[PoolToken]:
        with self._locked() as tokens:
            return [PoolToken(**t) for t in tokens]

    @contextmanager
    def _locked(self) -> Iterator[list[dict[str, Any]]]:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(self.directory / ".pool.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            tokens: list[dict[str, Any]] = json.loads(self._file.read_text()) if self._file.exists() else []
            before = json.dumps(tokens)
            yield tokens
            if json.dumps(tokens) != before:
                part = self._file.with_suffix(".part")
                fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                with os.fdopen(fd, "w") as fh:
                    json.dump(tokens, fh, ensure_ascii=False, indent=1)
                part.replace(self._file)

    def _run(self, *args: str) -> None:
        done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "SOFTHSM2_CONF": str(self.conf)})
        if done.returncode != 0:
            raise SignerUnavailable(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def _show_new_tokens() -> None:
    """A process that loaded the module before the pool was made sees its tokens only once the module
    is initialised again (which ends its sessions: the pool is made before any are open)."""
    import sys

    if "pkcs11" in sys.modules and str(os.environ.get("SOFTHSM2_CONF", "")):
        import pkcs11

        from .providers import PKCS11_LOCK

        with PKCS11_LOCK:
            pkcs11.lib(MODULE).reinitialize()
