"""Certificate names prepared once give what asn1crypto's preparation gives, refusals included."""

from __future__ import annotations

import pytest
from asn1crypto import x509

from signing import name_prep

NAMES = ["經濟部商業發展署", "  DEMO   Signer\u00ad CA ", "Ｆｕｌｌ　Ｗｉｄｔｈ", "a\u200bb\tc", "", "ÅNGSTRÖM"]


@pytest.mark.parametrize("name", NAMES)
def test_the_same_preparation_as_asn1crypto(name):
    assert name_prep.prepared(name) == name_prep._ASN1CRYPTO_PREP(None, name)


def test_a_refused_string_is_refused_every_time():
    for _ in range(2):
        with pytest.raises(ValueError, match="private use"):
            name_prep.prepared("\ue000")


def test_names_compare_through_it_once_installed(monkeypatch):
    monkeypatch.setattr(x509.NameTypeAndValue, "_ldap_string_prep", x509.NameTypeAndValue._ldap_string_prep)
    name_prep.install()
    assert x509.NameTypeAndValue._ldap_string_prep is name_prep._ldap_string_prep
    a = x509.Name.build({"common_name": "DEMO  Signer", "organization_name": "經濟部"})
    b = x509.Name.build({"common_name": "demo signer", "organization_name": "經濟部"})
    name_prep.prepared.cache_clear()
    assert a == b
    assert name_prep.prepared.cache_info().currsize >= 2
