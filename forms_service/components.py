"""Start-up wiring: the long-lived parts of a running service, built from settings — converter,
signers, store, catalog, clock — and the domain services made from them.

Built once per process (by ``serve``, the CLI, or the tests' fixtures) and held only by the edges
(CLI commands, the web app); each domain service receives the collaborators it uses, built by the
properties of ``Components``.  The wiring is immutable: what a process runs on is fixed when it
starts (a variant is a copy: ``sharing``); what changes while it runs — what to stop, the converters
lent after a fork — is kept apart in ``Running``.  ``close()`` stops what was started here: the
LibreOffice workers and, in embedded mode, the SeaweedFS server and the demo PKI.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signing import (
    Level,
    Pkcs11Provider,
    Pkcs12Provider,
    RevocationCache,
    SignerProvider,
    SigningContext,
    SigningLoop,
    StampFont,
    replacements,
)
from signing.demo_pki import DemoPkiFiles, DemoPkiServer, ensure_demo_pki
from signing.detached import sign_detached
from signing.softhsm import SoftHsmPool
from signing.validation import load_trust_roots
from storage import ObjectLocked, ObjectNotFound, ObjectStore, Retention, StorageError
from storage.seaweed import EmbeddedSeaweedFS

from .access.roles import Actor, Role
from .clock import SYSTEM_CLOCK, Clock
from .convert import Converter, LibreOfficePool
from .convert.lazy import LazyConverter
from .errors import ConfigError, ConversionFailed, StorageFailed
from .forms import all_forms
from .produce import DocumentSigner, Producer
from .produce.glyphs import coverage, font_file, template_faces
from .produce.stamp import likely_characters
from .produce.template_check import check_agency_templates
from .produce.templates import TemplateSource
from .settings import Settings

if TYPE_CHECKING:  # imported where used: a one-shot `render` needs neither the catalog nor the archive
    from .access.sessions import SessionPolicy
    from .archive import Archive, RetentionPolicy, Verifier
    from .archive.disposition import Disposition
    from .archive.evidence import EvidenceExporter
    from .archive.reading import RecordReading
    from .audit.seals import Sealer
    from .connections.oversight import ProviderOversight
    from .filing.service import FilingService
    from .filing.sessions import SigningSessions
    from .querylog.duty import QueryLogDuty
    from .repositories import Catalog, SqlCatalog
    from .signers.registry import SignerRegistry

log = logging.getLogger(__name__)


@dataclass
class Running:
    """What changes while a process runs, apart from its wiring: what to stop at the end, and the
    converters the instance's other web processes lend (``lend_converter``, after a fork)."""

    closers: list[Callable[[], None]] = field(default_factory=list)
    lent_converters: Callable[[], list[Converter]] = list
    # Held while a part that keeps state (the signer registry, the jobs) is made: the first requests
    # of a web process come at once, and from Python 3.12 on cached_property makes each caller build.
    making: threading.RLock = field(default_factory=threading.RLock)


