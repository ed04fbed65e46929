"""Every setting of Fieldrep, typed, read from the environment once, with embedded defaults.

The embedded default needs nothing but Python packages: SQLite and files under the instance
folder, and Celery on its SQLAlchemy transport over another SQLite file. Production points the
same code at PostgreSQL, S3 and Redis/RabbitMQ by setting the variables below.

Every value is checked when the settings are made (from the environment or from overrides): a
wrong one raises SettingsError with one line naming the variable, so a typo stops the start
instead of silently running with a default.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent
ENV_PREFIX = "FIELDREP_"
# FIELDREP_TEST_* variables are the test suite's own (e.g. FIELDREP_TEST_MODEL_CACHE), not settings.
TEST_PREFIX = ENV_PREFIX + "TEST_"

ENVIRONMENTS = ("development", "test", "production")
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")
# CTranslate2's compute types, and Fieldrep's own "default" (int8 on CPU, float16 on CUDA).
COMPUTE_TYPES = ("default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16", "int16",
                 "float16", "bfloat16", "float32")
PRESIGNED_URL_MAX_SECONDS = 7 * 24 * 3600  # S3's limit on a presigned URL


class SettingsError(ValueError):
    """Settings Fieldrep cannot run with; the message is one line naming each variable at fault."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


# --- checks: each returns None, or what is wrong with the value (without the variable's name) ---

Check = Callable[[Any], "str | None"]


def _one_of(*choices: str) -> Check:
    return lambda value: None if value in choices else f"{value!r} is not one of {', '.join(choices)}"


def _between(low: int, high: int | None = None) -> Check:
    def check(value: int) -> str | None:
        if value < low or (high is not None and value > high):
            return f"{value} is not between {low} and {high}" if high is not None else f"{value} is less than {low}"
        return None

    return check


def _time_of_day(value: str) -> str | None:
    if re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        return None
    return f"{value!r} is not a 24-hour time HH:MM such as 09:00"


def _sqlalchemy_url(value: str) -> str | None:
    if not value:
        return None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(value)
    except ArgumentError:
        return f"{value!r} is not a SQLAlchemy database URL such as postgresql+psycopg://user@host/db"
    try:
        url.get_dialect()
    except ArgumentError:  # NoSuchModuleError: a misspelt dialect or driver
        return f"unknown database dialect or driver {url.drivername!r}"
    return None


def _url_with_scheme(value: str) -> str | None:
    if not value or re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", value):
        return None
    return f"{value!r} is not a URL with a scheme such as redis://host:6379/0"


def _http_url(value: str) -> str | None:
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    return None if ok else f"{value!r} is not an http(s)://host URL"


def _rate_limits(value: str) -> str | None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        return f"{value!r} is not a rate limit such as '5 per minute;30 per hour'"
    return None


def _rate_limit_storage(value: str) -> str | None:
    from limits.storage import SCHEMES

    if not value:  # the app's own database: shared by every web process, nothing else to run
        return None
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme in SCHEMES and not scheme.startswith("async+"):
        return None
    known = sorted(name for name in SCHEMES if not name.startswith(("async+", "fieldrep+")))
    return (f"{value!r} is not a rate-limit storage URL ({', '.join(name + '://' for name in known)}; "
            "or leave it empty to count in the app's database)")


def _module_list(value: str) -> str | None:
    names = [name.strip() for name in value.split(",") if name.strip()]
    bad = [name for name in names if not all(part.isidentifier() for part in name.split("."))]
    return f"{', '.join(map(repr, bad))} is not a dotted module name" if bad else None


def _mail_address(value: str) -> str | None:
    from email.utils import parseaddr

    return None if "@" in parseaddr(value)[1] else f"{value!r} is not an email address such as Name <name@host>"


def _amounts(value: str) -> str | None:
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, amount = item.partition("=")
        if not name.strip() or not amount.strip().isdigit():
            return f"{item!r} is not criterion=amount (a whole number)"
    return None


def _setting(default: Any = None, check: Check | None = None, *, factory: Callable[[], Any] | None = None) -> Any:
    metadata = {"check": check} if check else {}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def _default_instance_path() -> str:
    return str(PROJECT_ROOT / "instance")


POSITIVE = _between(1)
NOT_NEGATIVE = _between(0)
PORT = _between(1, 65535)
URL_SECONDS = _between(1, PRESIGNED_URL_MAX_SECONDS)


