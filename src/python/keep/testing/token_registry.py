"""A real distribution 2.8 registry behind Bearer-token auth, for tests: the same challenge flow
Artifact Registry uses (401 + `WWW-Authenticate: Bearer realm=...,service=...,scope=...`, a token
from the realm for docker's credentials, the request again with the token).

The registry is the real `docker-registry` binary (Debian's distribution 2.8, installed by
build-support/ci/setup-runner.sh); only the token issuer is test code: it checks one
username/password with HTTP Basic and signs a JWT granting what was asked, with a throwaway key
whose self-signed certificate is the registry's `rootcertbundle` (the registry checks the
signature, issuer, audience, expiry and the granted actions itself).
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from keep.platform.waiting import exited, wait_until
from keep.testing.github_oidc import sign_rs256

ISSUER = "keep-test-token-issuer"
SERVICE = "keep-test-registry"


@dataclass(frozen=True)
class TokenRegistry:
    address: str  # 127.0.0.1:<port>
    username: str
    password: str
    token_requests: list[dict[str, str]]  # query of each token request that was granted


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _key_and_cert(directory: Path) -> tuple[rsa.RSAPrivateKey, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "root.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert.public_bytes(serialization.Encoding.DER)


def _token(key: rsa.RSAPrivateKey, cert_der: bytes, subject: str, scope: str) -> str:
    """The token distribution's token auth expects: the granted actions per repository in
    `access`, the signing certificate in the header's x5c (checked against rootcertbundle)."""
    access = []
    for item in scope.split(" "):
        kind, _, rest = item.partition(":")
        name, _, actions = rest.rpartition(":")
        if kind == "repository" and name:
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 60,
        "iat": now,
        "jti": secrets.token_hex(8),
        "access": access,
    }
    return sign_rs256(key, claims, {"x5c": [base64.b64encode(cert_der).decode()]})


@contextmanager
def token_registry(directory: Path) -> Iterator[TokenRegistry]:
    key, cert_der = _key_and_cert(directory)
    username, password = "keep-ci", secrets.token_hex(16)
    expected = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    granted: list[dict[str, str]] = []

    class Issuer(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.end_headers()
                return
            granted.append(query)
            body = json.dumps(
                {"token": _token(key, cert_der, username, query.get("scope", ""))}
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    issuer = ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    threading.Thread(target=issuer.serve_forever, daemon=True).start()
    port = _free_port()
    config = directory / "config.yml"
    config.write_text(
        f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {directory / "storage"}
http:
  addr: 127.0.0.1:{port}
auth:
  token:
    realm: http://127.0.0.1:{issuer.server_address[1]}/token
    service: {SERVICE}
    issuer: {ISSUER}
    rootcertbundle: {directory / "root.pem"}
"""
    )
    log = (directory / "registry.log").open("w")
    proc = subprocess.Popen(["docker-registry", "serve", str(config)], stdout=log, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}/v2/"
        wait_until(
            lambda: _asks_for_a_token(url),
            what=f"docker-registry with token auth on {url} (log: {directory / 'registry.log'})",
            timeout=20,
            gave_up=exited(proc),
        )
        yield TokenRegistry(f"127.0.0.1:{port}", username, password, granted)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
        issuer.shutdown()


def _asks_for_a_token(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
    except urllib.error.HTTPError as e:
        return e.code == 401  # up, and challenging for a token
    except OSError:
        return False
    return False