@dataclass(frozen=True)
class Components:
    """What a running service holds.  Only the edges (CLI, web, start-up) see this object; they
    hand each domain service the collaborators it uses, built by the properties below (those that
    keep state, or cost something to build, once per ``Components``)."""

    settings: Settings
    converter: Converter | None
    signer: SignerProvider
    trust_roots: list[Any]
    templates: TemplateSource = field(default_factory=TemplateSource)
    signing: SigningContext = field(default_factory=SigningContext)
    level: Level = Level.B_B
    provider_signer: SignerProvider | None = None
    store: ObjectStore | None = None
    catalog: Catalog | None = None
    embedded_store: EmbeddedSeaweedFS | None = None
    demo_pki: DemoPkiServer | None = None  # demo mode: the demo PKI, its TSA and its cards
    clock: Clock = SYSTEM_CLOCK
    running: Running = field(default_factory=Running)
    # Where an agency without a key gets one on its first document, when not from the demo cards
    # (the unit tests' software keys): (code, name) → the key's place, as ``SignerRegistry`` takes it.
    demo_key_issuer: Callable[[str, str], dict[str, str]] | None = None

    def sharing(self, **changes: Any) -> Components:
        """A variant of these components (another catalog, clock, settings, …) running on the same
        parts, which its ``close()`` leaves running: they stay this one's to stop."""
        return dataclasses.replace(self, running=Running(lent_converters=self.running.lent_converters), **changes)

    def lent_converters(self) -> list[Converter]:
        return self.running.lent_converters()

    # --- domain services, wired -----------------------------------------------------------------

    @property
    def document_signer(self) -> DocumentSigner:
        """The agency's key: forms, disposition certificates."""
        return DocumentSigner(provider=self.signer, context=self.signing, level=self.level,
                              trust_roots=self.trust_roots, clock=self.clock)

    @property
    def countersigner(self) -> DocumentSigner | None:
        """The data provider's key (附件2), if one is configured."""
        if self.provider_signer is None:
            return None
        return DocumentSigner(provider=self.provider_signer, context=self.signing, level=self.level,
                              trust_roots=self.trust_roots, clock=self.clock)

    @cached_property
    def signers(self) -> SignerRegistry:
        """The keys each party signs with here (``signers/``): one registry per components, which
        keeps each key it opened; in demo mode an agency gets its DEMO 機關憑證 card on its first
        document."""
        with self.running.making:
            made: SignerRegistry | None = self.__dict__.get("signers")
            return made if made is not None else self._make_signers()

    def _make_signers(self) -> SignerRegistry:
        catalog = self.require_catalog()
        from .signers.registry import SignerRegistry
        from .signers.store import SqlSigners

        demo = self.demo_pki.cards if self.demo_pki is not None else None
        issuer: Callable[[str, str], dict[str, str]] | None = self.demo_key_issuer
        secrets = None
        if demo is not None:
            cards, url = demo, self.demo_pki.url if self.demo_pki is not None else ""

            def issuer(code: str, name: str) -> dict[str, str]:
                card = cards.agency_card(code, name, base_url=url)
                return {"kind": "pkcs11", "module": card.module, "token_label": card.token_label,
                        "key_label": card.key_label, "secret_source": f"demo:{card.token_label}"}

            def secrets(label: str) -> str:
                return next(t.pin for t in cards.pool.tokens() if t.label == label)

        registry = SignerRegistry(SqlSigners(catalog.db), trust_roots=self.trust_roots, clock=self.clock,
                                  demo_secrets=secrets, demo_issuer=issuer)
        self.running.closers.append(registry.close)
        return registry

    @property
    def card_authorities(self) -> list[Any]:
        """The CAs that issue signers' cards (FORMS_CA_CERTIFICATES; in demo mode the DEMO GCA and
        MOICA too): a card hands in its own certificate, and its chain is built from these."""
        from asn1crypto import x509 as asn1_x509

        found = load_trust_roots(self.settings.ca_certificates) if self.settings.ca_certificates else []
        cards = self.demo_pki.cards if self.demo_pki is not None else None
        if cards is not None:
            for ca in ("gca", "moica"):
                with contextlib.suppress(OSError):
                    found.append(asn1_x509.Certificate.load(cards.ca_certificate(ca)))
        return found

    def demo_card_for(self, current: Any, *, username: str, person_name: str, agency: str,
                      agency_name: str) -> tuple[str, str, str] | None:
        """Demo mode: the card that signs ``current`` (a signature block) — the person's own, his
        agency's or the provider's, issued now on first use (a person's bound to his account) —
        as (its holder's name, its token's label, its PIN), for the signing page to show; None
        outside demo mode."""
        cards = self.demo_pki.cards if self.demo_pki is not None else None
        if cards is None or self.demo_pki is None:
            return None
        url = self.demo_pki.url
        if current.signer == "person":
            card = cards.person_card(username, person_name or username, base_url=url)
            from .signers import people

            binding = self.signers.store.person_certificate(people.fingerprint(
                people.load_certificate(card.certificate)))
            if binding is None:
                people.bind(self.signers.store, self.require_catalog(),
                            Actor(id="service:demo", agency="", role=Role.ADMIN), username=username,
                            certificate=card.certificate, now=self.clock.now())
        elif current.signer == "provider":
            card = cards.provider_card(self.settings.provider_name, base_url=url)
        else:
            card = cards.agency_card(agency, agency_name, base_url=url)
        return card.name, card.token_label, cards.pin(card)

    @property
    def signing_sessions(self) -> SigningSessions:
        """Signing with a card in two steps (``filing/sessions.py``)."""
        from .filing.session_store import SqlSigningSessions
        from .filing.sessions import SigningSessions

        catalog = self.require_catalog()
        return SigningSessions(filing=self.filing, store=SqlSigningSessions(catalog.db), records=catalog,
                               archive=lambda: self.archive, clock=self.clock, authorities=self.card_authorities,
                               provider_name=self.settings.provider_name)

    @cached_property
    def filing(self) -> FilingService:
        """Filing forms (``filing/``): the API, the pages, batches and duties call it alike."""
        from .filing.after import after_effects
        from .filing.service import FilingService
        from .taiwan import TAIPEI

        catalog = self.require_catalog()
        return FilingService(
            records=catalog, producer=lambda: self.producer, archive=lambda: self.archive, signers=self.signers,
            document_signer=self.document_signer, today=lambda: self.clock.now().astimezone(TAIPEI).date(),
            now=self.clock.now, provider_max_use_years=self.settings.provider_max_use_years,
            provider_name=self.settings.provider_name, provider_key=lambda: self.provider_signer,
            after_filing=after_effects(catalog, notify=self.notifier, send_to_provider=self.provider_mail,
                                       provider_name=self.settings.provider_name, now=self.clock.now))

    def provider_mail(self, subject: str, body: str) -> list[str]:
        """A notice mailed now to each of the data provider's people with an address; the addresses
        that took it (none without FORMS_SMTP_HOST)."""
        from .notify.reminders import send_notice

        mailer, catalog = self.mailer, self.catalog
        if mailer is None or catalog is None:
            return []
        return send_notice(catalog, mailer, agency=None, role="provider", subject=subject, body=body).sent

    @property
    def producer(self) -> Producer:
        if self.converter is None:
            raise ConversionFailed("these components were started without the converter")
        from .observe.metrics import observe_stage

        return Producer(converter=self.converter, signer=self.document_signer, templates=self.templates,
                        provider_name=self.settings.provider_name, parallel=self.settings.converter_workers,
                        observe=observe_stage, lent_converters=self.lent_converters)

    def lend_converter(self) -> None:
        """Lend this process's converter to the instance's other web processes, and borrow theirs
        for long documents (``convert/lending.py``); stopped with the components."""
        from .convert.lending import ConverterLending
        from .observe.metrics import converter_lent

        if self.converter is None:
            return
        try:
            lending = ConverterLending(self.converter, self.settings.run_dir / "converters",
                                       timeout=self.settings.conversion_timeout + 30, on_lent=converter_lent).start()
        except OSError as err:  # a data directory whose path is too long for a Unix socket, say
            log.warning("this web process does not lend its converter (long documents convert on its "
                        "own workers only): %s", err)
            return
        self.running.lent_converters = lending.lent_converters
        self.running.closers.append(lending.close)

    @property
    def retention(self) -> RetentionPolicy:
        from .archive import RetentionPolicy

        s = self.settings
        return RetentionPolicy(s.lock_mode, years_after_period=s.retention_years_after_period,
                               years_logs=s.retention_years_logs)

    @property
    def archive(self) -> Archive:
        from .archive import Archive

        store, catalog = self.require_archive()
        from .observe.metrics import observe_stage

        return Archive(store=store, records=catalog, audit=catalog, retention=self.retention, clock=self.clock,
                       observe=observe_stage)

    @property
    def session_policy(self) -> SessionPolicy:
        from .access.sessions import SessionPolicy

        return SessionPolicy(hours=self.settings.session_hours, idle_minutes=self.settings.session_idle_minutes)

    @property
    def verifier(self) -> Verifier:
        from .archive import Verifier

        return Verifier(trust_roots=self.trust_roots, revocation_mode=self.settings.revocation_mode)

    @property
    def disposition(self) -> Disposition:
        from .archive.disposition import Disposition

        store, catalog = self.require_archive()
        return Disposition(store=store, records=catalog, converter=self.converter, signer=self.document_signer,
                           lock_mode=self.settings.lock_mode, clock=self.clock)

    @property
    def sealer(self) -> Sealer:
        from .audit.seals import Sealer

        store, catalog = self.require_archive()
        return Sealer(log=catalog, store=store, sign=self.sign_detached, lock_mode=self.settings.lock_mode,
                      retention_years=self.settings.retention_years_audit, trust_roots=self.trust_roots,
                      clock=self.clock)

    @property
    def exporter(self) -> EvidenceExporter:
        from .archive.evidence import EvidenceExporter

        _, catalog = self.require_archive()
        return EvidenceExporter(archive=self.archive, verifier=self.verifier, sign=self.sign_detached,
                                audit=catalog, clock=self.clock)

    @cached_property
    def reading(self) -> RecordReading:
        """Every read of a record, scoped and audited (``archive/reading.py``)."""
        from .archive.reading import RecordReading

        _, catalog = self.require_archive()
        return RecordReading(records=catalog, archive=self.archive, verifier=self.verifier, audit=catalog.audit)

    def signer_fingerprint(self) -> str:
        """SHA-256 of the service's signing certificate: what evidence exports are pinned to."""
        return certificate_fingerprint(self.signer)

    def sign_detached(self, data: bytes) -> bytes:
        """A detached CMS signature over ``data`` with the agency's key, timestamped when a TSA is set."""
        return sign_detached(self.signer.signer(), data, tsa_url=self.signing.tsa_url)

    def due_items(self, *, agency: str | None = None, within: int | None = None) -> list[Any]:
        """What is due now (``connections/due.py``: the monthly query check's and the connections'),
        overdue first."""
        from .notify.due import all_due
        from .taiwan import TAIPEI

        s = self.settings
        return all_due(self.require_archive()[1], today=self.clock.now().astimezone(TAIPEI).date(),
                       close_days=s.query_log_close_days, review_days=s.query_log_review_days,
                       explain_days=s.query_log_explain_days, agency=agency, within=within,
                       signature_days=s.signature_due_days)

    @property
    def mailer(self) -> Any:
        """The SMTP mailer of FORMS_SMTP_*; None without FORMS_SMTP_HOST (no mail is sent)."""
        return mailer_of(self.settings)

    @property
    def notifier(self) -> Callable[[str | None, str, str], None]:
        """``notify(agency, subject, body)``: a notice mailed now to the agency's staff (None: the data
        provider's people) with an address; nothing without FORMS_SMTP_HOST (pages show it anyway)."""
        from .notify.reminders import send_notice

        mailer, catalog = self.mailer, self.catalog

        def notify(agency: str | None, subject: str, body: str) -> None:
            if mailer is None or catalog is None:
                return
            send_notice(catalog, mailer, agency=agency, role="staff" if agency else "provider", subject=subject,
                        body=body)

        return notify

    def send_due_reminders(self, *, force: bool = False) -> Any:
        """Today's reminder digests, once a day from FORMS_REMINDER_HOUR (Taipei) on; None without SMTP
        or before the hour (``force``: regardless of the hour)."""
        from .notify.reminders import send_reminders
        from .taiwan import TAIPEI

        self.retry_incident_reports()  # hourly: an incident's report should not wait for the digest hour
        early = self.clock.now().astimezone(TAIPEI).hour < self.settings.reminder_hour
        if self.mailer is None or (early and not force):
            return None
        return send_reminders(self.require_archive()[1], self.mailer, self.due_items(), clock=self.clock)

    def retry_incident_reports(self) -> int:
        """Send again each incident report the data provider does not have yet (規範 六(六)4), after
        recording the incident of any archived report whose recording was interrupted."""
        from .connections.incidents import retry_reports
        from .notify.reminders import send_notice

        catalog, mailer = self.require_archive()[1], self.mailer

        def send(subject: str, body: str) -> list[str]:
            if mailer is None:
                return []  # on the provider's page only
            return send_notice(catalog, mailer, agency=None, role="provider", subject=subject, body=body).sent

        names = {}
        for incident in catalog.incidents():
            profile = catalog.agency_profile(incident.agency) if incident.reported_at is None else None
            if profile is not None:
                names[incident.agency] = str(profile.data.get("name", "") or incident.agency)
        return retry_reports(catalog, send=send, unit_names=names, provider_name=self.settings.provider_name,
                             now=self.clock.now())

    @cached_property
    def oversight(self) -> ProviderOversight:
        """The provider's oversight (``connections/oversight.py``): audits worked through by both sides,
        connections stopped by the provider, incidents acknowledged — for the API and the pages."""
        from .connections.oversight import ProviderOversight

        store, catalog = self.require_archive()
        provider = self.settings.provider_name

        def file_by_provider(actor: Actor, form_id: str, data: dict[str, Any], reason: str, source_ip: str) -> str:
            return self.filing.file(actor, form_id, data, source_ip=source_ip, by_provider=True,
                                    reason=f"{provider}{reason}").record_id

        return ProviderOversight(catalog=catalog, store=store, file_by_provider=file_by_provider,
                                 notify=self.notifier, provider_name=provider, lock_mode=self.settings.lock_mode,
                                 evidence_retention_years=self.settings.retention_years_logs, clock=self.clock)

    @cached_property
    def query_log_duty(self) -> QueryLogDuty:
        """The monthly query-log duty's steps (``querylog/duty.py``), for every edge and the jobs."""
        from .querylog.duty import QueryLogDuty
        from .querylog.month import thresholds_from

        store, catalog = self.require_archive()

        def file_register(filer: Any, form_id: str, data: dict[str, Any], source_ip: str) -> str:
            return self.filing.file(filer, form_id, data, source_ip=source_ip).record_id

        return QueryLogDuty(catalog=catalog, store=store, sign=self.sign_detached, lock_mode=self.settings.lock_mode,
                            retention_years=self.settings.retention_years_logs,
                            close_days=self.settings.query_log_close_days, thresholds=thresholds_from(self.settings),
                            clock=self.clock, file_register=file_register)

    def close_due_query_months(self) -> list[Any]:
        """Close every system's month of query events whose FORMS_QUERY_LOG_CLOSE_DAYS have passed."""
        from .access import Actor, Role

        if self.settings.query_log_close_days <= 0:
            return []
        return self.query_log_duty.close_due(Actor(id="service:query-log", agency="", role=Role.ADMIN))

    @cached_property
    def jobs(self) -> Any:
        """The background jobs (``jobs.tasks.ServiceJobs``) on this instance's queue; they run
        against these components when this process runs them (the web process holding the jobs lock,
        ``jobs run``, or a test)."""
        from .jobs.engine import make_huey
        from .jobs.runtime import JobRuntime
        from .jobs.tasks import ServiceJobs

        with self.running.making:
            made = self.__dict__.get("jobs")
            if made is not None:
                return made
            runtime: list[JobRuntime] = []
            jobs = ServiceJobs(make_huey(self.settings), runtime=lambda: runtime[0])
            runtime.append(JobRuntime(self, jobs))
            return jobs

    def require_catalog(self) -> Catalog:
        if self.catalog is None:
            raise StorageFailed("these components were started without a catalog")
        return self.catalog

    def require_archive(self) -> tuple[ObjectStore, Catalog]:
        if self.store is None or self.catalog is None:
            raise StorageFailed("these components were started without a store and catalog")
        return self.store, self.catalog

    # --- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        closers = self.running.closers
        for close in reversed(closers):
            try:
                close()
            except Exception:  # keep closing the rest
                log.exception("error while stopping a component")
        closers.clear()

    def __enter__(self) -> Components:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class SharedServices:
    """What every process on a data directory shares and one process owns: the embedded object
    store and the demo PKI.  A server's master process starts them before its web workers, which
    attach to them (``start_components`` finds them running), so workers come and go — restarted
    after a crash, or several at once — while the store and the PKI stay up."""

    store: EmbeddedSeaweedFS | None = None
    pki: DemoPkiServer | None = None

    def close(self) -> None:
        if self.store is not None:
            self.store.stop()
        if self.pki is not None:
            self.pki.stop()


