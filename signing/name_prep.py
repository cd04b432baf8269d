"""X.509 name comparison with each string prepared once per process, not once per comparison.

Certificate path building and every signature check compare names (issuer with subject, the
signing certificate's issuer and serial) through asn1crypto, which prepares both sides by RFC 4518
string preparation (six regular expressions and a Unicode normalisation) every time it meets a new
name object — and every parsed signature brings new ones.  The same few names (the agency's, the
CA's, the TSA's) come back in every document: ~120 preparations a B-LTA document, ~5 ms of its
check after signing, measured.  The preparation is a function of the string alone (the method
never reads its object), so its results are kept; a string it refuses raises every time, as before.
"""

from __future__ import annotations

import functools

from asn1crypto import x509

_ASN1CRYPTO_PREP = x509.NameTypeAndValue._ldap_string_prep


@functools.lru_cache(maxsize=4096)
def prepared(string: str) -> str:
    """RFC 4518 preparation of ``string``, as asn1crypto does it."""
    return str(_ASN1CRYPTO_PREP(None, string))


def _ldap_string_prep(self: x509.NameTypeAndValue, string: str) -> str:
    return prepared(string)


def install() -> None:
    """Make asn1crypto's names use the kept preparations."""
    x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep


def uninstall() -> None:
    x509.NameTypeAndValue._ldap_string_prep = _ASN1CRYPTO_PREP


def installed() -> bool:
    return x509.NameTypeAndValue._ldap_string_prep is _ldap_string_prep


__all__ = ["install", "installed", "prepared", "uninstall"]
