"""One frozen settings object, read from ``FORMS_*`` environment variables and an optional TOML file.

Precedence: explicit overrides (tests, CLI flags) > environment > TOML file (``FORMS_CONFIG``) >
defaults.  Every value is parsed and checked here, so a bad setting stops start-up with a sentence
naming it, instead of failing later inside a request.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import ConfigError

RETENTION_MODES = ("GOVERNANCE", "COMPLIANCE")


def _setting(default: Any, help: str, **extra: Any) -> Any:
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class Settings:
    """All configuration of one service instance.  Field ``x`` is read from ``FORMS_X``."""

    data_dir: Path = _setting(Path("var"), "where the catalog, demo PKI, embedded store and logs live")
    host: str = _setting("127.0.0.1", "address `serve` listens on")
    port: int = _setting(8080, "port `serve` listens on")

    # 經濟部商業司 was reorganised into 經濟部商業發展署 on 民國112年9月26日.
    provider_name: str = _setting("經濟部商業發展署", "the data provider (A層) printed on the forms")
    # 規範 六(五)'s notice with its blanks (○○) filled for what this service does with 商工資料.
    notice_text: str = _setting(
        "商工資料係為使用商工資料資通安全管理規範所定表單之製作及保存目的蒐集，僅供表單製作、簽章及歸檔作業之參考；"
        "若有資料內容疑問時，可向登記主管機關洽詢。",
        "the notice of 規範 六(五) shown on every page (its ○○ blanks filled in)")
    require_purpose: bool = _setting(False, "retrievals must state a purpose (X-Purpose header or purpose=)")
    secret_key: str = _setting("", "key signing the web sessions; empty = generated once in the data directory",
                               secret=True)
    role_networks: str = _setting("",
                                  "IP allowlists per role: clerk=10.1.0.0/16,10.2.0.0/16;admin=10.9.9.0/24 "
                                  "(unnamed roles: anywhere)")
    session_hours: float = _setting(8.0, "hours a sign-in lasts at most")
    session_idle_minutes: float = _setting(30.0, "minutes unused after which a sign-in ends")
    token_days: int = _setting(365, "days a new API token works unless `tokens create --days` says otherwise")
    auth_failure_limit: int = _setting(10, "failed sign-ins or bad tokens from one address before it must wait")
    auth_failure_window: int = _setting(300, "seconds over which those failures are counted (and the wait)")
    metrics_networks: str = _setting("127.0.0.0/8,::1/128", "networks that may read /metrics without a token "
                                     "(an administrator's token reads it from anywhere)")
    proxy_hops: int = _setting(0, "reverse proxies in front of the service whose X-Forwarded-For is trusted")
    tls_certificate: str = _setting("", "PEM certificate (chain) to serve HTTPS; with FORMS_TLS_KEY")
    tls_key: str = _setting("", "PEM private key of that certificate", secret=True)
    stock_libraries: bool = _setting(False, "run pyHanko and asn1crypto as they come, without the faster functions "
                                     "the service puts in their place (docs/library-replacements.md)")
    template_dir: str = _setting("", "directory of agency templates <form_id>.docx replacing the packaged ones")

    # Object store.  No endpoint → an embedded SeaweedFS on loopback, started and stopped by us.
    s3_endpoint: str = _setting("", "host:port of an S3 server with Object Lock; empty = embedded SeaweedFS")
    s3_access_key: str = _setting("", "S3 access key (generated for the embedded store)")
    s3_secret_key: str = _setting("", "S3 secret key (generated for the embedded store)", secret=True)
    s3_bucket: str = _setting("forms-records", "bucket holding every record version (created with Object Lock)")
    s3_secure: bool = _setting(False, "use HTTPS to reach the S3 endpoint")
    s3_region: str = _setting("us-east-1", "S3 region name")
    s3_timeout: float = _setting(5.0, "seconds before an S3 request is given up")
    retention_mode: str = _setting("",
                                   "Object Lock mode; empty = GOVERNANCE with the embedded store, COMPLIANCE otherwise")
    retention_years_after_period: int = _setting(1, "years a record of 附件1–3 is kept after its 使用期限 ends")
    retention_years_logs: int = _setting(1, "years 附件4–5 are kept after their audit date / month (規範: at least 1)")
    retention_years_audit: int = _setting(3, "years each sealed day of the audit log is kept in the store (at least 1)")

    database_url: str = _setting("", "SQLAlchemy URL of the catalog; empty = SQLite in the data directory")

    # Conversion.
    converter_workers: int = _setting(2, "warm LibreOffice workers in the pool")
    web_workers: int = _setting(0, "web processes of serve / gunicorn; 0 = one per core")
    web_threads: int = _setting(16, "threads in each web process")
    log_format: str = _setting("text", "text (for people) or json (one object per line, with the request id)")
    # Background jobs (huey): batches, the hourly audit seal, closing months, reminder digests.
    jobs_url: str = _setting("", "redis://… shared by instances; empty = a SQLite file in the data directory",
                             secret=True)
    jobs_workers: int = _setting(2, "threads running this instance's background jobs; 0 = run no jobs here")
    jobs_lease_seconds: int = _setting(300, "seconds a batch entry stays with its worker before another may take it")
    renew_within_days: int = _setting(180, "the daily job renews archive timestamps whose certificate expires "
                                           "within this many days; 0 = no daily renewal")
    webhook_retry_seconds: int = _setting(30, "first wait before a failed completion call is tried again (doubling)")
    outbound_allow: str = _setting("", "networks (10.0.0.0/8) or address:port pairs (127.0.0.1:8443) a URL given "
                                       "to the service (a completion call) may reach although not on the internet; "
                                       "empty = outside addresses only")
    conversion_timeout: float = _setting(60.0, "seconds one conversion may take before its worker is killed")
    soffice_path: str = _setting("/usr/bin/soffice", "LibreOffice's soffice")
    uno_python: str = _setting("/usr/bin/python3", "a Python that can `import uno` (Debian python3-uno)")

    # Signing.  No PKCS#12 file → the demo PKI in the data directory (names say DEMO).
    signer_pkcs12: str = _setting("", "PKCS#12 file with the signing key and certificate chain")
    signer_pkcs12_password_file: str = _setting("", "file holding the PKCS#12 password", secret=True)
    trust_roots: tuple[str, ...] = _setting((), "PEM/DER files of trusted roots (comma-separated)")
    local_sign_url: str = _setting(
        "http://localhost:61161", "where pages reach the signer's card program on his own PC (HiPKI LocalSignServer)")
    demo_card_reader_port: int = _setting(
        61161, "demo mode: the port of the LocalSignServer stand-in `serve` starts over the demo cards (0: none)")
    ca_certificates: tuple[str, ...] = _setting(
        (), "PEM/DER files of the CAs that issue signers' cards (GCA, MOICA; comma-separated): a card hands "
            "in its own certificate only, and its chain is built from these")
    # PKCS#11 token (GCA smart card, HSM): used instead of the PKCS#12 file when a module is set.
    pkcs11_module: str = _setting("", "PKCS#11 module (.so) of the signing token")
    pkcs11_token_label: str = _setting("", "label of the token holding the agency's key")
    pkcs11_key_label: str = _setting("", "label of the signing key on the token")
    pkcs11_cert_label: str = _setting("", "label of the certificate on the token (default: the key's)")
    pkcs11_pin_env: str = _setting("", "name of the environment variable holding the token PIN")
    pkcs11_pin_file: str = _setting("", "file holding the token PIN", secret=True)
    # The data provider's countersigning key (附件2); the demo PKI has one.
    provider_pkcs12: str = _setting("", "PKCS#12 file of the data provider's countersigning key")
    provider_pkcs12_password_file: str = _setting("", "file holding that PKCS#12 password", secret=True)
    tsa_url: str = _setting("", "RFC 3161 time-stamping authority; empty = the demo TSA in demo mode")
    signature_level: str = _setting("", "B-B, B-T, B-LT or B-LTA; empty = B-LTA when a TSA is available")
    revocation_mode: str = _setting("soft-fail",
                                    "revocation policy for signatures without embedded data: "
                                    "soft-fail, hard-fail or require")

    # The monthly query-log check (規範 六(四)2): what flags a query for the 查核人員 (docs/connections.md says why).
    provider_max_use_years: int = _setting(
        0, "the data provider's maximum 使用期限 in years on 附件1–3 (its rule, not the regulation's, which sets "
           "none); 0: no maximum")
    signature_due_days: int = _setting(
        5, "days a document may wait for its next signer before the due list counts it late (the agency's "
           "practice: the regulation sets none)")
    query_log_close_days: int = _setting(5, "days after a month ends when its query events are closed and sealed "
                                            "(0: only by hand)")
    query_log_office_hours: str = _setting("08:00-18:00", "office hours; a query outside them is flagged off-hours")
    query_log_volume_factor: float = _setting(3.0, "a user's day above this many times his usual day is flagged")
    query_log_volume_min: int = _setting(50, "… and only above this many queries that day")
    query_log_repeat: int = _setting(5, "one user querying the same subject this many times in a month is flagged")
    query_log_no_case_purposes: str = _setting("", "purposes that need no case number, comma-separated "
                                                   "(empty: every query needs one)")
    query_log_extra_working_days: str = _setting("", "make-up working days (補行上班) the holiday calendar lacks, "
                                                     "comma-separated dates")
    query_event_window_days: int = _setting(400, "days back a reported query may lie (a later one than tomorrow is "
                                                 "refused too): a system's wrong clock is caught, not kept")
    query_log_review_days: int = _setting(15, "days after a month ends by which its 查核人員 signs its 附件5 off")
    query_log_explain_days: int = _setting(7, "days a querier has to answer a request for a 查調者說明")

    # Reminders of what is due, by mail; without FORMS_SMTP_HOST only the pages and `due` show them.
    smtp_host: str = _setting("", "SMTP server for reminder mails (empty: no mail)")
    smtp_port: int = _setting(25, "its port (587 with FORMS_SMTP_STARTTLS, 465 with FORMS_SMTP_SSL)")
    smtp_user: str = _setting("", "SMTP user name (empty: no authentication)")
    smtp_password: str = _setting("", "SMTP password", secret=True)
    smtp_from: str = _setting("", "the reminders' From address (e.g. forms@agency.gov.tw)")
    smtp_starttls: bool = _setting(False, "upgrade the connection with STARTTLS")
    smtp_ssl: bool = _setting(False, "connect with TLS from the start (SMTPS)")
    reminder_hour: int = _setting(8, "hour (Taipei) from which each day's reminder digests go out")

    @property
    def embedded_store(self) -> bool:
        return not self.s3_endpoint

    @property
    def lock_mode(self) -> str:
        """COMPLIANCE in production (nobody, not even an administrator, can shorten it);
        GOVERNANCE with the embedded demo store."""
        return self.retention_mode or ("GOVERNANCE" if self.embedded_store else "COMPLIANCE")

    @functools.cached_property
    def networks_by_role(self) -> dict:
        from .access.networks import parse_role_networks
        from .access.roles import Role

        return parse_role_networks(self.role_networks, [str(role) for role in Role])

    @functools.cached_property
    def metrics_network_list(self) -> tuple:
        from .access.networks import parse_networks

        return parse_networks(self.metrics_networks, where="FORMS_METRICS_NETWORKS")

    @functools.cached_property
    def outbound_allowed(self) -> Any:
        from .access.outbound import OutboundAllow

        return OutboundAllow.parse(self.outbound_allow)

    @property
    def demo_signer(self) -> bool:
        return not self.signer_pkcs12 and not self.pkcs11_module

    @property
    def converter_options(self) -> dict[str, Any]:
        """How to start LibreOffice workers (``LibreOfficePool``'s keywords, the count aside)."""
        return {"timeout": self.conversion_timeout, "soffice": self.soffice_path, "uno_python": self.uno_python}

    @property
    def run_dir(self) -> Path:
        """This host's working files (LibreOffice profiles and pipes, font subsets): ``<data dir>/run``,
        a folder per process, removed on stop and, after a crash, at the next start."""
        return self.data_dir / "run"

    @property
    def embedded_catalog(self) -> Path:
        """The SQLite file of the catalog when FORMS_DATABASE_URL names none."""
        return self.data_dir.resolve() / "catalog.sqlite3"

    @property
    def catalog_url(self) -> str:
        return self.database_url or f"sqlite:///{self.embedded_catalog}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        config_file = environ.get("FORMS_CONFIG")
        if config_file:
            raw.update(_read_toml(Path(config_file)))
        for f in fields(cls):
            env_name = "FORMS_" + f.name.upper()
            if env_name in environ:
                raw[f.name] = environ[env_name]
        raw.update(overrides)
        unknown = set(raw) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting {sorted(unknown)[0]!r} in {config_file or 'overrides'}")
        values = {f.name: _parse(f, raw[f.name]) for f in fields(cls) if f.name in raw}
        settings = cls(**values)
        settings._check()
        return settings

    def _check(self) -> None:
        self._use_make_up_working_days()
        hours = r"([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]"
        if not re.fullmatch(hours, self.query_log_office_hours):
            raise ConfigError("FORMS_QUERY_LOG_OFFICE_HOURS takes HH:MM-HH:MM, e.g. 08:00-18:00")
        if self.query_log_review_days < 1 or self.query_log_explain_days < 1:
            raise ConfigError("FORMS_QUERY_LOG_REVIEW_DAYS and FORMS_QUERY_LOG_EXPLAIN_DAYS must be at least 1")
        if self.smtp_host and not self.smtp_from:
            raise ConfigError("FORMS_SMTP_FROM: give the reminders' From address with FORMS_SMTP_HOST")
        if self.smtp_starttls and self.smtp_ssl:
            raise ConfigError("FORMS_SMTP_STARTTLS and FORMS_SMTP_SSL: choose one")
        if not 0 <= self.reminder_hour <= 23:
            raise ConfigError("FORMS_REMINDER_HOUR must be an hour 0–23")
        if self.query_log_close_days < 0:
            raise ConfigError("FORMS_QUERY_LOG_CLOSE_DAYS cannot be negative (0 closes months only by hand)")
        if self.query_log_volume_factor <= 1 or self.query_log_volume_min < 1 or self.query_log_repeat < 2:
            raise ConfigError("FORMS_QUERY_LOG_VOLUME_FACTOR must be above 1, FORMS_QUERY_LOG_VOLUME_MIN at least 1 "
                              "and FORMS_QUERY_LOG_REPEAT at least 2")
        if "○" in self.notice_text or not self.notice_text.strip():
            raise ConfigError("FORMS_NOTICE_TEXT still has the regulation's blanks (○○): fill in the purpose and the "
                              "work the 商工資料 serves, e.g. 「商工資料係為稅捐稽徵目的蒐集，僅供稅務查詢作業之參考；"
                              "若有資料內容疑問時，可向登記主管機關洽詢。」")
        if self.retention_mode not in ("", *RETENTION_MODES):
            raise ConfigError(
                f"FORMS_RETENTION_MODE must be GOVERNANCE or COMPLIANCE, not {self.retention_mode!r}"
            )
        if self.retention_years_logs < 1:
            raise ConfigError("FORMS_RETENTION_YEARS_LOGS must be at least 1: "
                              "規範 六(四)2(1) keeps query records a year")
        try:
            _ = self.networks_by_role  # parsed now, so a bad value stops start-up
        except ValueError as err:
            raise ConfigError(f"FORMS_ROLE_NETWORKS: {err}") from None
        try:
            _ = self.metrics_network_list
        except ValueError as err:
            raise ConfigError(str(err)) from None
        try:
            _ = self.outbound_allowed
        except ValueError as err:
            raise ConfigError(f"FORMS_OUTBOUND_ALLOW: {err}") from None
        if self.session_hours <= 0 or self.session_idle_minutes <= 0 or self.token_days < 1:
            raise ConfigError("FORMS_SESSION_HOURS, FORMS_SESSION_IDLE_MINUTES and FORMS_TOKEN_DAYS must be positive")
        if self.auth_failure_limit < 1 or self.auth_failure_window < 1:
            raise ConfigError("FORMS_AUTH_FAILURE_LIMIT and FORMS_AUTH_FAILURE_WINDOW must be at least 1")
        if bool(self.tls_certificate) != bool(self.tls_key):
            raise ConfigError("FORMS_TLS_CERTIFICATE and FORMS_TLS_KEY go together: set both or neither")
        for name, path in (("FORMS_TLS_CERTIFICATE", self.tls_certificate), ("FORMS_TLS_KEY", self.tls_key)):
            if path and not Path(path).is_file():
                raise ConfigError(f"{name}: {path} is not a readable file")
        if self.retention_years_audit < 1:
            raise ConfigError("FORMS_RETENTION_YEARS_AUDIT must be at least 1")
        if self.retention_years_after_period < 0:
            raise ConfigError("FORMS_RETENTION_YEARS_AFTER_PERIOD cannot be negative")
        if self.log_format not in ("text", "json"):
            raise ConfigError(f"FORMS_LOG_FORMAT must be text or json, not {self.log_format!r}")
        if self.jobs_url and not self.jobs_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError("FORMS_JOBS_URL must be a Redis URL (redis://host:port/db), or empty for the "
                              "embedded SQLite file")
        if not 0 <= self.jobs_workers <= 64 or not 5 <= self.jobs_lease_seconds <= 86400:
            raise ConfigError("FORMS_JOBS_WORKERS must be 0–64 and FORMS_JOBS_LEASE_SECONDS 5–86400")
        if not 1 <= self.query_event_window_days <= 3660:
            raise ConfigError("FORMS_QUERY_EVENT_WINDOW_DAYS must be 1–3660")
        if not 0 <= self.renew_within_days <= 3650:
            raise ConfigError("FORMS_RENEW_WITHIN_DAYS must be 0–3650")
        if not 1 <= self.webhook_retry_seconds <= 3600:
            raise ConfigError("FORMS_WEBHOOK_RETRY_SECONDS must be 1–3600")
        if not 0 <= self.web_workers <= 64 or not 1 <= self.web_threads <= 256:
            raise ConfigError("FORMS_WEB_WORKERS must be 0–64 (0: one per core) and FORMS_WEB_THREADS 1–256")
        if not 1 <= self.converter_workers <= 16:
            raise ConfigError("FORMS_CONVERTER_WORKERS must be between 1 and 16")
        if not 0 <= self.port <= 65535:
            raise ConfigError("FORMS_PORT must be a TCP port (1–65535, or 0 for any free port)")
        if self.conversion_timeout <= 0 or self.s3_timeout <= 0:
            raise ConfigError("FORMS_CONVERSION_TIMEOUT and FORMS_S3_TIMEOUT must be positive")
        if self.s3_endpoint and not (self.s3_access_key and self.s3_secret_key):
            raise ConfigError("FORMS_S3_ENDPOINT is set: FORMS_S3_ACCESS_KEY and FORMS_S3_SECRET_KEY are needed too")
        if self.s3_endpoint and "://" in self.s3_endpoint:
            raise ConfigError("FORMS_S3_ENDPOINT takes host:port (use FORMS_S3_SECURE for https)")
        if self.signer_pkcs12 and not Path(self.signer_pkcs12).is_file():
            raise ConfigError(f"FORMS_SIGNER_PKCS12: no such file {self.signer_pkcs12}")
        if self.signature_level not in ("", "B-B", "B-T", "B-LT", "B-LTA"):
            raise ConfigError(f"FORMS_SIGNATURE_LEVEL must be B-B, B-T, B-LT or B-LTA, not {self.signature_level!r}")
        if self.revocation_mode not in ("soft-fail", "hard-fail", "require"):
            raise ConfigError("FORMS_REVOCATION_MODE must be soft-fail, hard-fail or require")
        if self.pkcs11_module and not (self.pkcs11_token_label and self.pkcs11_key_label):
            raise ConfigError("FORMS_PKCS11_MODULE is set: "
                              "FORMS_PKCS11_TOKEN_LABEL and FORMS_PKCS11_KEY_LABEL are needed too")
        if self.template_dir and not Path(self.template_dir).is_dir():
            raise ConfigError(f"FORMS_TEMPLATE_DIR: {self.template_dir} is not a directory")
        for root in self.trust_roots:
            if not Path(root).is_file():
                raise ConfigError(f"FORMS_TRUST_ROOTS: no such file {root}")
        for ca in self.ca_certificates:
            if not Path(ca).is_file():
                raise ConfigError(f"FORMS_CA_CERTIFICATES: no such file {ca}")

    def _use_make_up_working_days(self) -> None:
        """Every working-day count of the process (the audit answers' due date, off-hours flags)
        knows the make-up working days named here."""
        from .taiwan import InvalidValue, parse_date, use_make_up_working_days

        try:
            days = tuple(parse_date(d.strip()) for d in self.query_log_extra_working_days.replace("、", ",").split(",")
                         if d.strip())
        except InvalidValue as err:
            raise ConfigError(f"FORMS_QUERY_LOG_EXTRA_WORKING_DAYS: {err}") from None
        use_make_up_working_days(days)

    def shared_deployment_problems(self) -> list[str]:
        """What an instance sharing its database or store with others lacks, one sentence each.

        Everything made per data directory differs between instances: the demo keys (a record signed
        by one would not verify on another), the generated session key (a sign-in on one is unknown
        to another), the demo PKI's roots.  The embedded default (SQLite and the embedded store in one
        data directory) needs none of these."""
        if not self.database_url and self.embedded_store:
            return []
        problems = []
        if self.demo_signer:
            problems.append("set FORMS_SIGNER_PKCS12 or FORMS_PKCS11_MODULE: instances sharing a database or "
                            "store sign with one key (demo keys are made per data directory)")
        if not self.secret_key:
            problems.append("set FORMS_SECRET_KEY, the same on every instance: a sign-in on one must hold on "
                            "the others")
        if not self.trust_roots:
            problems.append("set FORMS_TRUST_ROOTS: every instance verifies signatures against the same roots")
        if self.jobs_workers and not self.jobs_url:
            problems.append("set FORMS_JOBS_URL (redis://…), the same on every instance: batches and the periodic "
                            "jobs are shared by all of them (or FORMS_JOBS_WORKERS=0 on an instance that runs none)")
        return problems

    def describe(self) -> list[tuple[str, str, str]]:
        """(environment variable, value, help) for each setting, secrets masked."""
        rows = []
        for f in fields(self):
            value = getattr(self, f.name)
            shown = "••••" if f.metadata.get("secret") and value else str(value)
            rows.append(("FORMS_" + f.name.upper(), shown, f.metadata["help"]))
        return rows


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as err:
        raise ConfigError(f"FORMS_CONFIG: cannot read {path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"FORMS_CONFIG: {path} is not valid TOML: {err}") from err


def _parse(f: dataclasses.Field, value: Any) -> Any:
    name = "FORMS_" + f.name.upper()
    kind: type[Any] = type(f.default)
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if kind is tuple:
            if isinstance(value, (list, tuple)):
                return tuple(str(v) for v in value)
            return tuple(v.strip() for v in str(value).split(",") if v.strip())
        if kind is Path or isinstance(f.default, Path):
            return Path(value)
        return kind(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{name} must be a {kind.__name__}, not {value!r}") from err
