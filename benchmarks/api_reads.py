"""Hot reads against the bare floor: Fieldrep beside two reference apps, in interleaved rounds.

    .venv/bin/python -m benchmarks.api_reads                       # 40 reps x 1 and 3 years, SQLite + PostgreSQL
    .venv/bin/python -m benchmarks.api_reads --full                # 2,000 reps x 1 year: 5,008,000 meetings
    .venv/bin/python -m benchmarks.api_reads --backends sqlite --years 1 --seconds 2

For each database and history length: the data set (benchmarks/read_dataset.py, bulk SQL), then three
servers, each gunicorn with 2 sync workers as `fieldrep run` starts it:
- **fieldrep**: the app;
- **bare-SQL**: checks the token's HMAC, runs the exact SQL Fieldrep ran for that request (captured
  in-process, same parameters) with the plain driver, `json.dumps` of the rows;
- **bare-JSON**: Fieldrep's bytes for the request, from memory.
Each round measures every endpoint on every server in turn (wrk when installed, else a Python client),
so drift on a shared machine hits all three alike. Printed: requests/s, Fieldrep ÷ each reference,
Fieldrep's p50/p99, and the plan and rows each of Fieldrep's statements reads.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.read_dataset import Fleet, build, describe

PASSWORD = "bench-password-1"
SECRET_KEY = "api-reads-benchmark-secret-key-long-enough-for-hs256"
SPEC_ENV = "API_READS_SPEC"  # the reference apps' spec file (not a Fieldrep setting)
ENDPOINTS = ("route", "route 304", "today", "changes since 1 day")


# --- the reference apps (WSGI; gunicorn imports them from here) ----------------------------------

def _spec() -> dict[str, Any]:
    return json.loads(Path(os.environ[SPEC_ENV]).read_text())


def _key(environ) -> str:
    query = environ.get("QUERY_STRING")
    path = environ["PATH_INFO"] + (f"?{query}" if query else "")
    return f"{path}|{environ.get('HTTP_IF_NONE_MATCH', '')}"


def bare_json_app():
    answers = {key: (answer["status"], [tuple(h) for h in answer["headers"]], answer["body"].encode("latin-1"))
               for key, answer in _spec()["answers"].items()}

    def app(environ, start_response):
        status, headers, body = answers[_key(environ)]
        start_response(status, headers)
        return [body]

    return app


def _hand_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat()
    if isinstance(value, bytes):
        return value.decode()
    return value


def bare_sql_app():
    import jwt

    spec = _spec()
    url = spec["database_url"]
    if url.startswith("sqlite"):
        import sqlite3

        connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        placeholder = None
    else:
        import psycopg

        connection = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
        placeholder = True
    statements = {key: [(sql, params if placeholder else tuple(params)) for sql, params in queries]
                  for key, queries in spec["statements"].items()}
    etags = {key: answer["etag"] for key, answer in spec["answers"].items()}

    def app(environ, start_response):
        token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        try:
            jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
        except jwt.PyJWTError:
            start_response("401 UNAUTHORIZED", [("Content-Type", "application/json")])
            return [b'{"status": 401}']
        key = _key(environ)
        results = []
        for sql, params in statements[key]:
            cursor = connection.execute(sql, params)
            names = [column[0] for column in cursor.description or ()]
            results.append([{name: _hand_value(value) for name, value in zip(names, row, strict=True)}
                            for row in cursor.fetchall()])
        if environ.get("HTTP_IF_NONE_MATCH"):  # the same digest as Fieldrep's route ETag
            digest = hashlib.sha256(b"day|rep|")
            for row in results[-1]:
                digest.update(f"{row.get('id')}:{row.get('version')};".encode())
            start_response("304 NOT MODIFIED", [("ETag", etags[key])])
            return [b""]
        body = json.dumps(results, sort_keys=True, ensure_ascii=False, default=str).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


# --- servers ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(target: str, env: dict[str, str], options: tuple[str, ...] = ()) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-control-socket",
         "--log-level", "warning", *options, target],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=2)
                break
            except OSError as error:
                if getattr(error, "code", None):  # any HTTP answer: the server is up
                    break
                if process.poll() is not None or time.time() > deadline:
                    errors = process.stderr.read().decode() if process.stderr else ""
                    raise RuntimeError(f"{target} did not start: {errors[-2000:]}") from None
                time.sleep(0.2)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def fieldrep_env(url: str, instance: Path) -> dict[str, str]:
    return {"FIELDREP_DATABASE_URL": url, "FIELDREP_INSTANCE_PATH": str(instance),
            "FIELDREP_SECRET_KEY": SECRET_KEY, "FIELDREP_ENVIRONMENT": "development",
            "FIELDREP_BROKER_URL": "memory://"}


# --- load --------------------------------------------------------------------------------------------

def measure(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    """requests/s, p50 and p99 in ms."""
    if shutil.which("wrk"):
        argv = ["wrk", "-t2", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
        for name, value in headers.items():
            argv += ["-H", f"{name}: {value}"]
        out = subprocess.run([*argv, url], capture_output=True, text=True, check=True).stdout
        if "Non-2xx or 3xx responses" in out:
            raise RuntimeError(f"errors from {url}:\n{out}")

        def ms(label: str) -> float:
            value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)\b", out).groups()  # type: ignore[union-attr]
            return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        return {"rps": rps, "p50": ms("50%"), "p99": ms("99%")}
    return _python_load(url, headers, seconds, connections)


def _python_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict[str, float]:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

    def client():
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status >= 400:
                raise RuntimeError(f"{url}: {response.status}")
            connection.close()
            mine.append(time.perf_counter() - started)
        latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {"rps": len(latencies) / seconds, "p50": 1000 * latencies[len(latencies) // 2],
            "p99": 1000 * latencies[int(len(latencies) * 0.99)]}


# --- one data set ------------------------------------------------------------------------------------

def _argon2_hash(password: str) -> str:
    from argon2 import PasswordHasher
    from argon2.profiles import CHEAPEST

    return PasswordHasher.from_parameters(CHEAPEST).hash(password)


def _requests(app, token: str, since: str) -> dict[str, dict[str, str]]:
    auth = {"Authorization": f"Bearer {token}"}
    etag = app.test_client().get("/api/v1/route", headers=auth).headers["ETag"]
    return {"route": {"path": "/api/v1/route", **auth},
            "route 304": {"path": "/api/v1/route", **auth, "If-None-Match": etag},
            "today": {"path": "/api/v1/today", **auth},
            "changes since 1 day": {"path": f"/api/v1/meetings/changes?since={since}", **auth}}


def _plans(engine, statements: list[tuple[str, Any]]) -> list[str]:
    """Each statement's plan, with the rows PostgreSQL actually read (index/heap rows + filtered out)."""
    raw = engine.raw_connection()
    lines = []
    try:
        cursor = raw.cursor()
        for sql, params in statements:
            head = " ".join(sql.split())[:70]
            if engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
                lines.append(f"{head}... -> " + "; ".join(row[3] for row in cursor.fetchall()))
            else:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                (explained,) = cursor.fetchone()
                scans = list(_scans(explained[0]["Plan"]))
                read = sum(rows for _name, rows in scans)
                lines.append(f"{head}... -> {', '.join(name for name, _rows in scans)}: {read} rows read")
    finally:
        raw.close()
    return lines


