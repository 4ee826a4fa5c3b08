"""The staff verifier page in headless Chromium: the fake camera shows a valid code, a stale
one and a revoked one in turn, and the page reaches the right verdict for each; then the server
stops and the browser goes offline, and a second scan still verifies from the cached page, the
WebAssembly and the lists the service worker kept."""
import datetime
import json
import time

from conftest import ARTIFACTS, Phone, chromium
from media import read_png, write_y4m


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
    valid = holder.show(tmp_path / "valid.png")
    video = tmp_path / "codes.y4m"
    write_y4m(video, [read_png(valid), read_png(stale), read_png(revoked)])

    driver = chromium(server, video, tmp_path / "profile")
    try:
        driver.get(f"{server['url']}/verify/?camera")
        ready_ms = wait_until(driver, "return window.techoVerifier.ready && window.techoVerifier.readyMs", 30, "the page")
        seen = wait_until(driver, """
            const h = window.techoVerifier.history;
            const kinds = new Set(h.map(v => v.decision === 'invalid_code' ? v.refusal : v.decision));
            return kinds.has('valid') && kinds.has('stale_screen') && kinds.has('revoked') && h;""",
                          40, "the three verdicts")
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
        write_y4m(video, [read_png(holder.show(tmp_path / "again.png"))] * 3)
        driver.get(f"{server['url']}/verify/?camera")
        wait_until(driver, "return window.techoVerifier.ready", 30, "the page offline")
        again = wait_until(driver, "return window.techoVerifier.history.find(v => v.decision === 'valid')", 30,
                           "a verdict offline")
        assert "offline" in driver.find_element("id", "lists").text or "オフライン" in driver.find_element("id", "lists").text
        driver.save_screenshot(str(ARTIFACTS / "verifier-offline.png"))
        assert again["details"], json.dumps(again)
    finally:
        driver.quit()
