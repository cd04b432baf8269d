"""DER encoding of built ASN.1 structures in linear time (asn1crypto's ``Asn1Value.dump``, once per node).

asn1crypto's ``dump`` reads a value's ``contents`` and then, when the header has to be computed,
reads them again.  For a structure built in memory (not parsed) ``contents`` re-encodes every
child, because a built ``Sequence`` stays marked as changed for good — so each level of nesting
doubles the work below it (asn1crypto issue #256, "Calling dump on a SignedData object took 30
seconds").  A signature's CMS, which pyHanko builds anew for every signature, was encoded this way:
its ``DigestAlgorithm`` ~1,100 times, ~25 ms a signature of the 30 a B-B signature took, measured;
timestamp tokens and OCSP requests likewise.

``dump`` here is asn1crypto's with ``contents`` read once and used for the header too — the same
bytes, since reading ``contents`` twice yields the same value; only the repeated encoding is gone.
``install`` puts it in place of ``Asn1Value.dump`` (which every class's own ``dump`` ends in); it
is idempotent.
"""

from __future__ import annotations

from typing import Any

from asn1crypto import core

ASN1CRYPTO_DUMP = core.Asn1Value.dump


def dump(self: Any, force: bool = False) -> bytes:
    """``Asn1Value.dump`` as asn1crypto 1.5 has it, reading ``self.contents`` once."""
    contents = self.contents

    # If the length is indefinite, force the re-encoding
    if self._header is not None and self._header[-1:] == b"\x80":
        force = True

    if self._header is None or force:
        if isinstance(self, core.Constructable) and self._indefinite:
            self.method = 0

        header = core._dump_header(self.class_, self.method, self.tag, contents)

        if self.explicit is not None:
            for class_, tag in self.explicit:
                header = core._dump_header(class_, 1, tag, header + contents) + header

        self._header = header
        self._trailer = b""

    return bytes(self._header + contents + self._trailer)


def install() -> None:
    """Make every asn1crypto value encode with this ``dump``."""
    core.Asn1Value.dump = dump


def uninstall() -> None:
    core.Asn1Value.dump = ASN1CRYPTO_DUMP


def installed() -> bool:
    return core.Asn1Value.dump is dump
