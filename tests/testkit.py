"""What several tests share: the bound on waiting for a process, and the headless browser."""

from __future__ import annotations

import shutil

#: Bound for waiting on a subprocess or server that should answer within seconds: it only catches a hang,
#: so it is generous enough for a CPU 4-5x slower than the one the suite was written on.
HANG_SECONDS = 600


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


def headless_chromium(window: str = "1200,900"):
    """A headless Chromium driven by Selenium (Debian's chromium and chromium-driver), for the JupyterLab and
    site tests; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={window}"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
