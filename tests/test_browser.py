"""The course in a real browser: JupyterLab from the course's environment, driven by headless Chromium.

Starts JupyterLab (learner mode, as ``python -m course_tools lab`` sets it) on a free port with a
token, in a folder holding the start page and notebooks 01 and 08 with the solution's answers in
their answer cells (as the grader fills them), and drives Debian's Chromium through its own
chromedriver (Selenium). It checks what a learner sees: cells run without errors other than the
exercise stubs', the environment table, the kernel playground as a live widget whose image and
caption follow its controls, the face enrol/identify demo, and no nbgrader menu or warning.

Marker ``browser``; runs on the TensorFlow pass only. Skips with one line when no Chromium is found.
Screenshots of every step go to the test's temporary folder; ``COURSE_SCREENSHOTS=DIR`` copies them
to ``DIR`` as well (``docs/playground.png`` in the README was made that way).
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from course_tools.lab import NBGRADER_LAB_EXTENSION, set_mode
from course_tools.notebooks import cell_kind, read_notebook, write_notebook
from course_utils.config import project_root

ROOT = project_root()
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [pytest.mark.browser, pytest.mark.backend("tensorflow")]

if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "no Chromium and chromedriver found (apt-get install chromium chromium-driver)", allow_module_level=True
    )
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install -e .)")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1100",
]


def _with_answers(name: str, folder: Path) -> str:
    """The released notebook with the solution's answer cells, as the grader builds it; returns its file name."""
    released = read_notebook(ROOT / "notebooks" / name)
    solution = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in read_notebook(ROOT / "solutions" / name).cells
        if cell_kind(c) == "solution"
    }
    for cell in released.cells:
        if cell_kind(cell) == "solution":
            cell.source = solution[cell.metadata["nbgrader"]["grade_id"]]
    write_notebook(released, folder / name)
    return name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A running JupyterLab: ``{"url", "token", "folder", "log"}``."""
    folder = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "00_start_here.ipynb", folder)
    _with_answers("01_convolution_from_scratch.ipynb", folder)
    _with_answers("08_face_recognition.ipynb", folder)
    set_mode(instructor=False)  # what the README's first command does
    config = folder / ".jupyter"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel's own inline backend
    env.update(
        COURSE_FAST="1",
        KERAS_BACKEND="tensorflow",
        JUPYTER_CONFIG_DIR=str(config),  # no user settings of this machine's account
        JUPYTER_RUNTIME_DIR=str(config / "runtime"),
        JUPYTER_PLATFORM_DIRS="1",
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = folder / "lab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folder}",
        "--LabApp.expose_app_in_browser=True",
        "--ServerApp.allow_root=True",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"JupyterLab did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
    yield {"url": url, "token": token, "folder": folder, "log": log}
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def browser(lab):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={lab['folder'] / '.chromium'}"]:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(600)
    yield driver
    driver.quit()


def _shot(driver, lab, name: str) -> Path:
    path = lab["folder"] / "screenshots" / f"{name}.png"
    path.parent.mkdir(exist_ok=True)
    driver.save_screenshot(str(path))
    if os.environ.get("COURSE_SCREENSHOTS"):
        target = Path(os.environ["COURSE_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)
    return path


def _wait(driver, script: str, what: str, timeout: float = 120, *args):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script, *args)
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


def _open(driver, lab, name: str) -> None:
    """Open a notebook and wait until its kernel is idle."""
    driver.get(f"{lab['url']}/lab/tree/{name}?token={lab['token']}")
    _wait(
        driver,
        "const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        "return !!(w && w.context && w.context.path === arguments[0] && w.sessionContext.session"
        " && w.sessionContext.session.kernel && w.sessionContext.session.kernel.status === 'idle'"
        " && w.content.widgets.length > 0);",
        f"{name} to open with an idle kernel",
        120,
        name,
    )


RUN_CELLS = """
const stop = arguments[0], done = arguments[arguments.length - 1];
(async () => {
  const panel = window.jupyterapp.shell.currentWidget, nb = panel.content;
  const n = stop === null ? nb.widgets.length : stop;
  for (let i = 0; i < n; i++) {
    nb.activeCellIndex = i;
    await window.jupyterapp.commands.execute('notebook:run-cell');
  }
  const cells = nb.widgets.map((cell, i) => ({
    index: i, type: cell.model.type, source: cell.model.sharedModel.getSource(),
    executed: cell.model.type !== 'code' || cell.model.executionCount !== null,
    outputs: cell.model.type === 'code' ? cell.model.outputs.toJSON() : []}));
  done(JSON.stringify(cells.slice(0, n)));
})().catch(err => done(JSON.stringify({error: String(err)})));
"""


def _run(driver, stop: int | None = None) -> list[dict]:
    """Run the notebook's cells one by one (all, or those before ``stop``); the cells with their outputs."""
    cells = json.loads(driver.execute_async_script(RUN_CELLS, stop))
    if isinstance(cells, dict):
        pytest.fail(f"running the cells failed in the page: {cells['error']}")
    not_run = [c["index"] for c in cells if not c["executed"]]
    assert not not_run, f"cells {not_run} did not run"
    return cells


