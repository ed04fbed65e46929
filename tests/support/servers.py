"""Real servers for integration tests, started by the tests and stopped after them.

PostgreSQL: a throw-away cluster (initdb + pg_ctl) in a temporary folder, on a free loopback port.
S3: moto's standalone server on a free loopback port.
Redis: Debian's redis-server in a temporary folder, on a free loopback port, with no persistence.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise RuntimeError(
        f"PostgreSQL's {name} was not found; `make test` installs Debian's postgresql package "
        "(apt-get install postgresql)"
    )


def _as_postgres_user(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, a developer usually does not.
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh PostgreSQL database; stop and delete the cluster afterwards."""
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    root = Path(tempfile.mkdtemp(prefix="fieldrep-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        for path in (root, sockets):
            os.chown(path, postgres.pw_uid, postgres.pw_gid)
    port = free_port()
    log = root / "server.log"
    try:
        subprocess.run(_as_postgres_user([initdb, "-D", str(data), "-U", "fieldrep", "--auth=trust", "-E", "UTF8",
                                          "--locale=C.UTF-8"]), check=True, capture_output=True)
        subprocess.run(
            _as_postgres_user([pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o",
                               f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
            check=True, capture_output=True,
        )
        yield f"postgresql+psycopg://fieldrep@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres_user([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def moto_s3_server() -> Iterator[str]:
    """Yield the endpoint URL of a moto S3 server on loopback."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _redis_server_bin() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    raise RuntimeError(
        "Redis's redis-server was not found; `make test` installs Debian's redis-server package "
        "(apt-get install redis-server)"
    )


def _redis_answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield the URL of a throw-away Redis (nothing saved to disk); stop it and delete its folder afterwards."""
    redis = _redis_server_bin()
    root = Path(tempfile.mkdtemp(prefix="fieldrep-redis-"))
    port = free_port()
    log = root / "server.log"
    process = subprocess.Popen(
        [redis, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(root), "--logfile", str(log),
         "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "yes"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.time() + 20
        while not _redis_answers_ping(port):
            if process.poll() is not None or time.time() > deadline:
                output = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}:\n{output}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
