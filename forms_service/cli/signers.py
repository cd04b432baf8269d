"""``forms-service signers``: the keys each party signs with (list, add, retire) and the certificates
of people who sign with their own cards (list, bind, approve, remove); ``forms-service demo cards``:
the demo's cards with their PINs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..access import LOCAL_OPERATOR
from .base import catalog_only, load_settings

if TYPE_CHECKING:
    from ..signers.registry import SignerRegistry


@contextmanager
def _registry() -> Iterator[SignerRegistry]:
    from ..components import verification_roots
    from ..signers.registry import SignerRegistry
    from ..signers.store import SqlSigners

    settings = load_settings()
    with catalog_only(settings) as catalog:
        registry = SignerRegistry(SqlSigners(catalog.db), trust_roots=verification_roots(settings),
                                  clock=_Now())
        try:
            yield registry
        finally:
            registry.close()


class _Now:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@click.group("signers")
def signers_group() -> None:
    """The keys the service signs with for each party, and people's own certificates."""


@signers_group.command("list")
@click.option("--all", "everything", is_flag=True, help="retired keys too")
def signers_list(everything: bool) -> None:
    """The keys: id, party, agency, state, certificate subject and expiry."""
    with _registry() as registry:
        keys = registry.store.keys(active_only=not everything)
    for key in keys:
        click.echo(f"{key.id}  {key.party:8} {key.agency or '-':10} {key.state:7} {key.kind:6} "
                   f"until {key.not_after:%Y-%m-%d}  {key.subject}")
    if not keys:
        click.echo("no keys registered (in demo mode each agency gets its DEMO card on its first document)")


@signers_group.command("add")
@click.option("--party", type=click.Choice(["agency", "provider", "service"]), required=True,
              help="whose key: an agency's, the data provider's, or the service's own seal")
@click.option("--agency", default="", help="with --party agency: the agency's 機關代碼")
@click.option("--agency-name", default="", help="the agency's name, which its certificate must carry")
@click.option("--pkcs11-module", default="", help="a PKCS#11 module (.so) of an HSM or a card reader (HiCOS)")
@click.option("--token-label", default="", help="with --pkcs11-module: the token's label")
@click.option("--key-label", default="", help="with --pkcs11-module: the key's label")
@click.option("--pkcs12", "pkcs12_path", type=click.Path(exists=True, dir_okay=False), help="a PKCS#12 file instead")
@click.option("--pin-env", default="", help="the environment variable holding the PIN or password")
@click.option("--pin-file", default="", help="the file holding the PIN or password")
@click.option("--label", default="", help="a note to recognise the key by")
def signers_add(party: str, agency: str, agency_name: str, pkcs11_module: str, token_label: str, key_label: str,
                pkcs12_path: str | None, pin_env: str, pin_file: str, label: str) -> None:
    """Register a key: it is opened, and its certificate must name the agency and chain to a trusted
    root (FORMS_TRUST_ROOTS).  The PIN is never stored: only where to read it."""
    if bool(pkcs11_module) == bool(pkcs12_path):
        raise click.UsageError("give --pkcs11-module (with --token-label, --key-label) or --pkcs12")
    secret = f"env:{pin_env}" if pin_env else f"file:{Path(pin_file).resolve()}" if pin_file else ""
    with _registry() as registry:
        key = registry.register(LOCAL_OPERATOR, party=party, agency=agency, agency_name=agency_name,
                                kind="pkcs11" if pkcs11_module else "pkcs12", module=pkcs11_module,
                                token_label=token_label, key_label=key_label, path=str(pkcs12_path or ""),
                                secret_source=secret, label=label)
    click.echo(f"{key.id}: {key.subject} (sha256 {key.fingerprint}), until {key.not_after:%Y-%m-%d}")


@signers_group.command("retire")
@click.argument("key_id")
def signers_retire(key_id: str) -> None:
    """Stop signing with KEY_ID (documents it signed keep naming it)."""
    with _registry() as registry:
        key = registry.retire(LOCAL_OPERATOR, key_id)
    click.echo(f"{key.id}: retired")


@signers_group.command("people")
@click.option("--user", "username", default=None, help="only this person's")
def signers_people(username: str | None) -> None:
    """People's certificates: fingerprint, account, state, subject."""
    from ..signers.people import STATE_NAMES

    with _registry() as registry:
        found = registry.store.person_certificates(username=username)
    for certificate in found:
        click.echo(f"{certificate.fingerprint[:16]}  {certificate.username:12} "
                   f"{STATE_NAMES.get(certificate.state, certificate.state)}  {certificate.subject}")