def _errors(cells: list[dict]) -> list[str]:
    return [
        f"cell {c['index']}: {o.get('ename')}: {o.get('evalue')}"
        for c in cells
        for o in c["outputs"]
        if o.get("output_type") == "error"
    ]


def _text(cell: dict) -> str:
    parts = []
    for out in cell["outputs"]:
        if out.get("output_type") == "stream":
            parts.append("".join(out["text"]) if isinstance(out["text"], list) else out["text"])
    return "".join(parts)


def _index(cells, needle: str) -> int:
    return next(i for i, c in enumerate(cells) if needle in c["source"])


def _run_through(driver, lab, name: str, needle: str) -> list[dict]:
    """Open notebook ``name`` and run its cells up to the one whose code contains ``needle``; no errors allowed."""
    _open(driver, lab, name)
    stop = next(i for i, c in enumerate(read_notebook(lab["folder"] / name).cells) if needle in c.source) + 1
    cells = _run(driver, stop)
    assert not _errors(cells), f"{name} with the solution's answers raised: {_errors(cells)}"
    return cells


SHOWN_OUTPUT = """
const index = arguments[0], done = arguments[arguments.length - 1];
(async () => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  nb.activeCellIndex = index;
  await nb.scrollToItem(index, 'center');  // JupyterLab renders only the cells in view
  await new Promise(resolve => setTimeout(resolve, 500));
  const area = nb.widgets[index].node.querySelector('.jp-OutputArea');
  done(area ? area.innerText : '');
})().catch(err => done('ERROR ' + err));
"""


def _shown_output(driver, index: int) -> str:
    """What the page shows under cell ``index`` (scrolled into view)."""
    return driver.execute_async_script(SHOWN_OUTPUT, index)


def test_start_page_runs_and_shows_the_environment(lab, browser):
    _open(browser, lab, "00_start_here.ipynb")
    _shot(browser, lab, "00_opened")
    cells = _run(browser)
    _shot(browser, lab, "00_ran")
    errors = _errors(cells)
    assert errors and all("NotImplementedError" in e for e in errors), (
        f"the blank start page must fail only on the exercise stub, got: {errors or 'no error at all'}"
    )
    env = _text(cells[_index(cells, "environment_summary()")])
    for key in ("python", "keras", "backend", "tensorflow", "fast_mode", "data_dir"):
        assert re.search(rf"^\s*{key}: \S", env, re.M), f"the environment table has no {key!r} line:\n{env}"
    assert re.search(r"^\s*backend: tensorflow", env, re.M) and re.search(r"^\s*fast_mode: True", env, re.M), env
    shown = _shown_output(browser, _index(cells, "environment_summary()"))
    assert "backend: tensorflow" in shown, f"the environment table is in the model but not on the page: {shown!r}"
    dialogs = browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog")
    assert not dialogs, f"a dialog asks the learner something: {[d.text for d in dialogs]}"