def start_shared_services(settings: Settings) -> SharedServices:
    """Start the embedded store and the demo PKI as the settings ask; on failure stop what started."""
    secure_data_dir(settings)
    shared = SharedServices()
    with open(settings.data_dir / ".start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if settings.demo_signer:
                shared.pki = DemoPkiServer(ensure_demo_pki(settings.data_dir / "pki"),
                                           pool=demo_card_pool(settings)).start()
            if settings.embedded_store:
                shared.store = EmbeddedSeaweedFS(settings.data_dir / "seaweedfs", bucket=settings.s3_bucket).start()
        except BaseException:
            shared.close()
            raise
    return shared


def demo_card_pool(settings: Settings) -> SoftHsmPool:
    """The demo cards' SoftHSM2 tokens: this process's SoftHSM2 configuration (``SOFTHSM2_CONF``, set to
    the data directory's when unset), made before anything here loads the module."""
    return SoftHsmPool.for_process(settings.data_dir / "pki" / "softhsm" / "softhsm2.conf").ensure()


def mailer_of(settings: Settings) -> Any:
    """The SMTP mailer of FORMS_SMTP_*; None without FORMS_SMTP_HOST."""
    from .notify.mail import SmtpMailer

    if not settings.smtp_host:
        return None
    return SmtpMailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from,
                      user=settings.smtp_user, password=settings.smtp_password, starttls=settings.smtp_starttls,
                      use_ssl=settings.smtp_ssl)


