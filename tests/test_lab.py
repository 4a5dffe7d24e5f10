"""`make lab`: JupyterLab serves the series and runs it — driven in a real, headless Chromium.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); skipped with a message
saying so where they are absent. The notebook is a copy, so running and saving never touch the course.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from testkit import CHROMEDRIVER, CHROMIUM, HANG_SECONDS, headless_chromium

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_imports.ipynb"
MISSING = ("JupyterLab browser test needs Debian's chromium and chromium-driver "
           "(sudo apt-get install chromium chromium-driver; .ci/run installs them)")
if os.environ.get("COURSE_NO_SKIPS") == "1" and not (CHROMIUM and CHROMEDRIVER):
    raise RuntimeError(MISSING + " — and COURSE_NO_SKIPS=1 says this run must not skip it")
pytestmark = [pytest.mark.e2e,  # a real JupyterLab in a real browser
              pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason=MISSING)]
TOKEN = "course-test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(NOTEBOOK, root)
    port = free_port()
    log = open(tmp_path / "lab.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.token={TOKEN}", f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
         "--ServerApp.allow_root=True"],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config")},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + HANG_SECONDS
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start:\n" + (tmp_path / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
    yield url, root
    server.terminate()
    server.wait(timeout=HANG_SECONDS)
    log.close()


def test_jupyterlab_opens_notebook_01_and_runs_its_first_cells(lab):
    from selenium.webdriver.support.ui import WebDriverWait

    url, folder = lab
    committed = NOTEBOOK.read_bytes()
    driver = headless_chromium("1400,1000")
    try:
        driver.get(f"{url}/lab/tree/01_imports.ipynb?token={TOKEN}")
        wait = WebDriverWait(driver, HANG_SECONDS, poll_frequency=0.5)
        kernel_idle = """
            const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
            return !!(k && k.status === 'idle' && w.content && w.content.widgets.length > 0);"""
        wait.until(lambda d: d.execute_script(kernel_idle))
        run = "return window.jupyterapp.commands.execute(arguments[0]);"
        driver.execute_script(run, "notebook:clear-all-cell-outputs")
        assert driver.find_elements("css selector", ".jp-OutputArea-output") == [], "stored outputs were cleared"
        driver.execute_script("window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0;")
        keras_check = next(i for i, c in enumerate(json.loads(NOTEBOOK.read_text())["cells"])
                           if "Keras backend" in "".join(c["source"]))
        for _ in range(keras_check + 1):  # the title, the parameters, the imports ... up to the Keras check
            driver.execute_script(run, "notebook:run-cell-and-select-next")
        wait.until(lambda d: "Keras backend: tensorflow" in d.find_element("css selector", ".jp-Notebook").text)
        text = driver.find_element("css selector", ".jp-Notebook").text
        assert "tensorflow   2." in text and "Keras major version: 3" in text
        assert "every package matches requirements/lock.txt" in text
        shown = "\n".join(e.text for e in driver.find_elements("css selector", ".jp-OutputArea-output"))
        assert "Traceback" not in shown and "Error" not in shown  # in what ran (a source may say NotImplementedError)
        driver.save_screenshot(str(folder.parent / "01_imports.png"))  # beside the copy, never in the repo
        assert (folder.parent / "01_imports.png").stat().st_size > 10_000
    finally:
        driver.quit()
    assert NOTEBOOK.read_bytes() == committed, "the committed notebook was changed"
    assert (folder / "01_imports.ipynb").exists()