def test_no_nbgrader_menu_or_warning_for_a_learner(lab, browser):
    _open(browser, lab, "00_start_here.ipynb")
    menus = browser.execute_script(
        "return Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel')).map(e => e.textContent);"
    )
    assert menus and "File" in menus, f"the menu bar did not render: {menus}"
    assert not [m for m in menus if re.search(r"nbgrader|formgrader|assignment|course", m, re.I)], menus
    plugins = browser.execute_script("return window.jupyterapp.listPlugins();")
    assert not [p for p in plugins if p.startswith(NBGRADER_LAB_EXTENSION)], "nbgrader's lab plugins are loaded"
    toolbar = browser.execute_script(
        "return Array.from(document.querySelectorAll('.jp-Toolbar .jp-ToolbarButtonComponent-label'))"
        ".map(e => e.textContent);"
    )
    assert "Validate" not in toolbar, toolbar
    time.sleep(2)
    toasts = browser.execute_script(
        "return Array.from(document.querySelectorAll('.Toastify__toast')).map(e => e.innerText);"
    )
    assert not toasts, f"a notification pops up for the learner: {toasts}"
    log = lab["log"].read_text()
    assert "nbgrader_config.py" not in log and "nbgrader" not in log.lower(), log[-2000:]


def _caption(driver) -> str:
    return driver.execute_script(
        "const c = document.querySelector('.course-playground-caption'); return c ? c.innerText : '';"
    )


def _image(driver) -> str:
    return driver.execute_script(
        "const out = document.querySelector('.course-playground-caption').parentElement;"  # the playground's box
        "const img = out.querySelector('.widget-output img');"
        "return img ? img.getAttribute('src') : '';"
    )


