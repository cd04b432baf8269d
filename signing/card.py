"""A card signs bytes, as a card reader's PKCS#11 module lets it: the PIN opens the card, the card
hashes the bytes (SHA-256) and signs them with PKCS#1 v1.5 (RSA) or ECDSA — the raw signature that
HiPKI's ``MakeSignature`` with ``signatureType: "PKCS1"`` answers.  The LocalSignServer stand-in
(``local_sign``) and the tests that drive a card directly both sign through here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SignerUnavailable
from .providers import PKCS11_LOCK

CARD_KEY_LABEL = "card"


class PinRefused(SignerUnavailable):
    """The card refused the PIN (or is locked after too many)."""

    def __init__(self, message: str, *, locked: bool = False):
        super().__init__(message)
        self.locked = locked


@dataclass(frozen=True)
class CardCertificate:
    token_label: str
    serial: str  # the token's serial number (HiPKI's cardSN)
    certificates: tuple[tuple[str, bytes], ...]  # (label, DER) of each certificate on the card


def sign_with_card(module: str, token_label: str, pin: str, data: bytes, *, key_label: str = CARD_KEY_LABEL) -> bytes:
    """The card's raw signature over ``data`` (it hashes them with SHA-256 itself)."""
    import pkcs11

    with PKCS11_LOCK:
        try:
            token = pkcs11.lib(module).get_token(token_label=token_label)
        except (pkcs11.exceptions.NoSuchToken, pkcs11.exceptions.MultipleTokensReturned) as err:
            raise SignerUnavailable(f"no card labelled {token_label!r} in the reader") from err
        return _sign(token, pin, data, token_label, key_label)


def card_certificates(module: str) -> list[CardCertificate]:
    """Each card in a reader, with its certificates (readable without the PIN)."""
    import pkcs11

    with PKCS11_LOCK:
        tokens = [slot.get_token() for slot in pkcs11.lib(module).get_slots(token_present=True)]
        found = [_certificates_of(token) for token in tokens
                 if token.flags & pkcs11.TokenFlag.TOKEN_INITIALIZED]
    return [card for card in found if card.certificates]


def _sign(token: Any, pin: str, data: bytes, token_label: str, key_label: str) -> bytes:
    import pkcs11
    from pkcs11 import KeyType, Mechanism, ObjectClass

    try:
        with token.open(user_pin=pin) as session:
            key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=key_label)
            mechanism = Mechanism.SHA256_RSA_PKCS if key.key_type == KeyType.RSA else Mechanism.ECDSA_SHA256
            return bytes(key.sign(data, mechanism=mechanism))
    except pkcs11.exceptions.PinIncorrect as err:
        raise PinRefused("the card refused the PIN") from err
    except (pkcs11.exceptions.PinLocked, pkcs11.exceptions.PinExpired) as err:
        raise PinRefused("the card is locked (too many wrong PINs)", locked=True) from err
    except pkcs11.exceptions.PinLenRange as err:
        raise PinRefused("the PIN has the wrong length for this card") from err
    except (pkcs11.exceptions.NoSuchKey, pkcs11.exceptions.MultipleObjectsReturned) as err:
        raise SignerUnavailable(f"the card {token_label!r} holds no signing key {key_label!r}") from err


def _certificates_of(token: Any) -> CardCertificate:
    from pkcs11 import Attribute, ObjectClass

    with token.open() as session:
        certificates = tuple((str(c[Attribute.LABEL]), bytes(c[Attribute.VALUE]))
                             for c in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
    serial = token.serial.decode() if isinstance(token.serial, bytes) else str(token.serial)
    return CardCertificate(token.label, serial.strip(), certificates)
