"""The staff verifier page in headless Chromium, set up for a railway counter: the fake camera
shows the phones' whole counter screens with a valid code, a stale one, a revoked one and one
carrying a museum's coupon in turn, and
the page reaches the right verdict for each; then the server stops and the browser goes offline,
and a second scan still gets the railway's verdict from the cached page, the WebAssembly and the
lists and directory the service worker kept."""
import datetime
import json
import time

from conftest import ARTIFACTS, CAMERA, ROOT, Phone, chromium, publish_coupon
from media import read_png, write_png, write_y4m


def wait_until(driver, check, seconds, what):
    """Polls `check` (JavaScript, run only once the page's state exists) until it is truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = driver.execute_script(f"if (!window.techoVerifier) return null; {check}")
        if value:
            return value
        time.sleep(0.1)
    state = driver.execute_script("return JSON.stringify(window.techoVerifier || null)")
    body = driver.execute_script("return document.body ? document.body.innerText.slice(0, 500) : ''")
    raise AssertionError(f"timed out waiting for {what}; page state: {state}; page: {body}")


def test_the_page_works_from_a_static_host_of_its_own(server, tmp_path):
    """The same files on another origin (a plain static server on loopback), with a
    root-key.js naming the issuer's root key and API: the lists come from techo-server across
    origins (its public reads allow it) and a code verifies."""
    import socket
    import subprocess
    import urllib.request
    import ssl

    info = json.loads(server["endpoints"].read_text())
    tls = ssl.create_default_context(cadata=info["ca_pem"])
    root = urllib.request.urlopen(f"{server['url']}/v1/root-key", context=tls).read().decode()
    site = tmp_path / "static-site"
    subprocess.run(["bash", "scripts/web-verifier-static", str(site), root, f"{server['url']}/v1/"],
                   cwd=ROOT, check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    host = subprocess.Popen(["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    holder = Phone(tmp_path / "static-holder", server["endpoints"])
    holder.link()
    video = tmp_path / "one.y4m"
    write_y4m(video, [read_png(holder.show(tmp_path / "one.png"))], *CAMERA)
    driver = chromium(server, video, tmp_path / "static-profile")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html")
                break
            except OSError:
                assert time.monotonic() < deadline, "the static server did not start"
                time.sleep(0.1)
        driver.get(f"http://127.0.0.1:{port}/index.html?camera")
        wait_until(driver, "return window.techoVerifier.ready", 30, "the page on a static host")
        verdict = wait_until(driver, "return window.techoVerifier.history.find(v => v.decision === 'valid')", 30,
                             "a valid code on a static host")
        assert verdict["details"], verdict
    finally:
        driver.quit()
        host.kill()
        host.wait()


def test_the_camera_scan_gives_each_code_its_verdict_online_and_offline(server, tmp_path):
    holder, returned = Phone(tmp_path / "holder", server["endpoints"]), Phone(tmp_path / "returned", server["endpoints"])
    holder.link()
    returned.link()
    # A code shown ten minutes ago (a screenshot passed on), and a phone whose linkage was
    # withdrawn after it showed its code.
    ten_minutes_ago = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=10)).isoformat()
    stale = holder.show(tmp_path / "stale.png", now=ten_minutes_ago)
    revoked = returned.show(tmp_path / "revoked.png")
    returned.run("unlink", returned.handbook, "--endpoints", str(server["endpoints"]))
    # The museum publishes a coupon; the holder's phone syncs the directory and shows it.
    publish_coupon(server["endpoints"], "example-museum", "winter")
    holder.run("places", "--sync", "--endpoints", str(server["endpoints"]))
    coupon = holder.show(tmp_path / "coupon.png", coupon="example-museum/winter")
    valid = holder.show(tmp_path / "valid.png")
    video = tmp_path / "codes.y4m"
    write_y4m(video, [read_png(valid), read_png(stale), read_png(revoked), read_png(coupon)], *CAMERA)

    driver = chromium(server, video, tmp_path / "profile")
    page = f"{server['url']}/verify/?camera&operator=example-rail"
    try:
        driver.get(page)
        ready_ms = wait_until(driver, "return window.techoVerifier.ready && window.techoVerifier.readyMs", 30, "the page")
        assert driver.execute_script("return document.getElementById('operator').value") == "example-rail"
        seen = wait_until(driver, """
            const h = window.techoVerifier.history;
            const refusals = new Set(h.filter(v => v.decision === 'invalid_code').map(v => v.refusal));
            const judged = h.filter(v => v.decision !== 'invalid_code');
            return refusals.has('stale_screen') && refusals.has('revoked')
                && judged.some(v => !v.coupon) && judged.some(v => v.coupon) && h;""",
                          40, "the four verdicts")
        # The railway's verdict for the valid code: the core's decision and the lines staff read.
        plain = next(v for v in seen if v["decision"] != "invalid_code" and not v.get("coupon"))
        assert plain["decision"] in ("accepted", "not_accepted", "check_manually"), plain
        assert plain["details"], plain
        # The museum's coupon is named as another operator's, not usable at the railway.
        with_coupon = next(v for v in seen if v.get("coupon"))
        assert with_coupon["coupon"] == "example-museum/winter", with_coupon
        assert any("example-museum/winter" in line and ("another operator" in line or "他の事業者" in line)
                   for line in with_coupon["lines"]), with_coupon["lines"]
        driver.save_screenshot(str(ARTIFACTS / "verifier-online.png"))
        frame_ms = max(v["ms"] for v in seen)
        print(f"web verifier: ready {ready_ms:.0f} ms after load; frame to verdict at most {frame_ms:.1f} ms")
        assert driver.find_element("id", "decision").text

        # Offline: the server stops and the browser has no network; the page comes from the
        # service worker, the lists from its copy, and a fresh code still verifies.
        server["proc"].kill()
        server["proc"].wait()
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        write_y4m(video, [read_png(holder.show(tmp_path / "again.png"))] * 4, *CAMERA)
        driver.get(page)
        wait_until(driver, "return window.techoVerifier.ready", 30, "the page offline")
        again = wait_until(driver, "return window.techoVerifier.history.find(v => v.decision !== 'invalid_code')", 30,
                           "the railway's verdict offline")
        assert "offline" in driver.find_element("id", "lists").text or "オフライン" in driver.find_element("id", "lists").text
        driver.save_screenshot(str(ARTIFACTS / "verifier-offline.png"))
        assert again["details"], json.dumps(again)
    finally:
        driver.quit()


def test_staff_pick_the_operator_then_check_a_picture_and_pasted_text(server, tmp_path):
    """A counter opened without ?operator=: the page first checks validity only; staff pick the
    museum from the signed directory's list (remembered at the next load), then check a
    photographed counter screen (upload) and the code's text (paste); a damaged text is refused
    with the reason, and nothing is judged from a picture without a code."""
    from selenium.webdriver.support.ui import Select

    holder = Phone(tmp_path / "picker", server["endpoints"])
    holder.link()
    picture = holder.show(tmp_path / "screen.png")
    text = json.loads(holder.run("--json", "present").stdout)["payload"]
    no_code = write_png(tmp_path / "no-code.png", [bytes([255] * 200)] * 120)
    video = tmp_path / "idle.y4m"
    write_y4m(video, [[bytes([255] * 64)] * 64], *CAMERA)
    driver = chromium(server, video, tmp_path / "picker-profile")
    page = f"{server['url']}/verify/"

    def newest(count, what):
        return wait_until(driver, f"const h = window.techoVerifier.history; return h.length >= {count} && h[{count - 1}]",
                          30, what)

    def paste(value):
        box = driver.find_element("id", "paste")
        box.clear()
        box.send_keys(value)
        driver.find_element("id", "check-paste").click()

    try:
        driver.get(page)
        wait_until(driver, "return window.techoVerifier.ready", 30, "the page")
        select = Select(driver.find_element("id", "operator"))
        listed = {o.get_attribute("value") for o in select.options}
        assert {"", "example-rail", "example-museum"} <= listed, listed
        assert select.first_selected_option.get_attribute("value") == ""
        paste(text)
        validity = newest(1, "the validity-only verdict")
        assert validity["decision"] == "valid", validity

        select.select_by_value("example-museum")
        driver.find_element("id", "upload").send_keys(str(picture))
        museum = newest(2, "the museum's verdict for the uploaded screen")
        assert museum["decision"] in ("accepted", "not_accepted", "check_manually"), museum
        assert museum["details"], museum
        paste(text)
        assert newest(3, "the museum's verdict for the pasted text")["decision"] == museum["decision"]

        paste(text[:40] + ("A" if text[40] != "A" else "B") + text[41:])
        damaged = newest(4, "the damaged text's refusal")
        assert damaged["decision"] == "invalid_code" and damaged.get("refusal"), damaged
        driver.find_element("id", "upload").send_keys(str(no_code))
        nothing = newest(5, "the picture without a code")
        assert nothing["decision"] == "invalid_code" and not nothing.get("details"), nothing

        # The choice is remembered: the counter opens on the museum next time.
        driver.get(page)
        wait_until(driver, "return window.techoVerifier.ready", 30, "the page again")
        assert Select(driver.find_element("id", "operator")).first_selected_option.get_attribute("value") \
            == "example-museum"
        driver.save_screenshot(str(ARTIFACTS / "verifier-picked-operator.png"))
    finally:
        driver.quit()
