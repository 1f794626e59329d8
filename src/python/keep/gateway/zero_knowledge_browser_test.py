"""End-to-end encryption in a real browser: the plaintext never leaves the sender's browser
(not in any request, not in Redis, not in the services' logs), the link opens once in another
browser context, links made by the `keep` CLI open in the page and the other way round, and an
altered link or ciphertext never yields plaintext."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
from playwright.sync_api import Browser, Page, Request, expect

from keep.cli import envelope
from keep.cli.link import format_fragment
from keep.cli.main import main as keep
from keep.devstack.stack import Stack
from keep.testing.browser import chromium, open_page


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stack") / "services.log"


@pytest.fixture(scope="module")
def stack(logs: Path) -> Iterator[Stack]:
    # Every service's stdout and stderr (the gateway's access and error logs included).
    with logs.open("wb") as sink, Stack(http_port=0, output=sink.fileno()) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


def redis_contents(url: str) -> bytes:
    """Every key and value in Redis, whatever its type."""
    client = redis.Redis.from_url(url)
    dump: list[bytes] = []
    for key in client.scan_iter():
        dump.append(key)
        dump.extend(_values(client, key))
    client.close()
    return b"\n".join(dump)


def _values(client: redis.Redis, key: bytes) -> list[bytes]:
    kind = client.type(key)
    values: list[object]
    if kind == b"string":
        values = [client.get(key) or b""]
    elif kind == b"hash":
        values = [b for pair in client.hgetall(key).items() for b in pair]
    elif kind == b"list":
        values = list(client.lrange(key, 0, -1))
    elif kind == b"set":
        values = list(client.smembers(key))
    elif kind == b"zset":
        values = list(client.zrange(key, 0, -1))
    else:
        raise AssertionError(f"unexpected Redis type {kind!r} for {key!r}")
    return [v if isinstance(v, bytes) else str(v).encode() for v in values]


def create_in_page(page: Page, stack: Stack, secret: str) -> str:
    page.goto(stack.url + "/")
    page.fill("#secret", secret)
    page.click("#create")
    expect(page.locator("#result")).to_be_visible()
    return page.input_value("#share-url")


def reveal_in_page(page: Page, link: str) -> str:
    page.goto(link)
    page.click("#reveal")
    expect(page.locator("#result")).to_be_visible()
    return page.input_value("#secret")


def test_plaintext_never_reaches_the_server(stack: Stack, browser: Browser, logs: Path) -> None:
    plaintext = f"zero-knowledge {uuid.uuid4().hex}"
    sent: list[bytes] = []

    def record(r: Request) -> None:
        sent.append(r.url.encode() + b"\n" + (r.post_data_buffer or b""))

    with open_page(browser) as sender:
        sender.on("request", record)
        link = create_in_page(sender, stack, plaintext)
    url, fragment = link.split("#", 1)
    assert fragment.startswith("k1.")
    secret_id = url.rsplit("/", 1)[1]

    # The create call carried the envelope, and nothing anywhere carried the plaintext or key.
    assert any(r.startswith(f"{stack.url}/api/v1/secrets\n".encode()) and b'"secret":"k1.' in r
               for r in sent)  # fmt: skip
    assert not any(plaintext.encode() in r for r in sent)
    assert not any(fragment.encode() in r for r in sent)
    stored = redis_contents(str(stack.redis_url))
    assert secret_id.encode() in stored  # the record is there, sealed twice
    assert plaintext.encode() not in stored

    with open_page(browser) as recipient:
        recipient.on("request", record)
        assert reveal_in_page(recipient, link) == plaintext
        assert "#" not in recipient.url
    assert not any(plaintext.encode() in r or fragment.encode() in r for r in sent)

    with open_page(browser) as third:
        third.goto(link)
        expect(third.locator("#status")).to_contain_text("already read or expired")
        expect(third.locator("#reveal")).to_be_hidden()

    log_text = logs.read_bytes()
    # The log is real: the gateway logged both calls (with the id cut to 6 characters).
    assert log_text.count(secret_id[:6].encode()) >= 2
    assert plaintext.encode() not in log_text
    assert fragment.encode() not in log_text
    assert plaintext.encode() not in redis_contents(str(stack.redis_url))


def cli_send(stack: Stack, secret: bytes) -> str:
    out, err = io.BytesIO(), io.StringIO()
    assert keep(["--server", stack.url, "send"], io.BytesIO(secret), out, err) == 0, err.getvalue()
    return out.getvalue().decode().strip()


def test_cli_link_opens_in_the_browser(stack: Stack, browser: Browser) -> None:
    link = cli_send(stack, "from the CLI ✓".encode())
    with open_page(browser) as page:
        assert reveal_in_page(page, link) == "from the CLI ✓"


def test_cli_file_opens_as_a_download(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    data = bytes(range(256)) * 8
    link = cli_send(stack, data)
    with open_page(browser, accept_downloads=True) as page:
        page.goto(link)
        page.click("#reveal")
        expect(page.locator("#file-result")).to_be_visible()
        with page.expect_download() as download:
            page.click("#download")
        download.value.save_as(tmp_path / "secret.bin")
    assert (tmp_path / "secret.bin").read_bytes() == data


def test_browser_link_opens_in_the_cli(stack: Stack, browser: Browser) -> None:
    with open_page(browser) as page:
        link = create_in_page(page, stack, "from the browser ✓")
    out, err = io.BytesIO(), io.StringIO()
    assert keep(["get", link], stdout=out, err=err) == 0, err.getvalue()
    assert out.getvalue().decode() == "from the browser ✓"


def test_browser_file_opens_in_the_cli(stack: Stack, browser: Browser, tmp_path: Path) -> None:
    data = bytes(range(256)) * 16
    with open_page(browser) as page:
        page.goto(stack.url + "/")
        page.set_input_files(
            "#file", {"name": "k.bin", "mimeType": "application/octet-stream", "buffer": data}
        )
        page.click("#create")
        expect(page.locator("#result")).to_be_visible()
        link = page.input_value("#share-url")
    out, err = io.BytesIO(), io.StringIO()
    assert keep(["get", link, "-o", str(tmp_path / "k.bin")], stdout=out, err=err) == 0
    assert (tmp_path / "k.bin").read_bytes() == data


def test_altered_key_shows_a_message_never_plaintext(stack: Stack, browser: Browser) -> None:
    with open_page(browser) as page:
        link = create_in_page(page, stack, "tamper-evident")
        head, fragment = link.split("#k1.", 1)
        altered = fragment[:5] + ("B" if fragment[5] != "B" else "C") + fragment[6:]
        page.goto(f"{head}#k1.{altered}")
        page.click("#reveal")
        expect(page.locator("#error")).to_contain_text("cannot be decrypted")
        expect(page.locator("#error")).to_contain_text("ask the sender")
        expect(page.locator("#result")).to_be_hidden()
        assert page.input_value("#secret") == ""


def test_altered_ciphertext_shows_a_message_never_plaintext(stack: Stack, browser: Browser) -> None:
    key = envelope.new_key()
    sealed = envelope.seal(b"tamper-evident", key)
    altered = sealed[:10] + ("B" if sealed[10] != "B" else "C") + sealed[11:]
    created = requests.post(
        f"{stack.url}/api/v1/secrets", json={"secret": altered}, timeout=15
    ).json()
    with open_page(browser) as page:
        page.goto(f"{created['url']}#{format_fragment(key, created['password'])}")
        page.click("#reveal")
        expect(page.locator("#error")).to_contain_text("cannot be decrypted")
        expect(page.locator("#result")).to_be_hidden()
        assert page.input_value("#secret") == ""
