"""A real browser (Debian's chromium, driven by playwright) through the create page and the
reveal page, against the whole stack on an embedded Redis."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from keep.localstack.stack import Stack
from keep.testing.http import request

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(http_port=0, output=subprocess.DEVNULL) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    # No CSP violations, no script errors (404s of expected API calls are logged as errors
    # by Chromium: "Failed to load resource"; those are allowed).
    assert [e for e in errors if "Failed to load resource" not in e] == []


def test_create_then_reveal_with_the_share_link(stack: Stack, page: Page) -> None:
    page.goto(stack.url + "/")
    page.fill("#secret", "correct horse battery staple")
    page.select_option("#ttl", "3600")
    page.click("#create")
    expect(page.locator("#result")).to_be_visible()
    share_url = page.input_value("#share-url")
    url, password = share_url.split("#", 1)
    assert url == page.input_value("#url")
    assert password == page.input_value("#password")

    # Opening the link reveals nothing yet, and takes the password out of the address bar.
    page.goto(share_url)
    expect(page.locator("#reveal")).to_be_visible()
    expect(page.locator("#password-row")).to_be_hidden()
    assert "#" not in page.url
    secret_id = url.rsplit("/", 1)[1]
    assert request("GET", f"{stack.url}/api/v1/secrets/{secret_id}").status == 200

    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()
    assert page.input_value("#secret") == "correct horse battery staple"

    # Once read, it is gone: the page says so without a Reveal button.
    page.goto("about:blank")
    page.goto(share_url)
    expect(page.locator("#status")).to_contain_text("does not exist")
    expect(page.locator("#reveal")).to_be_hidden()


def test_reveal_page_without_fragment_asks_for_the_password(stack: Stack, page: Page) -> None:
    created = request("POST", stack.url + "/", "typed password path").json()
    page.goto(created["url"])
    expect(page.locator("#password-row")).to_be_visible()
    page.fill("#password", "wrong")
    page.click("#reveal")
    expect(page.locator("#error")).to_contain_text("Wrong password")
    page.fill("#password", created["password"])
    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()
    assert page.input_value("#secret") == "typed password path"


def test_create_page_shows_errors_from_the_api(stack: Stack, page: Page) -> None:
    page.goto(stack.url + "/")
    page.evaluate("document.getElementById('secret').removeAttribute('required')")
    page.click("#create")
    expect(page.locator("#error")).to_contain_text("empty")