def start_components(settings: Settings, *, with_archive: bool = True, with_converter: bool = True,
                     workers: int | None = None, pool: LibreOfficePool | None = None,
                     with_catalog: bool = False, lazy_converter: bool = False) -> Components:
    """Start everything the settings describe; on any failure, stop what was started and raise.

    ``pool``: LibreOffice workers already starting (a one-shot command starts them before it loads
    the rest of its code); the components own it from here on.  ``with_catalog``: the catalog
    without the object store (a command that signs but keeps nothing needs the agencies' keys).
    ``lazy_converter`` (with ``with_converter=False``): LibreOffice started when the first document
    needs it, as the jobs process does.

    Processes sharing a data directory (gunicorn workers, a command beside ``serve``) start one at
    a time, so the first creates the demo PKI and the embedded store and the others use them."""
    secure_data_dir(settings)
    replacements.install(stock=settings.stock_libraries)
    with open(settings.data_dir / ".start.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _start_components(settings, with_archive=with_archive, with_converter=with_converter, workers=workers,
                                 pool=pool, with_catalog=with_catalog, lazy_converter=lazy_converter)


def _start_components(settings: Settings, *, with_archive: bool, with_converter: bool,
                      workers: int | None, pool: LibreOfficePool | None, with_catalog: bool,
                      lazy_converter: bool) -> Components:
    problems = settings.shared_deployment_problems()
    if problems:
        raise ConfigError("with FORMS_DATABASE_URL or FORMS_S3_ENDPOINT (shared by instances): " + "; ".join(problems))
    closers: list[Callable[[], None]] = []
    if pool is not None:
        closers.append(pool.close)
    try:
        # LibreOffice takes the longest to start (~1 s): its workers start first and meanwhile the
        # rest starts; they are waited for at the end, so a failure still stops start-up.
        converter: Converter | None = pool
        if with_converter and converter is None:
            from .observe.metrics import converter_restarted

            converter = LibreOfficePool(workers=workers or settings.converter_workers, start_in_background=True,
                                        run_dir=settings.run_dir, on_restart=converter_restarted,
                                        **settings.converter_options)
            closers.append(converter.close)
        elif converter is None and lazy_converter:  # the jobs process: LibreOffice at the first batch
            converter = LazyConverter(lambda: _jobs_pool(settings))
            closers.append(converter.close)
        templates = open_templates(settings)
        preload_fonts(templates)
        if with_converter or pool is not None:  # documents will be produced: the glyph answers of earlier runs
            from .produce.pdfa import load_readable_outlines, save_readable_outlines

            outlines = settings.data_dir / "cache" / "readable-outlines.bin"
            load_readable_outlines(outlines)
            closers.append(lambda: save_readable_outlines(outlines))
        demo = None
        if settings.demo_signer:
            demo = DemoPkiServer(ensure_demo_pki(settings.data_dir / "pki"), pool=demo_card_pool(settings)).start()
            closers.append(demo.stop)
        signer, provider_signer, roots = open_signers(settings, demo)
        closers.append(signer.close)
        tsa_url = settings.tsa_url or (demo.tsa_url if demo else "")
        level = Level(settings.signature_level) if settings.signature_level else (Level.B_LTA if tsa_url else Level.B_B)
        kai = font_file("TW-Kai")
        # One event loop, HTTP session and revocation cache for every signature of this process.
        loop = SigningLoop()
        closers.append(loop.close)
        stamp_font = StampFont(kai, work_dir=settings.run_dir, expected=likely_characters(),
                               cache_dir=settings.data_dir / "cache" / "fonts") if kai else None
        if stamp_font is not None:
            closers.append(stamp_font.close)
        revocation = RevocationCache(folder=settings.data_dir / "cache" / "revocation")  # shared by this machine
        signing = SigningContext(tsa_url=tsa_url, trust_roots=tuple(roots), stamp_font=stamp_font,
                                 loop=loop, revocation=revocation)
        embedded_store, store, catalog = None, None, None
        if with_archive:
            embedded_store, store = open_store(settings)
            if embedded_store is not None:
                closers.append(embedded_store.stop)
        if with_archive or with_catalog:
            catalog = open_catalog(settings)
            closers.append(catalog.close)
        if isinstance(converter, LibreOfficePool):
            converter.wait_started()
        return Components(settings, converter=converter, signer=signer, trust_roots=roots, templates=templates,
                          signing=signing, level=level, provider_signer=provider_signer, demo_pki=demo,
                          store=store, catalog=catalog, embedded_store=embedded_store, running=Running(closers))
    except BaseException:
        for close in reversed(closers):
            close()
        raise


