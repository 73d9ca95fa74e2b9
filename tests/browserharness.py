"""A headless Chromium from Debian's packages (``chromium``, ``chromium-driver``) driven by
selenium, for the console's browser tests: no browser download, no network beyond loopback,
a fresh profile per test, and screenshots saved in the test's temporary folder, or where
docs/console.md shows them when ``LGSP_CONSOLE_SCREENSHOTS=docs/console`` is set."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

REPO = Path(__file__).parent.parent
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",
)


def screenshots_dir(tmp_path: Path) -> Path:
    """Where a run saves its screenshots: ``$LGSP_CONSOLE_SCREENSHOTS`` (relative to the
    repository) to refresh docs/console.md's, else a temporary folder (tracked files stay
    untouched)."""
    chosen = os.environ.get("LGSP_CONSOLE_SCREENSHOTS")
    return REPO / chosen if chosen else tmp_path / "screenshots"


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"none of {names} on PATH: apt-get install chromium chromium-driver")


@contextlib.contextmanager
def chromium(profile: Path) -> Iterator[WebDriver]:
    """A headless Chromium with a fresh ``--user-data-dir`` until the block ends."""
    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=_binary("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


# Chromium's words when a page re-renders between finding an element and reading it
_DETACHED = "does not belong to the document"


def _holds(check: Callable[[], bool]) -> bool:
    """``check()``, where an element the page replaced while it was read counts as "not yet":
    a page that refreshes itself swaps its elements under the reader."""
    try:
        return check()
    except StaleElementReferenceException:
        return False
    except WebDriverException as error:
        if _DETACHED in str(error.msg):
            return False
        raise


class Page:
    """One browser tab on the console at ``base``: small steps a test reads like a user's."""

    def __init__(self, driver: WebDriver, base: str, screenshots: Path) -> None:
        self.driver = driver
        self.base = base.rstrip("/")
        self.screenshots = screenshots

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)

    def find(self, css: str) -> WebElement:
        try:
            return self.driver.find_element(By.CSS_SELECTOR, css)
        except NoSuchElementException:
            body = self.driver.find_element(By.TAG_NAME, "body").text
            raise AssertionError(f"no {css} on {self.driver.current_url}:\n{body}") from None

    def all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str = "main") -> str:
        return self.find(css).text

    def type(self, css: str, value: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(value)

    def click(self, css: str) -> None:
        """Click a button or link that loads a page, and wait for that page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.find(css).click()
        WebDriverWait(self.driver, 60).until(lambda _: _is_stale(old))
        self._loaded()

    def _loaded(self) -> None:
        WebDriverWait(self.driver, 60).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def log_in(self, token: str) -> None:
        self.open("/login")
        self.type("#token", token)
        self.click("#login")

    def wait_for(
        self,
        check: Callable[[], bool],
        timeout_s: float = 60,
        every_s: float = 1.0,
        reload: bool = True,
    ) -> None:
        """Reload the page until ``check()`` holds (a live node changes under the page)."""
        deadline = time.monotonic() + timeout_s
        while not _holds(check):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out on {self.driver.current_url}: {self.text()}")
            time.sleep(every_s)
            if reload:
                self.driver.refresh()
                self._loaded()

    def screenshot(self, name: str) -> None:
        self.screenshots.mkdir(parents=True, exist_ok=True)
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1366, max(768, min(int(height) + 40, 2400)))
        self.driver.save_screenshot(str(self.screenshots / f"{name}.png"))
        self.driver.set_window_size(1366, 900)


def _is_stale(element: WebElement) -> bool:
    """Whether ``element`` left the document: the page it was on has been replaced.

    Chromedriver sometimes answers a detached node with "Node with given id does not belong to
    the document" instead of a stale-element error (SeleniumHQ/selenium#15401), which
    ``expected_conditions.staleness_of`` lets through as a failure; both mean the same here.
    """
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as error:
        if "does not belong to the document" in (error.msg or ""):
            return True
        raise
    return False
