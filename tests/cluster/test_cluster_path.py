"""The cluster configuration, end to end: PostgreSQL, S3 (moto's server), Celery over Redis, real processes.

A rep uploads reminder calls over the HTTP API of an app configured like a cluster; `fieldrep beat`, a
`default` worker (it runs beat's stale-job sweep) and two `transcribe` workers run as separate
processes on the same settings. The transcribe worker that takes the first call is frozen and killed
with SIGKILL mid-analysis; once its lease runs out the sweep re-sends the call and another worker, or
the restarted one, analyses it. At the end every call is analysed exactly once: one job that shows the
retry, one result per criterion, no duplicated transcript or violation, the stored audio intact, and
the verdict the call implies (checked by rule, never by the exact words Whisper heard).

Every server and process is started here on loopback and stopped here, whatever happens.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from compliance.scripts import default_script_body, load_script
from models import BackgroundJob, CriterionResult, JobState, Recording, TranscriptSegment, Violation
from settings import ENV_PREFIX, PROJECT_ROOT
from tests.conftest import CALLS
from tests.support.servers import moto_s3_server, postgres_server, redis_server

pytestmark = pytest.mark.slow

LEASE_SECONDS = 5
SWEEP_SECONDS = 1
# How long after a worker takes the call it is killed: past the S3 download and the model load, well
# before the end of a transcription that takes 8 s or more with the settings below (checked, not assumed).
INTO_THE_ANALYSIS_SECONDS = 3.0
KILLED_CALL = "missing_passport_ru.stereo.ogg"
OTHER_CALL = "compliant_ru.stereo.ogg"
S3_BUCKET = "fieldrep-cluster"
S3_KEYS = {"s3_access_key_id": "testing", "s3_secret_access_key": "testing"}
# What each process needs to know; the rest are the embedded defaults.
PROCESS_SETTINGS = (
    "instance_path", "environment", "secret_key", "database_url", "broker_url",
    "storage_backend", "s3_bucket", "s3_prefix", "s3_endpoint_url", "s3_region", "s3_access_key_id",
    "s3_secret_access_key", "job_lease_seconds", "job_max_attempts", "job_requeue_interval_seconds",
    "job_stale_queued_seconds", "whisper_model_cache", "whisper_cpu_threads", "whisper_batch_size",
    "whisper_compute_type",
)


@pytest.fixture(scope="module")
def servers():
    with postgres_server() as database_url, moto_s3_server() as s3_endpoint, redis_server() as broker_url:
        yield {"database_url": database_url, "s3_endpoint_url": s3_endpoint, "broker_url": broker_url}


@pytest.fixture
def settings_overrides(servers):
    return {
        **servers,
        "storage_backend": "s3",
        "s3_bucket": S3_BUCKET,
        **S3_KEYS,
        "job_lease_seconds": LEASE_SECONDS,
        "job_requeue_interval_seconds": SWEEP_SECONDS,
        "job_stale_queued_seconds": 60,
        # Slower than need be, on purpose: one thread, no batching, float32. The analysis then outlasts
        # the lease, as a long call does in production, so a live worker must keep its lease renewed.
        "whisper_cpu_threads": 1,
        "whisper_batch_size": 1,
        "whisper_compute_type": "float32",
    }


def _s3_client(settings):
    import boto3

    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region,
                        aws_access_key_id=settings.s3_access_key_id,
                        aws_secret_access_key=settings.s3_secret_access_key)


# --- processes --------------------------------------------------------------------------------

@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)


class Cluster:
    """The fieldrep processes of the test, each in its own process group, each with its own log."""

    def __init__(self, settings, logs: Path):
        self.logs = logs
        self.processes: list[Process] = []
        self.killed: list[Process] = []  # on purpose: waiting does not stop for these
        self.environment = {name: value for name, value in os.environ.items() if not name.startswith(ENV_PREFIX)}
        self.environment.update(PYTHONPATH=str(PROJECT_ROOT), PYTHONUNBUFFERED="1")
        for name in PROCESS_SETTINGS:
            self.environment[ENV_PREFIX + name.upper()] = str(getattr(settings, name))

    def start(self, name: str, *arguments: str) -> Process:
        log = self.logs / f"{name}.log"
        with open(log, "ab") as output:
            popen = subprocess.Popen(
                [sys.executable, "-m", "app", *arguments], cwd=PROJECT_ROOT, env=self.environment,
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def worker(self, name: str, queues: str) -> Process:
        return self.start(name, "worker", "--pool", "solo", "-Q", queues, "-n", f"{name}@%h", "--loglevel", "INFO")

    def kill(self, process: Process) -> None:
        self.killed.append(process)
        process.signal_group(signal.SIGKILL)
        process.popen.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self.processes:
            process.signal_group(signal.SIGKILL)
        for process in self.processes:
            process.popen.wait(timeout=30)

    def logs_tail(self, chars: int = 2500) -> str:
        return "\n".join(f"--- {p.name} (pid {p.popen.pid}, exit {p.popen.poll()}) ---\n{p.log_text()[-chars:]}"
                         for p in self.processes)


def wait_for(predicate: Callable[[], object], timeout: float, what: str, cluster: Cluster, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for process in cluster.processes:
            if not process.alive() and process not in cluster.killed:
                pytest.fail(f"{process.name} exited ({process.popen.returncode}) while waiting for {what}\n"
                            f"{cluster.logs_tail()}")
        time.sleep(every)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}\n{cluster.logs_tail()}")


# --- the API ----------------------------------------------------------------------------------

def upload(client, headers, name: str, meeting_id: int, key: str):
    data = {"meeting_id": str(meeting_id), "file": (io.BytesIO((CALLS / name).read_bytes()), name)}
    return client.post("/api/v1/recordings", headers={**headers, "Idempotency-Key": key}, data=data,
                       content_type="multipart/form-data")


def recording_of(client, headers, recording_id: str) -> dict:
    response = client.get(f"/api/v1/recordings/{recording_id}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def a_meeting_of(client, headers) -> int:
    response = client.get("/api/v1/meetings", headers=headers)
    assert response.status_code == 200 and response.json, response.json
    return response.json[0]["id"]


def expected_violations(name: str) -> set[str]:
    labels = json.loads((CALLS / "labels.json").read_text(encoding="utf-8"))
    return set(labels[name]["violations"])


def test_a_call_whose_transcribe_worker_is_killed_is_analysed_exactly_once(app, client, login, settings, tmp_path):
    _s3_client(settings).create_bucket(Bucket=S3_BUCKET)  # the operator's one-off step
    rep, qa = login("rep1"), login("qa")
    meeting_id = a_meeting_of(client, rep)
    logs = tmp_path / "logs"
    logs.mkdir()
    cluster = Cluster(settings, logs)
    started = time.monotonic()
    try:
        cluster.start("beat", "beat", "--loglevel", "INFO")
        cluster.worker("default", "default")
        transcribers = [cluster.worker("transcribe-a", "transcribe"), cluster.worker("transcribe-b", "transcribe")]
        for process in cluster.processes[1:]:
            wait_for(lambda process=process: " ready." in process.log_text(), 120, f"{process.name} to be ready",
                     cluster)

        # 1. The call is accepted: stored in S3, a job row in PostgreSQL, a message in Redis.
        first = upload(client, rep, KILLED_CALL, meeting_id, key="phone-upload-1")
        assert first.status_code == 202, first.json
        killed_id = first.json["id"]

        # 2. The transcribe worker that took it is frozen mid-analysis, checked, then killed with SIGKILL.
        wait_for(lambda: recording_of(client, rep, killed_id)["status"] == "processing", 120,
                 "a transcribe worker to take the call", cluster, every=0.05)
        taker = wait_for(
            lambda: next((p for p in transcribers if "fieldrep.run_job[" in p.log_text()), None), 10,
            "the taking worker's log to show the task", cluster, every=0.05,
        )
        time.sleep(INTO_THE_ANALYSIS_SECONDS)
        taker.signal_group(signal.SIGSTOP)
        frozen = recording_of(client, rep, killed_id)
        transcript = client.get(f"/api/v1/recordings/{killed_id}/transcript", headers=rep).json
        if frozen["status"] != "processing" or transcript["criteria"] or transcript["segments"]:
            pytest.fail(f"the analysis got too far to test a kill mid-analysis: {frozen}, {transcript}")
        cluster.kill(taker)
        killed_at = time.monotonic()
        assert recording_of(client, rep, killed_id)["attempts"] == 1

        # 3. Work goes on: another call is taken by the other worker while the first waits for its lease.
        second = upload(client, rep, OTHER_CALL, meeting_id, key="phone-upload-2")
        assert second.status_code == 202, second.json
        other_id = second.json["id"]

        # 4. The killed worker is restarted; the sweep re-sends the first call once its lease has run out.
        cluster.worker(taker.name, "transcribe")

        def settled() -> bool:
            states = [recording_of(client, rep, rid)["status"] for rid in (killed_id, other_id)]
            return all(state in ("analysed", "failed") for state in states)

        wait_for(settled, 240, "both calls to be analysed", cluster, every=0.5)
        recovered_after = time.monotonic() - killed_at
        # A moment for any duplicate delivery or late sweep to show itself before the final look.
        time.sleep(LEASE_SECONDS + 2 * SWEEP_SECONDS + 1)
        assert all(process.alive() for process in cluster.processes if process is not taker), cluster.logs_tail()
        logs_seen = cluster.logs_tail(6000)
    finally:
        cluster.stop_all()
    default_worker_log = next(process for process in cluster.processes if process.name == "default").log_text()
    assert all(not process.alive() for process in cluster.processes), "a process outlived the test"
    print(f"cluster path: killed call recovered {recovered_after:.1f} s after the kill; "
          f"whole run {time.monotonic() - started:.1f} s")

    # --- through the API ---
    killed, other = recording_of(client, rep, killed_id), recording_of(client, rep, other_id)
    assert killed["status"] == "analysed", (killed, logs_seen)
    assert other["status"] == "analysed", (other, logs_seen)
    assert killed["attempts"] == 2, f"one killed attempt and one that finished, no more: {killed}\n{logs_seen}"
    assert other["attempts"] == 1, f"the other call ran once: {other}\n{logs_seen}"

    script = load_script(default_script_body())
    criteria_names = {criterion.id for criterion in script.criteria} | {"wrong_language"}
    for recording_id, call in ((killed_id, KILLED_CALL), (other_id, OTHER_CALL)):
        transcript = client.get(f"/api/v1/recordings/{recording_id}/transcript", headers=rep).json
        names = [result["criterion"] for result in transcript["criteria"]]
        assert sorted(names) == sorted(criteria_names), f"one result per criterion for {call}: {names}"
        failed = {result["criterion"] for result in transcript["criteria"] if not result["passed"]}
        assert failed == expected_violations(call), (call, transcript["criteria"])
        positions = [segment["position"] for segment in transcript["segments"]]
        assert positions == list(range(len(positions))) and positions, f"one transcript for {call}: {positions}"
        assert {segment["speaker"] for segment in transcript["segments"]} == {"rep", "client"}
        violations = client.get(f"/api/v1/violations?recording_id={recording_id}", headers=qa).json
        assert sorted(v["criterion"] for v in violations) == sorted(expected_violations(call)), violations
        assert all(v["status"] == "flagged" and v["source"] == "bot" for v in violations), violations

    # The phone retrying its first upload gets the first answer and creates nothing.
    replay = upload(client, rep, KILLED_CALL, meeting_id, key="phone-upload-1")
    assert replay.status_code == 202 and replay.json["id"] == killed_id, replay.json
    listed = client.get("/api/v1/recordings", headers=qa).json
    assert sorted(r["id"] for r in listed) == sorted([killed_id, other_id]), listed

    # --- in the database and the object store: nothing lost, nothing doubled ---
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            def count(model, *where) -> int:
                return connection.scalar(select(func.count()).select_from(model).where(*where))

            assert count(Recording) == 2
            for recording_id, call in ((killed_id, KILLED_CALL), (other_id, OTHER_CALL)):
                jobs = connection.execute(
                    select(BackgroundJob.state, BackgroundJob.attempts).where(BackgroundJob.subject_id == recording_id)
                ).all()
                assert [(state, attempts) for state, attempts in jobs] == [
                    (JobState.done, 2 if recording_id == killed_id else 1)
                ], jobs
                assert count(CriterionResult, CriterionResult.recording_id == recording_id) == len(criteria_names)
                assert count(Violation, Violation.recording_id == recording_id) == len(expected_violations(call))
                segments = count(TranscriptSegment, TranscriptSegment.recording_id == recording_id)
                distinct = connection.scalar(
                    select(func.count(func.distinct(TranscriptSegment.position)))
                    .where(TranscriptSegment.recording_id == recording_id)
                )
                assert segments == distinct > 0
            stored = dict(connection.execute(select(Recording.id, Recording.object_key)).all())
    finally:
        engine.dispose()

    s3 = _s3_client(settings)
    listing = s3.list_objects_v2(Bucket=S3_BUCKET).get("Contents", [])
    assert sorted(item["Key"] for item in listing) == sorted(stored.values()), "no stray or missing objects"
    for recording_id, call in ((killed_id, KILLED_CALL), (other_id, OTHER_CALL)):
        body = s3.get_object(Bucket=S3_BUCKET, Key=stored[recording_id])["Body"].read()
        assert body == (CALLS / call).read_bytes(), f"the stored audio of {call} is intact"
    assert re.search(r"fieldrep\.requeue_stale_jobs\[.*\] succeeded", default_worker_log), \
        "beat's sweep ran on the default worker"
