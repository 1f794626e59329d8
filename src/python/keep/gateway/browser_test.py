"""A real browser (Debian's chromium, driven by playwright) through the create page and the
reveal page, against the whole stack on an embedded Redis: what a person sees, including
every failure. The end-to-end encryption itself: zero_knowledge_browser_test.py."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from keep.cli.envelope import max_plaintext_bytes
from keep.cli.errors import ExitCode
from keep.cli.link import format_fragment
from keep.cli.main import main as keep
from keep.devstack.processes import stop
from keep.devstack.stack import Stack
from keep.testing.browser import chromium, open_page

# What both clients say when the server answers with Retry-After.
RETRY_IN = re.compile(r"try again in [0-9]+ seconds", re.IGNORECASE)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(http_port=0, output=subprocess.DEVNULL) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with open_page(browser) as page:
        yield page


def curl_create(stack: Stack, secret: str) -> dict[str, str]:
    return dict(requests.post(stack.url + "/", data=secret.encode(), timeout=15).json())


def test_reveal_page_without_fragment_asks_for_the_password(stack: Stack, page: Page) -> None:
    created = curl_create(stack, "typed password path")
    page.goto(created["url"])
    expect(page.locator("#password-row")).to_be_visible()
    page.fill("#password", "wrong")
    page.click("#reveal")
    expect(page.locator("#error")).to_contain_text("Wrong password")
    page.fill("#password", created["password"])
    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()
    assert page.input_value("#secret") == "typed password path"


def test_curl_share_url_still_opens(stack: Stack, page: Page) -> None:
    created = curl_create(stack, "made with curl, not end-to-end encrypted")
    page.goto(created["share_url"])
    expect(page.locator("#password-row")).to_be_hidden()
    assert "#" not in page.url
    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()
    assert page.input_value("#secret") == "made with curl, not end-to-end encrypted"


def test_create_page_refuses_an_empty_secret(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    page.evaluate("document.getElementById('secret').removeAttribute('required')")
    page.click("#create")
    expect(page.locator("#error")).to_contain_text("empty")


def test_create_page_wants_either_text_or_a_file(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    page.fill("#secret", "text")
    page.set_input_files("#file", {"name": "a.txt", "mimeType": "text/plain", "buffer": b"file"})
    page.click("#create")
    expect(page.locator("#error")).to_contain_text("either the text or the file")
    expect(page.locator("#result")).to_be_hidden()


def test_create_page_says_how_much_fits_once_encrypted(page: Page, stack: Stack) -> None:
    page.goto(stack.url + "/")
    page.fill("#secret", "a" * (max_plaintext_bytes(65536) + 1))
    page.click("#create")
    expect(page.locator("#error")).to_contain_text("at most 49121 bytes")
    expect(page.locator("#result")).to_be_hidden()


def test_forms_post_only_and_stay_disabled_without_javascript(
    stack: Stack, browser: Browser
) -> None:
    secret_url = curl_create(stack, "x")["url"]
    with open_page(browser, java_script_enabled=False) as page:
        page.goto(stack.url + "/")
        assert page.get_attribute("#create-form", "method") == "post"
        expect(page.locator("#create")).to_be_disabled()
        expect(page.locator("#secret")).to_be_disabled()
        page.goto(secret_url)
        assert page.get_attribute("#reveal-form", "method") == "post"
        expect(page.locator("#reveal")).to_be_disabled()
        expect(page.locator("#password")).to_be_disabled()
    with open_page(browser) as page:
        page.goto(stack.url + "/")
        expect(page.locator("#create")).to_be_enabled()
        page.goto(secret_url)
        expect(page.locator("#reveal")).to_be_enabled()


def test_garbled_curl_fragment_shows_a_message_and_asks_for_the_password(
    stack: Stack, page: Page
) -> None:
    created = curl_create(stack, "still revealable")
    page.goto(created["url"] + "#%E0%A4%A")
    expect(page.locator("#error")).to_contain_text("This link is damaged")
    expect(page.locator("#password-row")).to_be_visible()
    page.fill("#password", created["password"])
    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()
    assert page.input_value("#secret") == "still revealable"


def test_cut_off_key_shows_a_message_and_does_not_reveal(stack: Stack, page: Page) -> None:
    created = curl_create(stack, "x")
    page.goto(created["url"] + "#k1.AAECAwQFBgcI.pw")
    expect(page.locator("#error")).to_contain_text("the key after # is cut off or altered")
    expect(page.locator("#reveal")).to_be_hidden()
    secret_id = created["id"]
    assert requests.get(f"{stack.url}/api/v1/secrets/{secret_id}", timeout=15).status_code == 200


def test_repeated_wrong_passwords_say_when_to_retry(stack: Stack, page: Page) -> None:
    created = curl_create(stack, "guarded")
    page.goto(created["url"])
    # However many wrong passwords data-storage's policy allows (5 today), a lock follows.
    for _ in range(12):
        page.fill("#password", "wrong")
        page.click("#reveal")
        expect(page.locator("#reveal")).to_be_enabled()
        if RETRY_IN.search(page.text_content("#error") or ""):
            break
    expect(page.locator("#error")).to_contain_text(RETRY_IN)


def test_store_down_both_clients_say_to_try_again(browser: Browser) -> None:
    with Stack(http_port=0, output=subprocess.DEVNULL) as down:
        stop(down.processes.pop("datastorage"), grace=5)
        link = f"{down.url}/AAAAAAAAAAAAAAAAAAAAAA#{format_fragment(bytes(32), 'pw')}"

        with open_page(browser) as page:
            page.goto(down.url + "/")
            page.fill("#secret", "x")
            page.click("#create")
            expect(page.locator("#error")).to_contain_text("unavailable")
            expect(page.locator("#error")).to_contain_text(RETRY_IN)
            page.goto(link)
            page.click("#reveal")
            expect(page.locator("#error")).to_contain_text("unavailable")
            # Nothing was revealed: the same link can be tried again.
            expect(page.locator("#reveal")).to_be_visible()

        for argv in (["--server", down.url, "send"], ["get", link]):
            err = io.StringIO()
            assert keep(argv, io.BytesIO(b"x"), io.BytesIO(), err) == ExitCode.UNAVAILABLE
            assert "HTTP 503" in err.getvalue() and RETRY_IN.search(err.getvalue())
        # `get` repeated the reveal (same Idempotency-Key) before giving up; `send` did not.
        assert "repeating the same request" in err.getvalue()
