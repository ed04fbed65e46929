"""`fieldrep run` gives gunicorn a control socket of its own instance, not gunicorn's shared default."""

from __future__ import annotations

import subprocess
import sys
import time

from runner import UNIX_SOCKET_PATH_MAX, gunicorn_control_socket
from tests.support.servers import free_port

WSGI = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"


def test_the_socket_lives_in_the_instance_folder_or_nowhere(tmp_path):
    assert gunicorn_control_socket(str(tmp_path)) == ["--control-socket", str(tmp_path.resolve() / "gunicorn.ctl")]
    too_deep = tmp_path / ("x" * UNIX_SOCKET_PATH_MAX)
    assert gunicorn_control_socket(str(too_deep)) == ["--no-control-socket"]


def test_two_servers_on_one_machine_keep_their_own_sockets(tmp_path):
    (tmp_path / "tiny_wsgi.py").write_text(WSGI)
    servers = []
    try:
        for name in ("first", "second"):
            instance = tmp_path / name
            instance.mkdir()
            servers.append((instance, subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port()}", "--workers", "1",
                 "--pythonpath", str(tmp_path), *gunicorn_control_socket(str(instance)), "tiny_wsgi:app"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
        deadline = time.time() + 30
        while not all((instance / "gunicorn.ctl").exists() for instance, _ in servers):
            assert time.time() < deadline, "gunicorn did not open its control socket in the instance folder"
            assert all(process.poll() is None for _, process in servers), "a server exited"
            time.sleep(0.1)
    finally:
        for _, process in servers:
            process.terminate()
            process.wait(timeout=20)
