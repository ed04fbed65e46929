"""Every setting of Fieldrep, typed, read from the environment once, with embedded defaults.

The embedded default needs nothing but Python packages: SQLite and files under the instance
folder, and Celery on its SQLAlchemy transport over another SQLite file. Production points the
same code at PostgreSQL, S3 and Redis/RabbitMQ by setting the variables below.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent
ENV_PREFIX = "FIELDREP_"


def _default_instance_path() -> str:
    return str(PROJECT_ROOT / "instance")


@dataclass(frozen=True)
class Settings:
    """One field per setting; the environment variable is FIELDREP_<FIELD NAME IN CAPITALS>."""

    instance_path: str = field(default_factory=_default_instance_path)
    database_url: str = ""  # default: sqlite file in the instance folder
    secret_key: str = ""  # required outside development; a random one is made for dev/test
    environment: str = "development"  # development | test | production

    # accounts
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    login_rate_limit: str = "5 per minute;30 per hour"
    rate_limit_storage_url: str = "memory://"

    # object storage
    storage_backend: str = "local"  # local | s3
    storage_local_path: str = ""  # default: <instance>/objects
    s3_bucket: str = "fieldrep"
    s3_prefix: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    download_url_seconds: int = 900
    upload_url_seconds: int = 900

    # background jobs
    broker_url: str = ""  # default: sqla+sqlite in the instance folder
    job_lease_seconds: int = 900
    job_max_attempts: int = 3
    job_requeue_interval_seconds: int = 60
    job_stale_queued_seconds: int = 120
    job_handler_modules: str = "compliance.jobs"
    celery_always_eager: bool = False

    # the rep's day
    reminder_tolerance_minutes: int = 15
    morning_check_deadline: str = "09:00"  # local time in the rep's zone
    max_selfie_mb: int = 10
    instant_card_products: str = "instant_debit_card,instant_card"

    # notifications (email now; the channel is pluggable)
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Fieldrep <no-reply@fieldrep.example>"

    # uploads
    max_upload_mb: int = 50

    # speech recognition
    whisper_model: str = ""  # a faster-whisper model folder; default: the PyPI-shipped base model
    whisper_model_cache: str = ""  # default: <instance>/models
    whisper_device: str = "auto"  # auto | cpu | cuda
    whisper_compute_type: str = "default"  # default: int8 on CPU, float16 on CUDA
    whisper_beam_size: int = 5
    whisper_cpu_threads: int = 0  # 0: let CTranslate2 decide
    whisper_batch_size: int = 0  # utterances decoded together; 0: 8 on CPU, 16 on CUDA
    max_recording_seconds: int = 1800
    match_threshold: int = 75

    # demo
    demo_password: str = ""  # default: generated and printed by the seed command

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


def _coerce(raw: str, annotation: str) -> Any:
    if annotation == "int":
        return int(raw)
    if annotation == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Read every setting from the environment (and an optional .env file), then apply overrides."""
    if environ is None:
        try:
            from dotenv import load_dotenv

            load_dotenv(PROJECT_ROOT / ".env", override=False)
        except ImportError:  # pragma: no cover - python-dotenv is a dependency
            pass
        environ = dict(os.environ)
    values: dict[str, Any] = {}
    for setting in fields(Settings):
        raw = environ.get(ENV_PREFIX + setting.name.upper())
        if raw is not None and raw != "":
            try:
                values[setting.name] = _coerce(raw, str(setting.type))
            except ValueError as exc:
                raise ValueError(f"{ENV_PREFIX}{setting.name.upper()}: {exc}") from exc
    values.update(overrides)
    return Settings(**values)
