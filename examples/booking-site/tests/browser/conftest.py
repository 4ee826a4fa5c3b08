"""A whole loopback world for the browser test: techo-server with its portal simulator, a wallet
whose 身体 1級 (第1種) handbook is linked with the software card, the reference booking site, and a
headless Chromium driven through chromedriver."""
import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[4]
# headless_chromium: the browser set-up both browser tests share.
sys.path.insert(0, str(ROOT / "scripts"))
BIN = ROOT / "target" / "debug"
TECHO = os.environ.get("TECHO_BIN", str(BIN / "techo"))
SERVER = os.environ.get("TECHO_SERVER_BIN", str(BIN / "techo-server"))
SITE = os.environ.get("TECHO_SITE_BIN", str(BIN / "techo-booking-site"))
ARTIFACTS = pathlib.Path(os.environ.get("TECHO_ARTIFACTS", ROOT / "target" / "browser-artifacts"))


def wait_for(path, proc, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not path.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {proc.stdout.read().decode()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start within {seconds} s")
        time.sleep(0.05)


def start(cmd, ready, what):
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wait_for(ready, proc, what)
    return proc


class Phone:
    """The holder's phone, played by the techo CLI with its own wallet."""

    def __init__(self, data, site_info):
        self.data = data
        self.site_info = site_info

    def run(self, *args, env=None, check=True):
        full_env = dict(os.environ, TECHO_DATA_DIR=str(self.data), **(env or {}))
        r = subprocess.run(
            [TECHO, "--lang", "en", *args], cwd=ROOT, env=full_env, capture_output=True, text=True
        )
        if check and r.returncode != 0:
            raise AssertionError(f"techo {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def answer(self, link, *extra, env=None):
        return self.run("site", "answer", link, "--site-info", str(self.site_info), *extra, env=env)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("world")
    procs = []
    try:
        server_dir = tmp / "server"
        procs.append(start([SERVER, "--data-dir", str(server_dir)], server_dir / "endpoints.json", "techo-server"))
        endpoints = server_dir / "endpoints.json"
        site_info = tmp / "site.json"
        procs.append(start([SITE, "--endpoints", str(endpoints), "--info", str(site_info)], site_info, "techo-booking-site"))
        phone = Phone(tmp / "wallet", site_info)
        hb = json.loads(
            phone.run("--json", "register", "--from", "fixtures/handbooks/01-physical-1-tokyo.toml").stdout
        )
        phone.run(
            "link", hb["id"], "--card", "fixtures/cards/yamada", "--endpoints", str(endpoints),
            env={"TECHO_CARD_PIN": "1234"},
        )
        info = json.loads(site_info.read_text())
        info["tmp"] = tmp
        yield phone, info
    finally:
        for p in procs:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def browser(world, tmp_path_factory):
    from headless_chromium import start

    _, info = world
    # Trust exactly the booking site's loopback certificate, nothing else.
    driver = start(tmp_path_factory.mktemp("chromium-profile"), info["spki_sha256"], window="1000,1400")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()