def _jobs_pool(settings: Settings) -> LibreOfficePool:
    """The jobs process's LibreOffice workers: as many as its job threads, at most the converter's."""
    from .observe.metrics import converter_restarted

    workers = max(1, min(settings.jobs_workers, settings.converter_workers))
    return LibreOfficePool(workers=workers, run_dir=settings.run_dir, on_restart=converter_restarted,
                           **settings.converter_options)


def open_templates(settings: Settings) -> TemplateSource:
    """The template source; agency templates are checked here and a bad one stops start-up."""
    source = TemplateSource(Path(settings.template_dir) if settings.template_dir else None)
    if source.directory is not None:
        check_agency_templates(source, all_forms(), provider_name=settings.provider_name)
    return source


def preload_fonts(templates: TemplateSource) -> None:
    """Read the fonts' coverage now (≈0.4 s) rather than in the first request."""
    for face in {face for spec in all_forms() for face in template_faces(templates.load(spec))}:
        coverage(face)


def open_signers(settings: Settings, demo: DemoPkiServer | None
                 ) -> tuple[SignerProvider, SignerProvider | None, list[Any]]:
    """The agency's signer, the data provider's countersigner (if any) and the trust roots."""
    roots_files = list(settings.trust_roots)
    provider_signer = None
    if settings.pkcs11_module:
        signer: SignerProvider = Pkcs11Provider(
            module=settings.pkcs11_module, token_label=settings.pkcs11_token_label,
            key_label=settings.pkcs11_key_label, cert_label=settings.pkcs11_cert_label or None,
            pin=_pkcs11_pin(settings),
        )
    elif settings.signer_pkcs12:
        signer = Pkcs12Provider(settings.signer_pkcs12,
                                password=_secret_file(settings.signer_pkcs12_password_file,
                                                      "FORMS_SIGNER_PKCS12_PASSWORD_FILE"))
    else:
        assert demo is not None
        signer = Pkcs12Provider(demo.files.signer_p12, password=demo.files.password)
    if settings.provider_pkcs12:
        provider_signer = Pkcs12Provider(settings.provider_pkcs12, password=_secret_file(
            settings.provider_pkcs12_password_file, "FORMS_PROVIDER_PKCS12_PASSWORD_FILE"))
    elif demo is not None:
        provider_signer = Pkcs12Provider(demo.files.provider_p12, password=demo.files.password)
    if demo is not None:
        roots_files.append(str(demo.files.root_pem))
    signer.signer()  # fail at start-up, not at the first request
    return signer, provider_signer, load_trust_roots(roots_files)


