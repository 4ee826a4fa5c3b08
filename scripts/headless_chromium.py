"""Headless Chromium for the browser tests (the booking site, the staff verifier page): driven by
selenium through Debian's chromedriver, a fresh profile, trusting exactly one loopback
certificate, and making no connection of its own (no updates, sync or first-run pages: the
test machines have no network beyond loopback)."""
import os
import shutil


def start(profile, spki_sha256, window="900,1400", extra=()):
    """A driver for a new Chromium with its profile in `profile`, trusting only the certificate
    whose SubjectPublicKeyInfo hashes to `spki_sha256` (base64), with `extra` arguments."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM_BIN", shutil.which("chromium") or "/usr/bin/chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={window}",
        f"--user-data-dir={profile}",
        f"--ignore-certificate-errors-spki-list={spki_sha256}",
        *extra,
    ):
        options.add_argument(arg)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER_BIN", shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.implicitly_wait(0)
    return driver
