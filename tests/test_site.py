"""The lessons as executed notebooks, and the course website opened in headless Chromium.

The lessons are executed once per test session (all of them, found by listing lessons/NN_*.py)
and the site is built from those notebooks once. The figures each lesson must show are the
committed ``figures/NN_*.png`` of the repository, so the expected set does not come from the
code under test. Needs the ``docs`` extra; the browser test needs Debian's chromium and
chromium-driver (installed by .ci/run) and is skipped, saying so, where they are absent.
"""

from __future__ import annotations

import base64
import functools
import http.server
import json
import os
import re
import shutil
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("jupytext", reason='the notebook tools are not installed: pip install ".[docs]"')
pytest.importorskip("nbclient", reason='the notebook tools are not installed: pip install ".[docs]"')

from numpycam.classroom.notebooks import figure_outputs, lesson_scripts, write_notebooks  # noqa: E402
from numpycam.classroom.site import build_site  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = lesson_scripts(ROOT / "lessons")
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1200,900"]


def committed_figures(stem: str) -> set[str]:
    return {p.name for p in (ROOT / "figures").glob(f"{stem[:2]}_*.png")}


@pytest.fixture(scope="session")
def notebooks(tmp_path_factory):
    """Every lesson executed once; $NUMPYCAM_EXECUTED_NOTEBOOKS (a `numpycam notebooks --out`
    folder of the same lessons) skips the execution while working on the site itself."""
    if os.environ.get("NUMPYCAM_EXECUTED_NOTEBOOKS"):
        return Path(os.environ["NUMPYCAM_EXECUTED_NOTEBOOKS"])
    out = tmp_path_factory.mktemp("notebooks")
    start = time.perf_counter()
    write_notebooks(ROOT / "lessons", out, say=lambda s: None)
    print(f"executed {len(SCRIPTS)} lessons in {time.perf_counter() - start:.1f} s")
    return out


@pytest.fixture(scope="session")
def site(notebooks, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    start = time.perf_counter()
    pages = build_site(out, lessons=ROOT / "lessons", notebooks=notebooks, figures_src=ROOT / "figures",
                       say=lambda s: None)
    print(f"built the site from executed notebooks in {time.perf_counter() - start:.1f} s")
    return out, pages


def test_every_notebook_shows_the_figures_its_lesson_saves(notebooks):
    import nbformat

    for script in SCRIPTS:
        nb = nbformat.read(notebooks / f"{script.stem}.ipynb", as_version=4)
        images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                  if "image/png" in o.get("data", {})]
        expected = committed_figures(script.stem)
        assert expected, f"no committed figures for {script.name}"
        assert len(images) == len(expected), (script.name, len(images), sorted(expected))
        assert set(figure_outputs(nb)) == expected
        # the inline image is the saved file itself, byte for byte
        for o in images:
            saved = notebooks / "figures" / o.metadata["numpycam_figure"]
            assert base64.b64decode(o.data["image/png"]) == saved.read_bytes(), saved.name


def test_the_site_has_every_page_and_links_them_in_order(site):
    out, pages = site
    names = [p.name for p in pages]
    assert names == ["index.html", *[f"{s.stem}.html" for s in SCRIPTS], "exercises.html"]
    index = (out / "index.html").read_text()
    assert [index.find(f'href="{s.stem}.html"') for s in SCRIPTS] == sorted(
        index.find(f'href="{s.stem}.html"') for s in SCRIPTS)
    assert "demo_gallery.png" in index
    for i, script in enumerate(SCRIPTS):
        page = (out / f"{script.stem}.html").read_text()
        assert 'href="exercises.html"' in page
        links = {rel: href for tag in re.findall(r"<a [^>]*>", page)
                 for rel in re.findall(r'rel="(\w+)"', tag) for href in re.findall(r'href="([^"]+)"', tag)}
        assert links.get("prev") == (f"{SCRIPTS[i - 1].stem}.html" if i > 0 else None), script.name
        assert links.get("next") == (f"{SCRIPTS[i + 1].stem}.html" if i + 1 < len(SCRIPTS) else None)
        for tag in ("<script src=\"http", "<link href=\"http", "cdnjs", "cdn.jsdelivr", "unpkg.com"):
            assert tag not in page, (script.name, tag)