def certificate_fingerprint(provider: SignerProvider) -> str:
    cert = provider.signer().signing_cert
    if cert is None:
        raise ConfigError("the signing key comes without its certificate")
    return str(cert.sha256.hex())


def service_signer_fingerprint(settings: Settings) -> str:
    """The service's signing certificate's SHA-256, from the settings alone (no server started):
    the PKCS#12 file, the PKCS#11 token, or the demo PKI of the data directory."""
    if settings.pkcs11_module or settings.signer_pkcs12:
        provider, _, _ = open_signers(settings, None)
    else:
        files = DemoPkiFiles(settings.data_dir / "pki")
        if not files.signer_p12.exists():
            raise ConfigError("the demo PKI has not been made yet: start the service once, or name the "
                              "certificate with --signer-fingerprint")
        provider = Pkcs12Provider(files.signer_p12, password=files.password)
    try:
        return certificate_fingerprint(provider)
    finally:
        provider.close()


def verification_roots(settings: Settings) -> list[Any]:
    """Trust roots for verifying without starting anything: configured ones, plus the demo root
    in demo mode."""
    files = list(settings.trust_roots)
    demo_root = settings.data_dir / "pki" / "demo-root.pem"
    if settings.demo_signer and demo_root.exists():
        files.append(str(demo_root))
    return load_trust_roots(files)


