"""The page in a real headless browser (Debian's Chromium, driven by Selenium through Debian's
chromedriver; nothing is downloaded): generate text and watch it arrive, then paste a text into the
cell viewer, pick a unit and see the colours change. Skips, saying what is missing, without them."""

import contextlib
import threading
from pathlib import Path

import pytest

import recur
from recur.serve.app import create_app
from recur.serve.server import listen, server_for, url_of

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1200,1000"]
PASTED = "MENENIUS:\nEither you must\nConfess yourselves wondrous malicious,\nOr be accused of folly.\n" * 3


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
    for path in (CHROMIUM, CHROMEDRIVER):
        if not path.exists():
            pytest.skip(f"{path} not found (apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)  # with both paths given, Selenium Manager never runs
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    yield driver
    driver.quit()


@pytest.fixture
def serve(charlm):
    """``serve(token=None)``: the real server, uvicorn on 127.0.0.1, a free port, in a thread; its URL."""
    servers = []

    def start(token: str | None = None) -> str:
        sock = listen("127.0.0.1", 0)
        servers.append(server_for(create_app(charlm, "tiny", token=token)))
        thread = threading.Thread(target=servers[-1].run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        servers[-1].thread = thread
        return url_of(sock)
    yield start
    for server in servers:
        server.should_exit = True
        server.thread.join(10)


@pytest.fixture
def served(serve):
    return serve()


@contextlib.contextmanager
def serving(app):
    """The real server over ``app`` on a free loopback port, in a thread; yields its URL."""
    sock = listen("127.0.0.1", 0)
    server = server_for(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)


def text_of(driver, element_id: str) -> str:
    return driver.execute_script(f"return document.getElementById('{element_id}').textContent")


def backgrounds(driver) -> list[str]:
    return driver.execute_script("return Array.from(document.querySelectorAll('#text span'), s => s.style.background)")


def test_generate_then_view_the_cells(browser, served, charlm):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 10)
    browser.get(served)
    assert browser.title == "recur serve: tiny"
    assert "character model" in text_of(browser, "about")

    browser.find_element(By.ID, "prime").send_keys("ROMEO:")
    for field, value in (("length", "250"), ("seed", "7")):
        browser.find_element(By.ID, field).clear()
        browser.find_element(By.ID, field).send_keys(value)
    browser.find_element(By.ID, "generate").click()
    wait.until(lambda d: "characters in" in text_of(d, "generate-status"))
    assert text_of(browser, "out-prime") == "ROMEO:"
    assert text_of(browser, "out-text") == charlm.generate("ROMEO:", 250, 1.0, seed=7)

    browser.find_element(By.ID, "paste").send_keys(PASTED)
    browser.find_element(By.ID, "show-cells").click()
    wait.until(lambda d: len(backgrounds(d)) == len(PASTED))
    assert "units shown" in text_of(browser, "cells-status")
    before = backgrounds(browser)
    picker = Select(browser.find_element(By.ID, "unit"))
    chosen = picker.first_selected_option.text
    other = next(o.text for o in picker.options if o.text != chosen)
    picker.select_by_visible_text(other)
    wait.until(lambda d: backgrounds(d) != before)
    assert all(b.startswith(("rgba(", "rgb(")) for b in backgrounds(browser))  # opaque ones read back as rgb()

    browser.find_elements(By.CSS_SELECTOR, "tr.unit")[1].click()  # a top-correlated unit, by clicking its row
    clicked = browser.find_elements(By.CSS_SELECTOR, "tr.unit")[1].get_attribute("data-unit")
    assert Select(browser.find_element(By.ID, "unit")).first_selected_option.text == clicked


def test_a_page_opened_with_its_token_sends_it(browser, serve, charlm):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    token = "a-token-only-this-test-knows"
    url = serve(token)
    browser.get(url)
    assert "needs its token" in browser.find_element(By.TAG_NAME, "body").text  # the 401's JSON, shown as text
    browser.get(url + "?token=" + token)
    for field, value in (("length", "40"), ("seed", "3")):
        browser.find_element(By.ID, field).clear()
        browser.find_element(By.ID, field).send_keys(value)
    browser.find_element(By.ID, "generate").click()
    WebDriverWait(browser, 10).until(lambda d: "characters in" in text_of(d, "generate-status"))
    assert text_of(browser, "out-text") == charlm.generate("", 40, 1.0, seed=3)


def test_translate_in_the_page_and_see_the_attention(browser, tiny_translator_dir):
    """A translation model's page: type a sentence, get the model's translation and its attention grid."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from recur.serve.translation import create_translation_app

    translator = recur.load(tiny_translator_dir)
    with serving(create_translation_app(translator, "reverser")) as url:
        browser.get(url)
        assert browser.title == "recur serve: reverser" and "de → en" in text_of(browser, "about")
        browser.find_element(By.ID, "text").send_keys("2 7 1 8")
        browser.find_element(By.ID, "translate").click()
        WebDriverWait(browser, 10).until(lambda d: "translated in" in text_of(d, "status"))
        assert text_of(browser, "translation") == translator.translate(["2 7 1 8"])[0] == "8 1 7 2"
        cells = browser.find_elements(By.CSS_SELECTOR, "#grid tbody td")
        rows = browser.find_elements(By.CSS_SELECTOR, "#grid tbody tr")
        assert len(rows) == len(translator.target_pieces("8 1 7 2"))
        assert len(cells) == len(rows) * len(translator.source_pieces("2 7 1 8"))
        assert all(c.value_of_css_property("background-color").startswith(("rgba(0, 0, 0", "rgb(0, 0, 0")) for c in cells)
        browser.find_element(By.ID, "text").clear()
        browser.find_element(By.ID, "translate").click()
        WebDriverWait(browser, 10).until(lambda d: "empty" in text_of(d, "status"))


def test_compose_music_in_the_page_and_hear_it(browser, tiny_music_dir):
    """A music model's page: compose a piece, see its piano roll, get its MIDI, and (with FluidSynth
    and a soundfont installed) play it: the audio element loads the WAV and knows its length."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from recur.generate.music_audio import audio_unavailable
    from recur.serve.music import create_music_app

    composer = recur.load(tiny_music_dir)
    with serving(create_music_app(composer, "chords")) as url:
        browser.get(url)
        assert browser.title == "recur serve: chords" and "bernoulli output" in text_of(browser, "about")
        browser.find_element(By.ID, "steps").clear()
        browser.find_element(By.ID, "steps").send_keys("12")
        browser.find_element(By.ID, "seed").send_keys("4")
        browser.find_element(By.ID, "compose").click()
        WebDriverWait(browser, 30).until(lambda d: "composed in" in text_of(d, "status"))
        assert text_of(browser, "status").startswith("13 steps")  # the opening chord, then 12
        assert browser.execute_script("return document.getElementById('roll').width") == 13 * 4
        assert browser.execute_script("return document.getElementById('midi').href").startswith("blob:")
        if audio_unavailable() is None:
            WebDriverWait(browser, 10).until(
                lambda d: d.execute_script("return document.getElementById('player').readyState") >= 1)
            duration = browser.execute_script("return document.getElementById('player').duration")
            assert duration >= 13 * composer.step_seconds
        else:
            assert "apt install fluidsynth" in text_of(browser, "status")
        browser.find_element(By.ID, "steps").clear()
        browser.find_element(By.ID, "steps").send_keys("100000")
        browser.find_element(By.ID, "compose").click()
        WebDriverWait(browser, 10).until(lambda d: "steps must be" in text_of(d, "status"))
