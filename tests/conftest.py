"""Shared fixtures. Full MNIST comes from $MNIST_DIR (set by the Makefile and CI when ../shared/data/mnist
exists) or, on a learner's machine online, from the real Keras download."""

from __future__ import annotations

import shutil

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import helpers  # noqa: E402,F401  (quiet TensorFlow import before anything else touches it)
from helpers.data import load_mnist  # noqa: E402

#: Bound for waiting on a subprocess or server that should answer within seconds: it only catches a hang,
#: so it is generous enough for a CPU 4-5x slower than the one the suite was written on.
HANG_SECONDS = 600


@pytest.fixture(scope="session")
def mnist():
    """Full MNIST: ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays."""
    return load_mnist(verbose=False)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


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