def _secret_file(path: str, setting: str) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes().strip()
    except OSError as err:
        raise ConfigError(f"{setting}: cannot read it ({err.strerror})") from err


def _pkcs11_pin(settings: Settings) -> str | None:
    if settings.pkcs11_pin_env:
        pin = os.environ.get(settings.pkcs11_pin_env)
        if pin is None:
            raise ConfigError(f"FORMS_PKCS11_PIN_ENV names {settings.pkcs11_pin_env}, which is not set")
        return pin
    secret = _secret_file(settings.pkcs11_pin_file, "FORMS_PKCS11_PIN_FILE")
    return secret.decode() if secret is not None else None


def open_store(settings: Settings) -> tuple[EmbeddedSeaweedFS | None, ObjectStore]:
    embedded = None
    if settings.embedded_store:
        embedded = EmbeddedSeaweedFS(settings.data_dir / "seaweedfs", bucket=settings.s3_bucket).start()
        creds = embedded.credentials
        endpoint, access, secret, secure = embedded.endpoint, creds.access_key, creds.secret_key, False
    else:
        endpoint, access, secret = settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key
        secure = settings.s3_secure
    from storage.s3 import S3ObjectStore  # the minio SDK (~0.1 s) only where a store is opened

    store = S3ObjectStore(endpoint=endpoint, access_key=access, secret_key=secret, bucket=settings.s3_bucket,
                          secure=secure, region=settings.s3_region, timeout=settings.s3_timeout)
    try:
        store.ensure_ready()
        check_object_lock(store)
    except (StorageError, StorageFailed) as err:
        if embedded:
            embedded.stop()
        if isinstance(err, StorageFailed):
            raise
        raise StorageFailed(f"the object store is not usable: {err}") from err
    return embedded, store


