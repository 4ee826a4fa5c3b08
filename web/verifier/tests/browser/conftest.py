"""The staff verifier page in a real headless Chromium (issue 31): techo-server serving
/verify/, phones played by the techo CLI linked through it, and Chromium's fake camera fed a
video of the counter screens they show."""
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
# The phone's screen in pixels (a 6.1-inch phone at 2x), and the staff camera's frame around it:
# the camera held close enough for the screen to fill the picture, as at a counter.
SCREEN = (720, 1560)
CAMERA = (760, 1600)
ARTIFACTS = pathlib.Path(os.environ.get("TECHO_ARTIFACTS", ROOT / "target" / "browser-artifacts"))


class Phone:
    """A holder's phone, played by the techo CLI with its own wallet."""

    def __init__(self, data, endpoints):
        self.data = data
        self.endpoints = endpoints
        self.handbook = None

    def run(self, *args, env=None):
        full_env = dict(os.environ, TECHO_DATA_DIR=str(self.data), **(env or {}))
        r = subprocess.run([TECHO, "--lang", "en", *args], cwd=ROOT, env=full_env, capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"techo {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        return r

    def link(self):
        hb = json.loads(self.run("--json", "register", "--from", "fixtures/handbooks/01-physical-1-tokyo.toml").stdout)
        self.handbook = hb["id"]
        self.run("link", self.handbook, "--card", "fixtures/cards/yamada", "--endpoints", str(self.endpoints),
                 env={"TECHO_CARD_PIN": "1234"})

    def show(self, png, now=None, coupon=None):
        """The whole counter screen as the phone draws it (the counter session's frame: the
        handbook's items, the coupon band, the code, the clock), made now (or at `now`,
        RFC 3339), with `coupon` (OPERATOR/COUPON) when given, as a PNG of SCREEN size."""
        extra = ["--coupon", coupon] if coupon else []
        self.run("preview", "--out", str(png), "--size", f"{SCREEN[0]}x{SCREEN[1]}", *extra,
                 env={"TECHO_NOW": now} if now else None)
        return png


def publish_coupon(endpoints, operator, coupon_id):
    """Support gives `operator` its token and the operator publishes a coupon valid today, as an
    operator's own system would through techo-server's API."""
    import datetime
    import ssl
    import urllib.request

    info = json.loads(pathlib.Path(endpoints).read_text())
    tls = ssl.create_default_context(cadata=info["ca_pem"])

    def call(method, path, token, body=None):
        req = urllib.request.Request(f"{info['server']}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
        with urllib.request.urlopen(req, context=tls) as r:
            return json.loads(r.read() or b"{}")

    token = call("POST", f"/v1/admin/operators/{operator}/token", info["admin_token"])["token"]
    today = datetime.date.today()
    call("PUT", f"/v1/operators/{operator}/coupons/{coupon_id}", token, {
        "id": coupon_id, "title_ja": "特別展 無料", "title_en": "Exhibition free",
        "terms_ja": "1回限り", "terms_en": "Once only",
        "valid_from": (today - datetime.timedelta(days=1)).isoformat(),
        "valid_until": (today + datetime.timedelta(days=30)).isoformat(),
        "per_holder": 1,
    })


@pytest.fixture
def server(tmp_path_factory):
    """techo-server for one test (the camera test stops it to go offline)."""
    tmp = tmp_path_factory.mktemp("verifier-world")
    data = tmp / "server"
    proc = subprocess.Popen([SERVER, "--data-dir", str(data), "--web-verifier", str(ROOT / "web" / "verifier")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    endpoints = data / "endpoints.json"
    deadline = time.monotonic() + 60
    while not endpoints.exists():
        if proc.poll() is not None:
            raise RuntimeError(f"techo-server exited: {proc.stdout.read().decode()}")
        assert time.monotonic() < deadline, "techo-server did not start"
        time.sleep(0.05)
    info = json.loads(endpoints.read_text())
    yield {"proc": proc, "endpoints": endpoints, "url": info["server"], "tmp": tmp, "admin": info["admin_token"]}
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def chromium(server, video, profile):
    from headless_chromium import start
    from media import spki_sha256

    host, port = server["url"].removeprefix("https://").split(":")
    # Trust exactly techo-server's loopback certificate. The camera: Chromium's fake capture
    # device, fed the screens' video, with no permission prompt.
    driver = start(profile, spki_sha256(host, int(port)), extra=(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return driver
