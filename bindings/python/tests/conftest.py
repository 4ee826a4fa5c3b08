"""Shared fixtures: a loopback techo-server + portal simulator started for the test."""
import os
import pathlib
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
SERVER = os.environ.get("TECHO_SERVER_BIN", str(ROOT / "target" / "debug" / "techo-server"))


@pytest.fixture
def servers(tmp_path):
    """Starts techo-server (with its portal simulator) on 127.0.0.1 and yields endpoints.json."""
    data = tmp_path / "server"
    proc = subprocess.Popen(
        # The municipal office registered 伊藤 美咲 (TEST-1010) as her daughter's proxy.
        [SERVER, "--data-dir", str(data), "--proxy", "TEST-1003=TEST-1010:legal_guardian"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    endpoints = data / "endpoints.json"
    try:
        deadline = time.monotonic() + 60
        while not endpoints.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"techo-server exited: {proc.stdout.read().decode()}")
            if time.monotonic() > deadline:
                raise RuntimeError("techo-server did not start within 60 s")
            time.sleep(0.05)
        time.sleep(0.05)  # the file is written in one call; let it land
        yield endpoints
    finally:
        proc.kill()
        proc.wait()