def _contrast(src: str) -> float:
    """Standard deviation of the grey levels of a data-URL PNG (0 for a blank picture)."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    if not src.startswith("data:image/png;base64,"):
        return 0.0
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("L")
    return float(np.asarray(image).std())


# Grey-level spread of a picture that shows its photos: 57 to 84 measured for the face demo and 74 to
# 92 for the playground; a blank picture is 0 and one with only its titles drawn 7 to 17 (pyplot figures
# drawn inside a widget callback came out that way, measured with this test).
MIN_CONTRAST = 25


def _new_picture(read, before: str, what: str, timeout: float = 60) -> str:
    """Wait until ``read()`` gives a picture other than ``before`` that shows its photos and holds still for 1 s."""
    deadline, last, since = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() < deadline:
        src = read()
        if src != last:
            last, since = src, time.monotonic()
        elif src and src != before and time.monotonic() - since >= 1 and _contrast(src) > MIN_CONTRAST:
            return src
        time.sleep(0.25)
    pytest.fail(
        f"{what}: no new, non-blank picture within {timeout:.0f} s (contrast of the last one: {_contrast(last or '')})"
    )


def _check_caption(text: str, size: int, f: int, s: int, p: int, d: int) -> None:
    """The caption's numbers are the controls' and its result is floor((n + 2p - (d(f-1)+1)) / s) + 1."""
    expected = math.floor((size + 2 * p - (d * (f - 1) + 1)) / s) + 1
    match = re.search(r"output (\d+)x(\d+)", text)
    assert match, f"no 'output HxW' in the caption: {text!r}"
    assert int(match.group(1)) == expected, (
        f"caption {text!r}: expected {expected} rows for n={size}, f={f}, s={s}, p={p}, d={d}"
    )
    span = f"({d}·({f}-1)+1)" if d > 1 else f"{f}"
    assert f"⌊({size} + 2·{p} - {span}) / {s}⌋ + 1 = {expected}" in text, text


def _slider_to(driver, label: str, value: int) -> None:
    """Move an IntSlider with the keyboard, as a person would (focus the handle, arrow keys)."""
    slider = driver.find_element(By.XPATH, f"//div[contains(@class,'widget-slider')][.//label[contains(., '{label}')]]")
    readout = slider.find_element(By.CSS_SELECTOR, ".widget-readout")
    handle = slider.find_element(By.CSS_SELECTOR, ".noUi-handle")
    current = int(readout.text)
    handle.click()
    key = Keys.ARROW_RIGHT if value > current else Keys.ARROW_LEFT
    for _ in range(abs(value - current)):
        handle.send_keys(key)
    _wait(
        driver,
        "return arguments[0].innerText.trim() === String(arguments[1]);",
        f"{label} = {value}",
        20,
        readout,
        value,
    )


def test_kernel_playground_is_a_live_widget(lab, browser):
    cells = _run_through(browser, lab, "01_convolution_from_scratch.ipynb", "kernel_playground(")
    widget = browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output .widget-dropdown select")
    assert len(widget) >= 2, "the playground is not rendered as a widget (no dropdowns): " + (
        _text(cells[-1]) or str(cells[-1]["outputs"])[:300]
    )
    assert "VBox(children" not in browser.page_source, "the widget is shown as its text repr"
    _wait(
        browser,
        "const c = document.querySelector('.course-playground-caption'); return c && c.innerText;",
        "the playground's first view",
        60,
    )
    first_image = _new_picture(lambda: _image(browser), "", "the playground's first view")
    first_caption = _caption(browser)
    size = int(re.search(r"⌊\((\d+) \+", first_caption).group(1))
    _check_caption(first_caption, size, f=3, s=1, p=0, d=1)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", widget[0])
    _shot(browser, lab, "01_playground_first_view")

    kernel_select = Select(
        browser.find_element(
            By.XPATH, "//div[contains(@class,'widget-dropdown')][.//label[contains(., 'kernel')]]//select"
        )
    )
    kernel_select.select_by_visible_text("box blur")
    _new_picture(lambda: _image(browser), first_image, "changing the kernel to box blur")
    _shot(browser, lab, "01_playground_box_blur")

    for label, value in (("stride", 2), ("padding", 3), ("dilation", 2)):
        before = _image(browser)
        _slider_to(browser, label, value)
        _new_picture(lambda: _image(browser), before, f"moving {label} to {value}")
    caption = _caption(browser)
    _check_caption(caption, size, f=3, s=2, p=3, d=2)
    _shot(browser, lab, "playground")


def test_face_demo_enrolls_and_identifies(lab, browser):
    _run_through(browser, lab, "08_face_recognition.ipynb", "enroll_button.on_click")
    buttons = {b.text: b for b in browser.find_elements(By.CSS_SELECTOR, ".jp-OutputArea-output button.jupyter-button")}
    assert {"Enroll", "Who is it?"} <= set(buttons), f"the demo's buttons are not rendered: {sorted(buttons)}"
    name = browser.find_element(By.XPATH, "//div[contains(@class,'widget-text')][.//label[contains(., 'name')]]//input")
    name.clear()
    name.send_keys("tester", Keys.ENTER)
    buttons["Enroll"].click()
    _wait(browser, "return document.body.innerText.includes(\"as 'tester'; database:\");", "the enrol message", 60)
    _shot(browser, lab, "08_enrolled")
    buttons["Who is it?"].click()

    def query_picture() -> str:
        return browser.execute_script(
            "const imgs = Array.from(document.querySelectorAll('.widget-output img'));"
            "if (imgs.length) imgs[0].scrollIntoView({block: 'center'});"
            "return imgs.length ? imgs[0].getAttribute('src') : '';"
        )

    _new_picture(query_picture, "", "the answer to 'Who is it?'")
    _shot(browser, lab, "08_identified")


# --- the course site (python -m course_tools site), served as static files -----------------------------

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    """The built site, served on a free port: its address and its folder."""
    import functools
    import http.server
    import threading

    pytest.importorskip("myst_nb", reason="the site's tools are not installed (pip install -e .[docs])")
    from course_tools.site import build_site

    out = tmp_path_factory.mktemp("site") / "html"
    build_site(out)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", out
    server.shutdown()


@pytest.fixture(scope="module")
def site_browser(site_url, tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={tmp_path_factory.mktemp('chromium-site')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _site_pages(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html") if "_static" not in p.parts)


PAGE_READY = """
const done = arguments[arguments.length - 1];
const settled = () => document.readyState === 'complete'
  && Array.from(document.images).every(i => i.complete)
  && !(window.MathJax && MathJax.Hub && MathJax.Hub.queue && MathJax.Hub.queue.pending);