class _Handler(http.server.SimpleHTTPRequestHandler):
    failures: list = []

    def log_message(self, *args):
        pass

    def send_error(self, code, *args, **kwargs):
        self.failures.append((code, self.path))
        super().send_error(code, *args, **kwargs)


@pytest.fixture(scope="module")
def browser(site, tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed "
                    "(apt-get install -y chromium chromium-driver; .ci/run does it)")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium comes with the docs extra")
    from selenium.webdriver.chrome.service import Service

    out, _ = site
    handler = type("Handler", (_Handler,), {"failures": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_script_timeout(60)
    try:
        yield driver, f"http://127.0.0.1:{server.server_address[1]}/", handler.failures
    finally:
        driver.quit()
        server.shutdown()


def _open(driver, url):
    """Load a page, wait for MathJax to finish if the page has it; returns the requested URLs."""
    driver.get_log("performance")  # drop what earlier pages logged
    driver.get(url)
    driver.execute_async_script(
        "const done = arguments[0];"
        "if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(() => done(true)); } else { done(false); }")
    requested = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.append(message["params"]["request"]["url"])
    return requested


def _check_local(requested, base):
    # chrome:// and the like are the browser's own pages (its new tab page before the first get)
    network = [u for u in requested if u.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]
    outside = [u for u in network if not u.startswith(base)]
    assert not outside, f"fetched from outside the site: {outside}"


def test_every_page_loads_in_chromium_with_its_figures_and_rendered_maths(browser, site):
    driver, base, failures = browser
    out, pages = site
    shots = Path(os.environ.get("NUMPYCAM_SCREENSHOTS", out / "_screenshots"))
    shots.mkdir(parents=True, exist_ok=True)
    for page in pages:
        requested = _open(driver, base + page.name)
        assert base + page.name in requested, page.name
        _check_local(requested, base)
        images = driver.execute_script(
            "return [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0])")
        assert all(ok for _, ok in images), (page.name, [s for s, ok in images if not ok])
        shown = {Path(src).name for src, _ in images}
        text = driver.execute_script("return document.body.innerText")
        for raw in ("\\sum", "\\frac", "$$", "\\mathrm", "\\left"):
            assert raw not in text, (page.name, raw)
        if page.stem[:2].isdigit():
            assert committed_figures(page.stem) <= shown, (page.name, committed_figures(page.stem) - shown)
            rendered = driver.execute_script("return document.querySelectorAll('.MathJax, .MathJax_Display').length")
            errors = driver.execute_script("return document.querySelectorAll('.MathJax_Error, merror').length")
            assert rendered > 0 and errors == 0, (page.name, rendered, errors)
            assert "Traceback" not in text and "Error" not in driver.title, page.name
        if page.name in ("index.html", "05_cam.html"):
            driver.save_screenshot(str(shots / f"{page.stem}.png"))
        if page.name == "index.html":
            assert {"demo_gallery.png"} <= shown
    # the browser asks for /favicon.ico on its own; the site has none
    assert not [f for f in failures if f[1] != "/favicon.ico"], f"the server answered with errors: {failures}"


def test_commands_say_what_is_wrong(tmp_path, capsys):
    from numpycam.cli import main

    # a missing input is a usage error, exit 2, in every subcommand (issue 15)
    assert main(["site", "--out", str(tmp_path / "s"), "--lessons", str(tmp_path)]) == 2
    assert "no lesson scripts" in capsys.readouterr().err
    assert main(["notebooks", "--out", str(tmp_path / "n"), "--lessons", str(ROOT / "lessons"),
                 "--only", "99"]) == 1
    err = capsys.readouterr().err
    assert "no lesson 99" in err and "03_gap" in err


def test_a_script_run_only_writes_the_file(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from numpycam import viz

    fig, _ = viz.figure_grid(1, 1)
    assert viz.save(fig, tmp_path / "x.png").is_file()
    assert viz.show_saved(tmp_path / "x.png") is False  # no kernel here: nothing is displayed
