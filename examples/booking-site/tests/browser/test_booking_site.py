"""The reference booking site in a real headless Chromium, the phone played by the techo CLI
against the same loopback servers: a discounted price for a linked 第1種 holder with a caregiver,
a replayed presentation refused, a purchase signed with the My Number card's signing key, and
the same-device flow returning to the site. Screenshots land in target/browser-artifacts/."""
import json
import ssl
import urllib.parse
import urllib.request

from conftest import ARTIFACTS
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

PIN = {"TECHO_CARD_PIN": "1234"}
SIGNING = {"TECHO_SIGNING_PASSWORD": "TECHO2026"}


def wait(driver, css, seconds=20):
    return WebDriverWait(driver, seconds).until(ec.presence_of_element_located((By.CSS_SELECTOR, css)))


def choose(driver, url, trip, button, caregiver=False, identity=False):
    driver.get(url + "/")
    form = wait(driver, f"#trip-{trip}")
    if caregiver:
        form.find_element(By.NAME, "caregiver").click()
    if identity:
        form.find_element(By.NAME, "identity").click()
    form.find_element(By.ID, f"{button}-{trip}").click()
    return wait(driver, "#request-link").text


def post_json(info, url, body):
    """What an attacker holding a captured answer does: post it again."""
    context = ssl.create_default_context(cadata=info["ca_pem"])
    req = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=context) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def fetch_request(info, link):
    uri = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["request_uri"][0]
    context = ssl.create_default_context(cadata=info["ca_pem"])
    with urllib.request.urlopen(uri, context=context) as r:
        return json.loads(r.read())


def test_discount_replay_and_signed_purchase(world, browser):
    phone, info = world
    url = info["url"]

    # A linked 第1種 holder travelling with a caregiver, name filled from the card.
    link = choose(browser, url, "tokyo-shin-osaka", "discount", caregiver=True, identity=True)
    assert link.startswith("techo://site?request_uri=https%3A%2F%2F127.0.0.1")
    session_page = browser.current_url
    saved = info["tmp"] / "answer.json"
    out = phone.answer(link, "--identity", "--card", "fixtures/cards/yamada", "--save-response", str(saved), env=PIN)
    assert "presentation received" in out.stdout, out.stdout
    # Before anything is sent the phone names the site and its address (the consent screen):
    # what a holder checks against cross-device phishing.
    origin = url.removeprefix("https://")
    assert f"Site: Example Ticket Booking Site ({origin})" in out.stdout, out.stdout
    verdict = wait(browser, "#verdict")
    assert verdict.get_attribute("data-decision") == "Accepted"
    assert "holder + 1 caregiver" in browser.find_element(By.ID, "grant").text
    # Fare halved for both (8,910 → 4,450), the express supplement (5,810) not: 2 × 10,260.
    assert browser.find_element(By.ID, "total").get_attribute("data-yen") == "20520"
    assert "山田 太郎" in browser.find_element(By.ID, "identity").text
    browser.save_screenshot(str(ARTIFACTS / "1-discount.png"))
    # The consent ledger names the site, what it received and that the card's name went too.
    ledger = json.loads(phone.run("--json", "ledger").stdout)
    shared = ledger["sites"][0]
    assert shared["audience"] == origin and shared["accepted"], ledger
    assert "identity" in shared["items"] and "fare" in shared["items"], ledger

    # The same answer replayed against a fresh session: refused, and the page says why.
    link2 = choose(browser, url, "tokyo-takasaki", "discount")
    request = fetch_request(info, link2)
    status, reply = post_json(info, request["response_uri"], saved.read_bytes())
    assert (status, reply["accepted"], reply["code"]) == (409, False, "replayed"), reply
    refusal = wait(browser, "#refusal")
    assert refusal.get_attribute("data-code") == "replayed"
    assert "replayed" in refusal.text
    browser.save_screenshot(str(ARTIFACTS / "2-replay-refused.png"))

    # Buy, signed with the card's signing key; the site checks it against the signing CA.
    browser.get(session_page)
    wait(browser, "#sign-order").click()
    sign_link = wait(browser, "#request-link").text
    out = phone.answer(sign_link, "--card", "fixtures/cards/yamada", env=SIGNING)
    assert "the order is signed" in out.stdout, out.stdout
    wait(browser, "#signed")
    assert browser.find_element(By.ID, "signer").text == "山田 太郎"
    assert browser.find_element(By.ID, "total").get_attribute("data-yen") == "20520"
    browser.save_screenshot(str(ARTIFACTS / "3-signed-purchase.png"))


def test_same_device_flow_returns_to_the_site(world, browser):
    phone, info = world
    url = info["url"]
    choose(browser, url, "tokyo-shin-osaka", "discount-same")
    href = browser.find_element(By.ID, "same-device-link").get_attribute("href")
    assert href.startswith("techo://site?")
    reply = json.loads(phone.run("--json", "site", "answer", href, "--site-info", str(phone.site_info)).stdout)
    assert reply["accepted"] and reply["redirect_uri"].startswith(url + "/sessions/")
    # The page left behind shows nothing without the code; the app's redirect shows the result.
    browser.get(reply["redirect_uri"])
    verdict = wait(browser, "#verdict")
    # The holder alone over 100 km: the holder's fare only (4,450 + the 5,810 supplement).
    assert verdict.get_attribute("data-decision") == "Accepted"
    assert "holder only" in browser.find_element(By.ID, "grant").text
    assert browser.find_element(By.ID, "total").get_attribute("data-yen") == "10260"
    browser.save_screenshot(str(ARTIFACTS / "4-same-device.png"))


def test_a_wrong_signing_password_is_refused_and_counted(world, browser):
    phone, info = world
    # The holder alone on a 29 km trip: 第1種 without a caregiver is discounted only over 100 km.
    link = choose(browser, info["url"], "tokyo-yokohama", "discount")
    phone.answer(link)
    assert wait(browser, "#verdict").get_attribute("data-decision") == "NotAccepted"
    assert browser.find_element(By.ID, "total").get_attribute("data-yen") == "490"
    wait(browser, "#sign-order").click()
    sign_link = wait(browser, "#request-link").text
    r = phone.run("site", "answer", sign_link, "--site-info", str(phone.site_info), "--card",
                  "fixtures/cards/yamada", env={"TECHO_SIGNING_PASSWORD": "WRONG99"}, check=False)
    assert r.returncode == 8, (r.stdout, r.stderr)
    assert "4 tries left" in r.stderr
    # The page is still waiting for a signature; nothing was bought.
    assert browser.find_elements(By.ID, "signed") == []
    # The right password then goes through (and resets the counter).
    phone.answer(sign_link, "--card", "fixtures/cards/yamada", env=SIGNING)
    wait(browser, "#signed")
