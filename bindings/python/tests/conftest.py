"""Shared fixtures: a loopback techo-server + portal simulator started for the test."""
import json
import os
import pathlib
import socket
import struct
import subprocess
import time

import pytest
import techo_ffi as t

ROOT = pathlib.Path(__file__).resolve().parents[3]
SERVER = os.environ.get("TECHO_SERVER_BIN", str(ROOT / "target" / "debug" / "techo-server"))
CARD_SIM = str(ROOT / "target" / "debug" / "techo-card-sim")


def service_of(endpoints):
    """The service an app builds from its shipped configuration, for this loopback server."""
    e = json.loads(endpoints.read_text(encoding="utf-8"))
    return t.TechoService(e["server"], e["ca_pem"])


class SocketCard(t.CardTransport):
    """A platform transport written in Python: APDUs over the vpcd framing (two-byte length,
    bytes) to the card process. One tap: close it before the next."""

    def __init__(self, port, extended=True):
        self.extended = extended
        self.apdus = 0
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self._send(b"\x01")  # power on

    def _send(self, data):
        self.sock.sendall(struct.pack(">H", len(data)) + data)

    def _read(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise t.CardTransportError.Removed()
            out += chunk
        return out

    def extended_length(self):
        return self.extended

    def max_transceive_length(self):
        # 0: this transport states no maximum of its own, as on iOS.
        return 0

    def transmit(self, apdu):
        self.apdus += 1
        try:
            self._send(bytes(apdu))
            (n,) = struct.unpack(">H", self._read(2))
            return self._read(n)
        except socket.timeout:
            raise t.CardTransportError.Timeout()

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class CardSim:
    """A software My Number card in its own process (techo-card-sim) on a loopback port."""

    def __init__(self, tmp_path, name):
        self.proc = subprocess.Popen(
            [CARD_SIM, "--card", str(ROOT / "fixtures" / "cards" / name),
             "--state", str(tmp_path / f"{name}.state"), "--listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
        )
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening on "):
            raise RuntimeError(f"techo-card-sim did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1])

    def tap(self):
        return SocketCard(self.port)

    def auth_tries_left(self):
        """Asked the way a reader would, without spending a try."""
        with self.tap() as card:
            card.transmit(bytes.fromhex("00A4040C0AD392F000260100000001"))
            card.transmit(bytes.fromhex("00A4020C020018"))
            sw = card.transmit(bytes.fromhex("00200080"))
        assert sw[0] == 0x63, sw.hex()
        return sw[1] & 0x0F

    def close(self):
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def card_sim(tmp_path):
    """Starts a card by name: card_sim("yamada")."""
    started = []

    def start(name):
        sim = CardSim(tmp_path, name)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.close()


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
