"""Settings are checked when they are made: a bad value stops the start with one line naming the variable."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from settings import PROJECT_ROOT, Settings, SettingsError, load_settings


def error_for(environ: dict[str, str] | None = None, **overrides) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ=environ or {}, **overrides)
    return str(caught.value)


def test_the_defaults_are_valid():
    settings = load_settings(environ={})
    assert settings.environment == "development"
    assert settings.morning_check_deadline == "09:00"


def test_settings_error_is_a_value_error_with_one_line_per_problem():
    with pytest.raises(ValueError) as caught:
        load_settings(environ={"FIELDREP_ENVIRONMENT": "prod", "FIELDREP_SMTP_PORT": "0"})
    assert isinstance(caught.value, SettingsError)
    assert caught.value.problems == ["FIELDREP_ENVIRONMENT: 'prod' is not one of development, test, production",
                                     "FIELDREP_SMTP_PORT: 0 is not between 1 and 65535"]
    assert "\n" not in str(caught.value)


def test_an_empty_variable_counts_as_unset():
    assert load_settings(environ={"FIELDREP_SMTP_PORT": "", "FIELDREP_ENVIRONMENT": ""}).smtp_port == 25


def test_settings_stay_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_settings(environ={}).environment = "production"  # type: ignore[misc]


# --- environment and secret key ---


@pytest.mark.parametrize("environment", ["development", "test", "production"])
def test_known_environments_are_accepted(environment):
    assert load_settings(environ={"FIELDREP_ENVIRONMENT": environment, "FIELDREP_SECRET_KEY": "k"}).environment \
        == environment


@pytest.mark.parametrize("environment", ["prod", "dev", "Production", "staging"])
def test_an_unknown_environment_is_rejected(environment):
    assert error_for({"FIELDREP_ENVIRONMENT": environment}) == \
        f"FIELDREP_ENVIRONMENT: {environment!r} is not one of development, test, production"


def test_production_needs_a_secret_key():
    assert error_for({"FIELDREP_ENVIRONMENT": "production"}) == "FIELDREP_SECRET_KEY: must be set in production"
    assert error_for(environment="production") == "FIELDREP_SECRET_KEY: must be set in production"
    assert load_settings(environ={"FIELDREP_ENVIRONMENT": "production", "FIELDREP_SECRET_KEY": "s3cret"}).is_production
    assert load_settings(environ={}, environment="development").secret_key == ""  # made per instance in dev


# --- booleans ---


@pytest.mark.parametrize("word, value", [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True),
                                         (" true ", True), ("false", False), ("False", False), ("0", False),
                                         ("no", False), ("OFF", False)])
def test_booleans_accept_the_usual_words(word, value):
    assert load_settings(environ={"FIELDREP_SMTP_STARTTLS": word}).smtp_starttls is value


@pytest.mark.parametrize("word", ["ture", "2", "y", "enabled", "nope"])
def test_other_boolean_words_are_rejected(word):
    assert error_for({"FIELDREP_CELERY_ALWAYS_EAGER": word}) == \
        f"FIELDREP_CELERY_ALWAYS_EAGER: {word!r} is not a boolean (true/false, 1/0, yes/no, on/off)"


# --- integers ---


@pytest.mark.parametrize("raw", ["abc", "1.5", "25s", "0x19"])
def test_an_int_setting_must_be_a_whole_number(raw):
    assert error_for({"FIELDREP_SMTP_PORT": raw}) == f"FIELDREP_SMTP_PORT: {raw!r} is not a whole number"


@pytest.mark.parametrize("port, ok", [(0, False), (1, True), (587, True), (65535, True), (65536, False), (-25, False)])
def test_ports_are_1_to_65535(port, ok):
    if ok:
        assert load_settings(environ={"FIELDREP_SMTP_PORT": str(port)}).smtp_port == port
    else:
        assert error_for({"FIELDREP_SMTP_PORT": str(port)}) == f"FIELDREP_SMTP_PORT: {port} is not between 1 and 65535"


@pytest.mark.parametrize("name", ["access_token_minutes", "refresh_token_days", "job_lease_seconds", "job_max_attempts",
                                  "job_requeue_interval_seconds", "job_stale_queued_seconds",
                                  "reminder_tolerance_minutes", "max_selfie_mb", "max_upload_mb", "whisper_beam_size",
                                  "max_recording_seconds"])
def test_counts_seconds_and_megabytes_must_be_positive(name):
    variable = f"FIELDREP_{name.upper()}"
    assert error_for({variable: "0"}) == f"{variable}: 0 is less than 1"
    assert getattr(load_settings(environ={variable: "1"}), name) == 1


@pytest.mark.parametrize("name", ["download_url_seconds", "upload_url_seconds"])
def test_presigned_url_lifetimes_are_at_most_seven_days(name):
    variable = f"FIELDREP_{name.upper()}"
    assert getattr(load_settings(environ={variable: "604800"}), name) == 604800
    assert error_for({variable: "604801"}) == f"{variable}: 604801 is not between 1 and 604800"
    assert error_for({variable: "0"}) == f"{variable}: 0 is not between 1 and 604800"


@pytest.mark.parametrize("name", ["whisper_cpu_threads", "whisper_batch_size"])
def test_zero_means_automatic_for_threads_and_batch_size(name):
    variable = f"FIELDREP_{name.upper()}"
    assert getattr(load_settings(environ={variable: "0"}), name) == 0
    assert error_for({variable: "-1"}) == f"{variable}: -1 is less than 0"


@pytest.mark.parametrize("threshold, ok", [(-1, False), (0, True), (75, True), (100, True), (101, False)])
def test_match_threshold_is_0_to_100(threshold, ok):
    if ok:
        assert load_settings(environ={}, match_threshold=threshold).match_threshold == threshold
    else:
        assert error_for(match_threshold=threshold) == f"FIELDREP_MATCH_THRESHOLD: {threshold} is not between 0 and 100"


def test_every_int_setting_has_a_range():
    for setting in dataclasses.fields(Settings):
        if setting.type == "int":
            with pytest.raises(SettingsError, match=f"FIELDREP_{setting.name.upper()}: -1 is"):
                load_settings(environ={}, **{setting.name: -1})


# --- times of day ---


@pytest.mark.parametrize("deadline", ["09:00", "00:00", "23:59", "18:30"])
def test_the_morning_check_deadline_is_hh_mm(deadline):
    assert load_settings(environ={"FIELDREP_MORNING_CHECK_DEADLINE": deadline}).morning_check_deadline == deadline


@pytest.mark.parametrize("deadline", ["9am", "9:00", "24:00", "09:60", "0900", "09:00:00", "09.00"])
def test_other_times_are_rejected(deadline):
    assert error_for({"FIELDREP_MORNING_CHECK_DEADLINE": deadline}) == \
        f"FIELDREP_MORNING_CHECK_DEADLINE: {deadline!r} is not a 24-hour time HH:MM such as 09:00"


# --- choices ---


@pytest.mark.parametrize("name, good, bad, choices", [
    ("storage_backend", ["local", "s3"], "S3", "local, s3"),
    ("whisper_device", ["auto", "cpu", "cuda"], "gpu", "auto, cpu, cuda"),
    ("whisper_compute_type", ["default", "auto", "int8", "int8_float16", "float16", "bfloat16", "float32"], "fp16",
     "default, auto, int8, int8_float32, int8_float16, int8_bfloat16, int16, float16, bfloat16, float32"),
])
def test_choices(name, good, bad, choices):
    variable = f"FIELDREP_{name.upper()}"
    for value in good:
        assert getattr(load_settings(environ={variable: value}), name) == value
    assert error_for({variable: bad}) == f"{variable}: {bad!r} is not one of {choices}"


def test_the_s3_backend_needs_a_bucket():
    assert error_for(storage_backend="s3", s3_bucket="") == \
        "FIELDREP_S3_BUCKET: must be set when FIELDREP_STORAGE_BACKEND is s3"


# --- URLs and other strings ---


@pytest.mark.parametrize("url", ["sqlite:////tmp/fieldrep.sqlite", "sqlite://", "postgresql+psycopg://fieldrep@db/fieldrep",
                                 "postgresql://user:pw@127.0.0.1:5432/db"])
def test_database_urls_that_sqlalchemy_understands_are_accepted(url):
    assert load_settings(environ={"FIELDREP_DATABASE_URL": url}).sqlalchemy_url == url


def test_a_database_url_sqlalchemy_cannot_parse_is_rejected():
    assert error_for({"FIELDREP_DATABASE_URL": "db.example.com/fieldrep"}) == (
        "FIELDREP_DATABASE_URL: 'db.example.com/fieldrep' is not a SQLAlchemy database URL such as "
        "postgresql+psycopg://user@host/db")
    assert error_for({"FIELDREP_DATABASE_URL": "postgress://db/fieldrep"}) == \
        "FIELDREP_DATABASE_URL: unknown database dialect or driver 'postgress'"


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "amqp://guest@rabbit//", "memory://",
                                 "sqla+sqlite:////tmp/broker.sqlite"])
def test_broker_urls_with_a_scheme_are_accepted(url):
    assert load_settings(environ={"FIELDREP_BROKER_URL": url}).celery_broker_url == url


@pytest.mark.parametrize("url", ["localhost:6379", "redis", "/tmp/broker.sqlite"])
def test_a_broker_url_without_a_scheme_is_rejected(url):
    assert error_for({"FIELDREP_BROKER_URL": url}) == \
        f"FIELDREP_BROKER_URL: {url!r} is not a URL with a scheme such as redis://host:6379/0"


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000", "https://s3.eu-central-1.amazonaws.com", "http://minio"])
def test_s3_endpoints_are_http_urls(url):
    assert load_settings(environ={"FIELDREP_S3_ENDPOINT_URL": url}).s3_endpoint_url == url


@pytest.mark.parametrize("url", ["localhost:9000", "ftp://files.example.com", "http://", "https://host:port"])
def test_other_s3_endpoints_are_rejected(url):
    assert error_for({"FIELDREP_S3_ENDPOINT_URL": url}) == \
        f"FIELDREP_S3_ENDPOINT_URL: {url!r} is not an http(s)://host URL"


@pytest.mark.parametrize("limit", ["5 per minute;30 per hour", "10/second", "100 per day, 5 per minute"])
def test_rate_limits_that_limits_parses_are_accepted(limit):
    assert load_settings(environ={"FIELDREP_LOGIN_RATE_LIMIT": limit}).login_rate_limit == limit


@pytest.mark.parametrize("limit", ["5 per fortnight", "lots", "five per minute"])
def test_other_rate_limits_are_rejected(limit):
    assert error_for({"FIELDREP_LOGIN_RATE_LIMIT": limit}) == \
        f"FIELDREP_LOGIN_RATE_LIMIT: {limit!r} is not a rate limit such as '5 per minute;30 per hour'"


def test_the_rate_limit_storage_is_a_limits_storage_url():
    assert load_settings(environ={"FIELDREP_RATE_LIMIT_STORAGE_URL": "redis://cache:6379/1"}).rate_limit_storage_url
    for url in ("cache:6379", "async+memory://", "postgres://db"):
        assert error_for({"FIELDREP_RATE_LIMIT_STORAGE_URL": url}).startswith(
            f"FIELDREP_RATE_LIMIT_STORAGE_URL: {url!r} is not a rate-limit storage URL (memcached://, memory://")


def test_job_handler_modules_are_dotted_names():
    assert load_settings(environ={}, job_handler_modules="compliance.jobs, tests.support.slow_jobs")
    assert error_for({"FIELDREP_JOB_HANDLER_MODULES": "compliance.jobs,compliance/jobs.py"}) == \
        "FIELDREP_JOB_HANDLER_MODULES: 'compliance/jobs.py' is not a dotted module name"


def test_mail_from_is_an_address():
    assert load_settings(environ={"FIELDREP_MAIL_FROM": "ops@bank.example"}).mail_from == "ops@bank.example"
    assert error_for({"FIELDREP_MAIL_FROM": "Fieldrep"}) == \
        "FIELDREP_MAIL_FROM: 'Fieldrep' is not an email address such as Name <name@host>"


# --- unknown variables and overrides ---


def test_an_unknown_fieldrep_variable_is_named_with_a_suggestion():
    assert error_for({"FIELDREP_DATABSE_URL": "sqlite://"}) == \
        "FIELDREP_DATABSE_URL: not a Fieldrep setting (did you mean FIELDREP_DATABASE_URL?)"
    assert error_for({"FIELDREP_COLOUR": "blue"}) == "FIELDREP_COLOUR: not a Fieldrep setting"


def test_other_variables_and_the_test_suites_own_are_not_settings_errors():
    settings = load_settings(environ={"FIELDREP_TEST_MODEL_CACHE": "/tmp/models",
                                      "FIELDREP_TEST_CLOCK_SHIFT_HOURS": "5", "DATABASE_URL": "nonsense",
                                      "HOME": "/root"})
    assert settings.database_url == ""


def test_the_process_environment_is_checked_too(monkeypatch):
    monkeypatch.setenv("FIELDREP_SMTP_PROT", "2525")
    with pytest.raises(SettingsError, match=r"^FIELDREP_SMTP_PROT: not a Fieldrep setting \(did you mean "
                                            r"FIELDREP_SMTP_PORT\?\)$"):
        load_settings()


def test_an_unknown_override_is_an_error():
    assert error_for(databse_url="sqlite://") == "unknown setting 'databse_url'"


# --- overrides and replace() are checked like the environment ---


def test_overrides_are_checked():
    assert error_for(environment="prod") == \
        "FIELDREP_ENVIRONMENT: 'prod' is not one of development, test, production"
    assert error_for(morning_check_deadline="9am").startswith("FIELDREP_MORNING_CHECK_DEADLINE: '9am'")


@pytest.mark.parametrize("name, value, expected", [("smtp_port", "25", "int"), ("smtp_port", True, "int"),
                                                   ("celery_always_eager", 1, "bool"), ("broker_url", None, "str")])
def test_overrides_must_have_the_settings_type(name, value, expected):
    assert error_for(**{name: value}) == f"FIELDREP_{name.upper()}: {value!r} is not a {expected}"


def test_overrides_win_over_the_environment():
    settings = load_settings(environ={"FIELDREP_SMTP_PORT": "2525"}, smtp_port=587)
    assert settings.smtp_port == 587


def test_replace_checks_the_new_values():
    settings = load_settings(environ={})
    assert dataclasses.replace(settings, smtp_port=587).smtp_port == 587
    with pytest.raises(SettingsError, match="FIELDREP_WHISPER_DEVICE: 'gpu'"):
        dataclasses.replace(settings, whisper_device="gpu")


# --- the command line ---


@pytest.mark.parametrize("argv", [["db", "current"], ["model", "prepare"]])
def test_the_cli_prints_the_problem_in_one_line_and_exits_2(argv, tmp_path):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONPATH": str(PROJECT_ROOT),
           "FIELDREP_INSTANCE_PATH": str(tmp_path / "instance"), "FIELDREP_ENVIRONMENT": "prod"}
    result = subprocess.run([sys.executable, "-m", "app", *argv], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "FIELDREP_ENVIRONMENT: 'prod' is not one of development, test, production\n"
    assert not (tmp_path / "instance").exists()
