"""The library internals this package replaces for speed, in one list, installed on purpose.

Three functions of pyHanko and asn1crypto are replaced (``hex_strings``, ``name_prep``,
``asn1_dump``): each was measured to cost a B-LTA document tens of milliseconds, and each is a
drop-in with the same result, which ``tests/test_replacements.py`` checks against the stock function
on generated input.  They are not installed by importing this package: a process that wants them
calls ``install`` once at start-up (the service's components do; ``forms_service.components``), and
each is installed only when the library installed is a version it was verified with.  Any other
version — or ``stock=True`` (the setting ``FORMS_STOCK_LIBRARIES``) — leaves the library as it is,
with one warning naming what runs stock and why.  ``uninstall`` puts the stock functions back.

What to propose upstream, so that these can go: ``docs/library-replacements.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from . import asn1_dump, hex_strings, name_prep

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Replacement:
    name: str
    library: str  # the distribution whose internals it replaces
    verified: str  # the versions it was read against and tested with (a PEP 440 specifier)
    replaces: str  # what it stands in for, dotted
    install: Callable[[], None]
    uninstall: Callable[[], None]
    installed: Callable[[], bool]


REPLACEMENTS: tuple[Replacement, ...] = (
    Replacement("hex_strings", "pyHanko", ">=0.38,<0.39", "pyhanko.pdf_utils.generic.read_hex_string_from_stream",
                hex_strings.install, hex_strings.uninstall, hex_strings.installed),
    Replacement("name_prep", "asn1crypto", "==1.5.1", "asn1crypto.x509.NameTypeAndValue._ldap_string_prep",
                name_prep.install, name_prep.uninstall, name_prep.installed),
    Replacement("asn1_dump", "asn1crypto", "==1.5.1", "asn1crypto.core.Asn1Value.dump",
                asn1_dump.install, asn1_dump.uninstall, asn1_dump.installed),
)


def verified(replacement: Replacement, *, version_of: Callable[[str], str] = metadata.version) -> bool:
    """Whether the installed library is a version ``replacement`` was verified with."""
    try:
        return Version(version_of(replacement.library)) in SpecifierSet(replacement.verified)
    except (metadata.PackageNotFoundError, InvalidVersion):
        return False


def install(*, stock: bool = False, version_of: Callable[[str], str] = metadata.version) -> list[str]:
    """Install every replacement whose library is a verified version (none with ``stock``); the
    names of those installed.  Idempotent; the ones left stock are named in one warning."""
    if stock:
        uninstall()
        return []
    done, stood_aside = [], []
    for replacement in REPLACEMENTS:
        if verified(replacement, version_of=version_of):
            replacement.install()
            done.append(replacement.name)
        else:
            replacement.uninstall()
            stood_aside.append(f"{replacement.name} ({replacement.library} {_version(replacement, version_of)}, "
                               f"verified with {replacement.verified})")
    if stood_aside:
        log.warning("library functions left stock, their versions not verified: %s", "; ".join(stood_aside))
    return done


def uninstall() -> None:
    """Every library function as the library has it."""
    for replacement in REPLACEMENTS:
        replacement.uninstall()


def installed() -> list[str]:
    return [r.name for r in REPLACEMENTS if r.installed()]


def _version(replacement: Replacement, version_of: Callable[[str], str]) -> str:
    try:
        return version_of(replacement.library)
    except metadata.PackageNotFoundError:
        return "not installed"