def _scans(node: dict[str, Any]) -> Iterator[tuple[str, int]]:
    """(node, rows it read: returned plus filtered out) for every scan in a PostgreSQL JSON plan."""
    if "Scan" in node["Node Type"]:
        yield (f"{node['Node Type']} {node.get('Index Name', node.get('Relation Name', ''))}",
               node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0))
    for child in node.get("Plans", []):
        yield from _scans(child)


def prepare(url: str, fleet: Fleet, workdir: Path) -> tuple[dict[str, Any], Path]:
    """Load the data set; capture what each request answers and which SQL it runs; write the spec."""
    from sqlalchemy import event, func, select

    from app import create_app
    from models import MeetingChange, User
    from routes.sync_tokens import SyncTokens
    from services import services_of
    from settings import load_settings
    from storage.migrations import upgrade_database

    upgrade_database(url)
    started = time.perf_counter()
    counts = build(url, fleet, _argon2_hash(PASSWORD))
    load_seconds = time.perf_counter() - started
    instance = workdir / "instance"
    settings = load_settings(environ={}, instance_path=str(instance), database_url=url, secret_key=SECRET_KEY,
                             environment="development", broker_url="memory://")
    app = create_app(settings)
    database = services_of(app).database
    client = app.test_client()
    login = client.post("/api/v1/auth/login", json={"username": "rep1", "password": PASSWORD}).get_json()
    token = login["access_token"]
    with app.app_context():
        session = database.session()
        rep = session.scalars(select(User).where(User.username == "rep1")).one()
        day_ago = datetime.now(UTC) - timedelta(days=1)
        position = (session.scalar(select(func.min(MeetingChange.seq)).where(MeetingChange.at >= day_ago)) or 1) - 1
        since = SyncTokens(SECRET_KEY).seal(SyncTokens.scope(rep.id, rep.id), position)
        database.remove()
    requests = _requests(app, token, since)
    answers, statements, plans = {}, {}, {}
    for name, request in requests.items():
        headers = {k: v for k, v in request.items() if k != "path"}
        seen: list[tuple[str, Any]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many, seen=seen):
            seen.append((statement, parameters))

        event.listen(database.engine, "before_cursor_execute", capture)
        answer = client.get(request["path"], headers=headers)
        event.remove(database.engine, "before_cursor_execute", capture)
        assert answer.status_code in (200, 304), (name, answer.status_code, answer.get_data()[:300])
        key = f"{request['path']}|{headers.get('If-None-Match', '')}"
        answers[key] = {"status": f"{answer.status_code} {answer.status}".split(" ", 1)[1],
                        "headers": [(k, v) for k, v in answer.headers.items() if k.lower() in
                                    ("content-type", "content-length", "etag", "cache-control")],
                        "body": answer.get_data().decode("latin-1"), "etag": answer.headers.get("ETag", "")}
        statements[key] = [(sql, list(params) if isinstance(params, tuple) else params) for sql, params in seen]
        plans[name] = _plans(database.engine, seen)
    database.dispose()
    spec_path = workdir / "spec.json"
    spec_path.write_text(json.dumps({"database_url": url, "answers": answers, "statements": statements},
                                    default=str))
    return {"counts": counts, "load_seconds": load_seconds, "requests": requests, "plans": plans,
            "instance": instance}, spec_path