@signers_group.command("bind")
@click.option("--user", "username", required=True, help="the person's account")
@click.argument("certificate", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def signers_bind(username: str, certificate: Path) -> None:
    """Bind CERTIFICATE (DER or PEM: the card's certificate) to a person's account, approved."""
    from ..signers.people import bind

    with _registry() as registry, catalog_only() as users:
        bound = bind(registry.store, users, LOCAL_OPERATOR, username=username, certificate=certificate.read_bytes(),
                     now=datetime.now(timezone.utc))
    click.echo(f"{bound.fingerprint[:16]}: {bound.subject} bound to {bound.username}")


@signers_group.command("approve")
@click.argument("fingerprint")
@click.option("--remove", is_flag=True, help="remove the binding instead")
def signers_approve(fingerprint: str, remove: bool) -> None:
    """Approve the pending certificate whose fingerprint starts with FINGERPRINT (or --remove it)."""
    from ..errors import InputError
    from ..signers.people import decide

    with _registry() as registry:
        found = [c for c in registry.store.person_certificates() if c.fingerprint.startswith(fingerprint.lower())]
        if len(found) != 1:
            raise InputError(f"{fingerprint} names {len(found)} certificates: give more of the fingerprint",
                             details={"field": "fingerprint"})
        decided = decide(registry.store, LOCAL_OPERATOR, found[0].fingerprint, approve=not remove,
                         now=datetime.now(timezone.utc))
    click.echo(f"{decided.fingerprint[:16]}: {decided.username} {decided.state}")


@click.group("demo")
def demo_group() -> None:
    """The demo's parts (demo mode: no FORMS_SIGNER_PKCS12 or FORMS_PKCS11_MODULE)."""


@demo_group.command("cards")
@click.option("--json", "as_json", is_flag=True, help="as JSON, with each card's certificate (base64 DER)")
@click.option("--issue-person", "people", multiple=True, metavar="USER",
              help="issue USER a 自然人憑證 card now (his name from his account)")
def demo_cards(as_json: bool, people: tuple[str, ...]) -> None:
    """The demo cards: holder, token label, PIN, PKCS#11 module, certificate — agencies' 機關憑證
    (issued on their first document) and people's 自然人憑證."""
    from signing.demo_cards import DemoCards
    from signing.demo_pki import DemoPkiServer, ensure_demo_pki

    from ..components import demo_card_pool
    from ..errors import InputError

    settings = load_settings()
    if not settings.demo_signer:
        raise InputError("demo cards exist in demo mode only (no FORMS_SIGNER_PKCS12 or FORMS_PKCS11_MODULE)")
    pool = demo_card_pool(settings)
    cards = DemoCards(settings.data_dir / "pki", pool)
    if people:
        with catalog_only(settings) as catalog, DemoPkiServer(ensure_demo_pki(settings.data_dir / "pki"),
                                                              pool=pool) as pki:
            for username in people:
                user = catalog.user(username)
                if user is None:
                    raise InputError(f"no user {username!r}: create the person first", details={"field": "user"})
                card = cards.person_card(username, user.full_name or username, base_url=pki.url)
                _bind_demo_card(catalog, username, card.certificate)
    found = cards.cards()
    if as_json:
        click.echo(json.dumps([{**c.as_dict(), "pin": cards.pin(c)} for c in found], ensure_ascii=False, indent=1))
        return
    for card in found:
        kind = "機關憑證" if card.kind == "agency" else "自然人憑證"
        click.echo(f"{card.holder:12} {kind:6} {card.token_label}  PIN {cards.pin(card)}  "
                   f"{'(revoked) ' if card.revoked else ''}{card.subject}")
    if found:
        click.echo(f"PKCS#11 module: {found[0].module} (SOFTHSM2_CONF={pool.conf})")
    else:
        click.echo("no cards yet: an agency gets one on its first document; --issue-person USER for a person")


def _bind_demo_card(catalog: Any, username: str, certificate: bytes) -> None:
    from ..signers.people import bind
    from ..signers.store import SqlSigners

    bind(SqlSigners(catalog.db), catalog, LOCAL_OPERATOR, username=username,
         certificate=certificate, now=datetime.now(timezone.utc))