def check_object_lock(store: ObjectStore, clock: Clock = SYSTEM_CLOCK) -> None:
    """The start-up canary: a locked object that must refuse deletion.

    Some S3 servers have shipped Object Lock bugs; evidence must never sit on a store that lets a
    locked version go.  One canary a day (``canary/<date>``, a few bytes locked for a day): the first
    start of the day writes it, every start tries to delete it — a refusal is the proof.
    """
    now = clock.now()
    key = f"canary/{now:%Y-%m-%d}"
    version_id = _locked_version(store, key, now)
    if version_id is None:
        stored = store.put(key, b"object lock canary", content_type="text/plain", metadata={"purpose": "canary"},
                           retention=Retention("GOVERNANCE", now + timedelta(days=1, hours=1)))
        version_id = stored.version_id
    try:
        store.delete(key, version_id)
    except ObjectLocked:
        return
    raise StorageFailed(
        f"the object store deleted a version under Object Lock ({key}): it does not enforce retention, "
        "so the service refuses to keep evidence there"
    )


def _locked_version(store: ObjectStore, key: str, now: datetime) -> str | None:
    """The version of ``key`` still under its lock, if there is one."""
    try:
        info = store.head(key)
    except ObjectNotFound:
        return None
    return info.version_id if info.retention is not None and info.retention.until > now else None


def secure_data_dir(settings: Settings) -> None:
    """The data directory — catalog, demo keys, the embedded store's files — is the service
    user's alone: created 0700, and everything written from here on under umask 077."""
    os.umask(0o077)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)


def open_catalog(settings: Settings) -> SqlCatalog:
    from .repositories import SqlCatalog

    secure_data_dir(settings)
    catalog = SqlCatalog(settings.catalog_url)
    catalog.create_schema()
    return catalog
