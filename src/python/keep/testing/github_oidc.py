"""GitHub-Actions-shaped OIDC tokens signed with a test RSA key, for a real JWT auth method.

Claims follow GitHub's documented token (docs.github.com, "About security hardening with OpenID
Connect"): `sub` is repo:<owner>/<name>:ref:<ref>, :pull_request, or :environment:<name> when
the job names an environment; `environment` is present only then.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ISSUER = "https://token.actions.githubusercontent.com"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_rs256(key: rsa.RSAPrivateKey, claims: dict[str, object], header: dict[str, object]) -> str:
    """A compact JWS (RS256) of `claims`; `header` adds to alg/typ (kid, x5c, ...)."""
    head = _b64(json.dumps({"alg": "RS256", "typ": "JWT", **header}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{payload}.{_b64(signature)}"


@dataclass
class GitHubIssuer:
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def public_pem(self) -> str:
        return (
            self.key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, claims: dict[str, object]) -> str:
        return sign_rs256(self.key, claims, {"kid": "test"})

    def token(
        self,
        *,
        repository: str,
        repository_id: str,
        ref: str,
        event_name: str,
        audience: str,
        environment: str | None = None,
    ) -> str:
        """A job's token: pull_request events get sub ...:pull_request unless the job names an
        environment, which always wins in `sub`."""
        if environment:
            sub = f"repo:{repository}:environment:{environment}"
        elif event_name == "pull_request":
            sub = f"repo:{repository}:pull_request"
        else:
            sub = f"repo:{repository}:ref:{ref}"
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": ISSUER,
            "aud": audience,
            "sub": sub,
            "ref": ref,
            "ref_type": "branch",
            "repository": repository,
            "repository_id": repository_id,
            "repository_owner": repository.split("/")[0],
            "event_name": event_name,
            "workflow": "terraform",
            "run_id": "1",
            "actor": "someone",
            "iat": now,
            "nbf": now - 5,
            "exp": now + 300,
        }
        if environment:
            claims["environment"] = environment
        return self.sign(claims)