WARM_UP_SECONDS = 1  # per endpoint and server, before the measured rounds


def run_dataset(url: str, fleet: Fleet, workdir: Path, rounds: int, seconds: float,
                connections: int) -> dict[str, Any]:
    info, spec = prepare(url, fleet, workdir)
    options: tuple[str, ...] = ()
    with contextlib.suppress(ImportError):  # what `fieldrep run` gives gunicorn, where the tree has it
        from api.server import GUNICORN_OPTIONS

        options = tuple(GUNICORN_OPTIONS)
    results: dict[str, dict[str, list[dict[str, float]]]] = {}
    reference = {SPEC_ENV: str(spec)}
    with gunicorn("app:create_app()", fieldrep_env(url, info["instance"]), tuple(options)) as fieldrep, \
            gunicorn("benchmarks.api_reads:bare_sql_app()", reference) as bare_sql, \
            gunicorn("benchmarks.api_reads:bare_json_app()", reference) as bare_json:
        servers = {"fieldrep": fieldrep, "bare-SQL": bare_sql, "bare-JSON": bare_json}
        for request in info["requests"].values():  # unmeasured: every worker connects and compiles first
            headers = {k: v for k, v in request.items() if k != "path"}
            for base in servers.values():
                measure(base + request["path"], headers, WARM_UP_SECONDS, connections)
        for _round in range(rounds):
            for endpoint, request in info["requests"].items():
                headers = {k: v for k, v in request.items() if k != "path"}
                for server, base in servers.items():
                    figures = measure(base + request["path"], headers, seconds, connections)
                    results.setdefault(endpoint, {}).setdefault(server, []).append(figures)
    info["results"] = results
    return info


def report(backend: str, fleet: Fleet, info: dict[str, Any]) -> str:
    lines = [f"\n## {backend}, {fleet.reps:,} reps x {fleet.years:g} year(s): {describe(info['counts'])} "
             f"(loaded in {info['load_seconds']:.0f} s)\n",
             "| endpoint | Fieldrep req/s | bare-SQL req/s | bare-JSON req/s | Fieldrep ÷ bare-JSON "
             "| Fieldrep ÷ bare-SQL | Fieldrep p50 / p99 ms |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for endpoint, servers in info["results"].items():
        rps = {server: statistics.median(r["rps"] for r in runs) for server, runs in servers.items()}
        p50 = statistics.median(r["p50"] for r in servers["fieldrep"])
        p99 = max(r["p99"] for r in servers["fieldrep"])
        lines.append(f"| {endpoint} | {rps['fieldrep']:.0f} | {rps['bare-SQL']:.0f} | {rps['bare-JSON']:.0f} | "
                     f"{rps['fieldrep'] / rps['bare-JSON']:.2f} | {rps['fieldrep'] / rps['bare-SQL']:.2f} | "
                     f"{p50:.1f} / {p99:.1f} |")
    lines.append("\nFieldrep's statements per request (plan; on PostgreSQL the rows actually read):")
    for endpoint, plans in info["plans"].items():
        lines.append(f"- {endpoint}:")
        lines.extend(f"    - {plan}" for plan in plans)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--years", default="1,3", help="history lengths, comma-separated (default 1,3)")
    parser.add_argument("--full", action="store_true", help="the issue's size: 2,000 reps (5,008,000 meetings a year)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0, help="per endpoint, server and round")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    reps = 2000 if args.full else args.reps
    today = datetime.now(UTC).date()
    print(f"# Hot reads: Fieldrep vs bare-SQL vs bare-JSON ({'wrk' if shutil.which('wrk') else 'Python client'}, "
          f"-c{args.connections}, {args.rounds} interleaved rounds of {args.seconds:g} s, {os.cpu_count()} CPUs)")
    for backend in args.backends.split(","):
        for years in (float(y) for y in args.years.split(",")):
            fleet = Fleet(reps=reps, years=years, today=today)
            with tempfile.TemporaryDirectory(prefix="fieldrep-bench-") as folder, \
                    _database(backend, Path(folder)) as url:
                info = run_dataset(url, fleet, Path(folder), args.rounds, args.seconds, args.connections)
                print(report(backend, fleet, info), flush=True)


@contextlib.contextmanager
def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'fleet.sqlite'}"
        return
    from tests.support.servers import postgres_server

    with postgres_server() as url:
        yield url


if __name__ == "__main__":
    main()