@dataclass(frozen=True)
class Settings:
    """One field per setting; the environment variable is FIELDREP_<FIELD NAME IN CAPITALS>.

    A field's check (made with _setting) says which values it takes; validate() applies them all,
    with the types, whenever Settings are made (load_settings, overrides, dataclasses.replace).
    """

    instance_path: str = _setting(factory=_default_instance_path)
    database_url: str = _setting("", _sqlalchemy_url)  # default: sqlite file in the instance folder
    secret_key: str = ""  # required in production; a random one is made for dev/test
    environment: str = _setting("development", _one_of(*ENVIRONMENTS))

    # accounts
    access_token_minutes: int = _setting(15, POSITIVE)
    refresh_token_days: int = _setting(30, POSITIVE)
    login_rate_limit: str = _setting("5 per minute;30 per hour", _rate_limits)
    # Where login attempts are counted: default "" is the app's database (shared by all web processes);
    # redis://host:6379/1 at scale; memory:// counts per process (tests only).
    rate_limit_storage_url: str = _setting("", _rate_limit_storage)

    # object storage
    storage_backend: str = _setting("local", _one_of("local", "s3"))
    storage_local_path: str = ""  # default: <instance>/objects
    s3_bucket: str = "fieldrep"
    s3_prefix: str = ""
    s3_endpoint_url: str = _setting("", _http_url)
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    download_url_seconds: int = _setting(900, URL_SECONDS)
    upload_url_seconds: int = _setting(900, URL_SECONDS)

    # background jobs
    broker_url: str = _setting("", _url_with_scheme)  # default: sqla+sqlite in the instance folder
    # A running job's heartbeat renews its lease every third of it: a dead worker's job is free after this.
    job_lease_seconds: int = _setting(60, POSITIVE)
    job_max_attempts: int = _setting(3, POSITIVE)
    job_requeue_interval_seconds: int = _setting(60, POSITIVE)
    # A job sent this long ago and still not taken is presumed lost and sent again (once per period).
    job_stale_queued_seconds: int = _setting(1800, POSITIVE)
    job_handler_modules: str = _setting("", _module_list)  # extra modules with @job_handler (tests, plug-ins)
    celery_always_eager: bool = False

    # the rep's day
    reminder_tolerance_minutes: int = _setting(15, POSITIVE)
    morning_check_deadline: str = _setting("09:00", _time_of_day)  # local time in the rep's zone
    max_selfie_mb: int = _setting(10, POSITIVE)
    # Read from the image header before anything is decoded: a small file can declare a huge picture.
    max_selfie_megapixels: int = _setting(50, POSITIVE)
    max_selfie_side: int = _setting(10000, POSITIVE)
    instant_card_products: str = "instant_debit_card,instant_card"
    # a client not reached on a call (seed 004): the next try N business days later (the meeting's short retry
    # aside), the manager told after the Nth missed attempt, and a re-check of the client some business days after
    follow_up_retry_business_days: int = _setting(2, POSITIVE)
    follow_up_escalate_after: int = _setting(3, POSITIVE)
    follow_up_recheck_business_days: int = _setting(5, POSITIVE)
    morning_digest_at: str = _setting("08:00", _time_of_day)  # local time in the rep's zone

    # support desk
    # support answers a ticket by the end of the rep's local day this many business days after it came in
    ticket_response_business_days: int = _setting(1, NOT_NEGATIVE)
    ticket_holiday_country: str = "RU"  # whose public holidays are not business days (the `holidays` package)
    ticket_reopen_days: int = _setting(14, POSITIVE)  # a rep may reopen a resolved/rejected ticket this long
    # a new ticket this similar (0-100) to an answered one or an active incident is shown the earlier answer
    deflection_threshold: int = _setting(54, _between(0, 100))  # tuned: benchmarks/deflection.py
    deflection_lookback_days: int = _setting(60, POSITIVE)  # how far back a rep's own tickets are compared
    max_attachment_mb: int = _setting(10, POSITIVE)

    # figures and rewards (reports/): amounts in whole currency units
    reward_per_completed_meeting: int = _setting(500, NOT_NEGATIVE)
    reward_offer_target_bonus: int = _setting(3000, NOT_NEGATIVE)  # when the period's offer targets are met
    reward_rep_cancellation_deduction: int = _setting(300, NOT_NEGATIVE)  # a meeting the rep cancelled or moved
    # per counted violation, by criterion ("criterion=amount,..."; `default` for the rest)
    reward_violation_deductions: str = _setting(
        "default=200,wrong_language=400,forced_location=400,reminder_call_missing=300,morning_check_missing=300",
        _amounts)

    # notifications (email now; the channel is pluggable)
    smtp_host: str = "localhost"
    smtp_port: int = _setting(25, PORT)
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = _setting("Fieldrep <no-reply@fieldrep.example>", _mail_address)

    # uploads
    max_upload_mb: int = _setting(50, POSITIVE)
    max_json_kb: int = _setting(1024, POSITIVE)  # a JSON request body (uploads are multipart, not JSON)

    # speech recognition
    whisper_model: str = ""  # a faster-whisper model folder; default: the PyPI-shipped base model
    whisper_model_cache: str = ""  # default: <instance>/models
    whisper_device: str = _setting("auto", _one_of("auto", "cpu", "cuda"))
    whisper_compute_type: str = _setting("default", _one_of(*COMPUTE_TYPES))  # default: int8 CPU, float16 CUDA
    whisper_beam_size: int = _setting(5, POSITIVE)
    whisper_cpu_threads: int = _setting(0, NOT_NEGATIVE)  # 0: let CTranslate2 decide
    whisper_batch_size: int = _setting(0, NOT_NEGATIVE)  # utterances decoded together; 0: 8 on CPU, 16 on CUDA
    max_recording_seconds: int = _setting(1800, POSITIVE)
    match_threshold: int = _setting(75, _between(0, 100))

    # QA review
    qa_claim_minutes: int = _setting(20, _between(1, 24 * 60))  # an abandoned claim frees the call after this
    qa_double_review_percent: int = _setting(10, _between(0, 100))  # of flagged calls, reviewed by two reviewers

    # demo
    demo_password: str = ""  # one password for every demo user (tests); default: a random one per user

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise SettingsError(problems)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.instance_path) / 'fieldrep.sqlite'}"

    @property
    def celery_broker_url(self) -> str:
        return self.broker_url or f"sqla+sqlite:///{Path(self.instance_path) / 'celery-broker.sqlite'}"

    @property
    def objects_path(self) -> Path:
        return Path(self.storage_local_path or Path(self.instance_path) / "objects")

    @property
    def model_cache_path(self) -> Path:
        return Path(self.whisper_model_cache or Path(self.instance_path) / "models")

    @property
    def access_token_expires(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def refresh_token_expires(self) -> timedelta:
        return timedelta(days=self.refresh_token_days)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def max_json_bytes(self) -> int:
        return self.max_json_kb * 1024


_TYPES = {"str": str, "int": int, "bool": bool}


def validate(settings: Settings) -> list[str]:
    """Everything wrong with these settings, one "FIELDREP_NAME: what is wrong" line each."""
    problems = []
    for setting in fields(Settings):
        value = getattr(settings, setting.name)
        expected = _TYPES[str(setting.type)]
        if type(value) is not expected:  # bool is an int, but not a valid count (nor 1 a valid bool)
            problems.append(f"{env_name(setting.name)}: {value!r} is not a {expected.__name__}")
            continue
        check = setting.metadata.get("check")
        problem = check(value) if check else None
        if problem:
            problems.append(f"{env_name(setting.name)}: {problem}")
    if settings.environment == "production" and not settings.secret_key:
        problems.append(f"{env_name('secret_key')}: must be set in production")
    if settings.environment == "production" and settings.rate_limit_storage_url.startswith("memory://"):
        problems.append(f"{env_name('rate_limit_storage_url')}: memory:// counts per web process, so each "
                        "gunicorn worker would allow the full login limit; leave it empty (the database) "
                        "or use redis://")
    if settings.storage_backend == "s3" and not settings.s3_bucket:
        problems.append(f"{env_name('s3_bucket')}: must be set when {env_name('storage_backend')} is s3")
    return problems


def _parse(raw: str, annotation: str) -> Any:
    if annotation == "int":
        try:
            return int(raw.strip())
        except ValueError:
            raise ValueError(f"{raw!r} is not a whole number") from None
    if annotation == "bool":
        word = raw.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(f"{raw!r} is not a boolean (true/false, 1/0, yes/no, on/off)")
    return raw


def _unknown_variables(environ: dict[str, str], known: set[str]) -> list[str]:
    problems = []
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known and not name.startswith(TEST_PREFIX):
            # Compared without the shared prefix, which would make every name look alike.
            close = difflib.get_close_matches(name.removeprefix(ENV_PREFIX),
                                              sorted(known_name.removeprefix(ENV_PREFIX) for known_name in known),
                                              n=1, cutoff=0.75)
            hint = f" (did you mean {ENV_PREFIX}{close[0]}?)" if close else ""
            problems.append(f"{name}: not a Fieldrep setting{hint}")
    return problems


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every setting from the environment (and an optional .env file), then apply overrides.

    Raises SettingsError on an unknown FIELDREP_* variable, an unknown override, or a bad value.
    """
    if environ is None:
        try:
            from dotenv import load_dotenv

            load_dotenv(PROJECT_ROOT / ".env", override=False)
        except ImportError:  # pragma: no cover - python-dotenv is a dependency
            pass
        environ = dict(os.environ)
    known = {setting.name: setting for setting in fields(Settings)}
    problems = [f"unknown setting {name!r}" for name in overrides if name not in known]
    problems += _unknown_variables(environ, {env_name(name) for name in known})
    values: dict[str, Any] = {}
    for setting in known.values():
        raw = environ.get(env_name(setting.name))
        if raw is not None and raw != "":
            try:
                values[setting.name] = _parse(raw, str(setting.type))
            except ValueError as exc:
                problems.append(f"{env_name(setting.name)}: {exc}")
    if problems:
        raise SettingsError(problems)
    values.update(overrides)
    return Settings(**values)
