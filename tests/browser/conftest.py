"""Browser journeys: real Chromium (Debian's, at /usr/bin/chromium) driven by Playwright
against pytest-django's live server.

Where Chromium or the playwright package is absent the browser tests are skipped loudly;
with SAMVIRKE_REQUIRE_SERVICES=1 (CI) their absence is a failure. Never run
`playwright install`: it downloads a browser, which cannot work here.
"""

import importlib.util
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("SAMVIRKE_CHROMIUM", "/usr/bin/chromium")
# From --disable-quic on, the flags stop Chromium's own background connections (first
# run, updates, components, sync), which the network here refuses and which only slow
# start-up down.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Accept-Language of every page: the UI's default language, set explicitly so that the
# result does not depend on the machine's locale.
BROWSER_LOCALE = "nb-NO"
TIMEOUT_MS = 10_000

_skipped: list[str] = []


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "the Python package 'playwright' is not installed (pip install -r requirements.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    return None


def skip_or_fail(reason: str | None) -> None:
    if reason:
        if os.environ.get("SAMVIRKE_REQUIRE_SERVICES") == "1":
            pytest.fail(f"browser tests required but cannot run: {reason}")
        _skipped.append(reason)
        pytest.skip(f"BROWSER TEST SKIPPED: {reason}")


def pytest_terminal_summary(terminalreporter):
    if _skipped:
        terminalreporter.section("browser tests skipped", sep="!", red=True, bold=True)
        terminalreporter.write_line(f"browser tests did not run: {_skipped[0]}",
                                    red=True, bold=True)


@pytest.fixture(scope="package")
def browser():
    """One Chromium for all tests in tests/browser.

    Package scope rather than session scope on purpose: while Playwright's sync API is
    running, its event loop counts as running in the main thread, for every test that
    follows. Closing it when the last browser test is done keeps that (and the setting
    below) out of the rest of the suite.
    """
    skip_or_fail(_missing())
    from playwright.sync_api import sync_playwright

    # Playwright's sync API drives an asyncio event loop in the main thread (on a
    # greenlet), so asyncio.get_running_loop() succeeds there. Django then refuses ORM
    # calls from the test thread (SynchronousOnlyOperation), although they are ordinary
    # blocking calls that never run inside that loop. DJANGO_ALLOW_ASYNC_UNSAFE turns the
    # check off; it is set only while Playwright runs and restored afterwards.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser):
    """Factory: a page in a fresh browser context (own cookies, so one signed-in person
    per call). All are closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(locale=BROWSER_LOCALE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def browser_world(transactional_db, live_server, world):
    """The named people of tests/conftest.py, committed so that the live server (another
    thread, another connection) sees them. transactional_db must come before world.

    Notifications are delivered in-process (Celery eager), as in development: with
    REDIS_URL set (CI) they would otherwise go to Redis, where no worker takes them until
    a later test starts one.
    """
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield world
    app.conf.task_always_eager = eager


def current_code(username: str) -> str | None:
    """The one-time code a person's authenticator app would show now, as it computes it
    (RFC 6238 through django_otp.oath). A confirmed device is made for a person who must
    use two factors and has none; None for people who need no code."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from agencies import two_factor
    from agencies.models import User

    user = User.objects.get(username=username)
    if not two_factor.required_for(user):
        return None
    device = two_factor.confirmed_device(user) or TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def login(page, live_server, username: str, password: str):
    """Sign in through the real forms (password, then the one-time code where the role
    needs it) and wait until they have let us in."""
    code = current_code(username)
    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=password]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    if "/accounts/login/" in page.url:
        raise AssertionError(
            f"sign-in as {username!r} failed; the page says:\n{page.inner_text('main')}")
    if code is not None:
        assert "/accounts/two-factor/verify/" in page.url, page.url
        page.get_by_label("Engangskode").fill(code)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        if "/accounts/two-factor/" in page.url:
            raise AssertionError(f"the one-time code for {username!r} was refused:\n{page.inner_text('main')}")
    return page


def screenshot(page, name: str) -> Path | None:
    """Full-page screenshot into $SAMVIRKE_SCREENSHOT_DIR (never into the repository);
    does nothing when the variable is not set."""
    directory = os.environ.get("SAMVIRKE_SCREENSHOT_DIR")
    if not directory:
        return None
    path = Path(directory) / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path