const start = Date.now();
(function wait() {
  if (settled() || Date.now() - start > 20000) {
    done(Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.getAttribute('src')));
  } else { setTimeout(wait, 100); }
})();
"""


def _load_page(driver, url: str) -> list[str]:
    """Open a page and wait until it, its images and its formulas are done; the images that did not decode."""
    driver.get(url)
    return driver.execute_async_script(PAGE_READY)


def _site_shot(driver, name: str, folder: Path) -> None:
    """A screenshot, made small (256 colours); also copied to COURSE_SCREENSHOTS if set."""
    from PIL import Image

    path = folder / f"{name}.png"
    driver.save_screenshot(str(path))
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    if os.environ.get("COURSE_SCREENSHOTS"):
        target = Path(os.environ["COURSE_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


def test_site_pages_load_without_console_errors_and_images_decode(site_url, site_browser, tmp_path):
    url, folder = site_url
    pages = _site_pages(folder)
    assert len(pages) >= 11 + 5 + 3, pages
    site_browser.get_log("browser")  # start from an empty log
    problems, images = [], 0
    for page in pages:
        broken = _load_page(site_browser, f"{url}/{page}")
        images += site_browser.execute_script("return document.images.length;")
        if broken:
            problems.append(f"{page}: images that do not decode: {broken}")
        errors = [e["message"] for e in site_browser.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            problems.append(f"{page}: console errors: {errors}")
        if page == "notebooks/07_unet_segmentation.html":
            site_browser.execute_script(
                "const imgs = document.querySelectorAll('.cell_output img');"
                "if (imgs.length) imgs[0].scrollIntoView({block: 'start'});"
            )
            _site_shot(site_browser, "site_notebook", tmp_path)
    assert not problems, "\n".join(problems)
    assert images >= 30, f"only {images} images on {len(pages)} pages"


@pytest.mark.parametrize(
    "query, page", [("Grad-CAM", "10_what_convnets_learn"), ("non-max suppression", "06_object_detection")]
)
def test_site_search_finds(site_url, site_browser, query, page):
    url, _ = site_url
    site_browser.get(f"{url}/search.html?q={urllib.parse.quote(query)}")
    links = _wait(
        site_browser,
        "const a = Array.from(document.querySelectorAll('#search-results li a')).map(e => e.getAttribute('href'));"
        "return a.length ? a : null;",
        f"search results for {query!r}",
        30,
    )
    assert any(f"notebooks/{page}.html" in link for link in links), f"{query!r} found {links}, not {page}"


def test_site_is_usable_at_a_phone_width(site_url, site_browser, tmp_path):
    url, folder = site_url
    site_browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        wide = []
        for page in _site_pages(folder):
            _load_page(site_browser, f"{url}/{page}")
            width = site_browser.execute_script(
                "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);"
            )
            if width > PHONE["width"]:
                wide.append(f"{page}: {width} px")
            if page == "index.html":
                _site_shot(site_browser, "site_phone", tmp_path)
        assert not wide, f"pages that scroll sideways at {PHONE['width']} px: {wide}"
    finally:
        site_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
