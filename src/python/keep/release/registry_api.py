"""Add a tag to an image that is already in a registry, without pulling it.

`docker` cannot do this: a pull + `docker tag` + push re-serialises the manifest on the client,
which may give another digest than the one the overlays pin. The registry HTTP API (OCI
distribution spec, which Artifact Registry and distribution 2.8 both serve) can: GET the manifest
by its digest, PUT the same bytes under the new tag. The new tag then names exactly that digest.

Credentials are docker's own, so whatever `docker push` may do this may do too: the
`credHelpers` / `credsStore` of `$DOCKER_CONFIG/config.json` (`gcloud auth configure-docker`
installs `docker-credential-gcloud` there) or the `auths` entries `docker login` writes. A
registry that answers 401 with a `Bearer` challenge (Artifact Registry) gets a token from its
realm with those credentials; a `Basic` challenge gets them directly. Loopback registries speak
plain HTTP, as dockerd allows for 127.0.0.0/8.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from keep.release.registry import RegistryError

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
_TIMEOUT = 30

Credentials = Callable[[str], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Manifest:
    media_type: str
    body: bytes
    digest: str


def docker_credentials(host: str) -> tuple[str, str] | None:
    """(username, secret) for `host` the way the docker CLI finds them, or None."""
    config_dir = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    try:
        config = json.loads((config_dir / "config.json").read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise RegistryError(f"cannot read {config_dir / 'config.json'}: {e}") from e
    helper = (config.get("credHelpers") or {}).get(host) or config.get("credsStore")
    if helper:
        found = _from_helper(helper, host)
        if found:
            return found
    auth = ((config.get("auths") or {}).get(host) or {}).get("auth")
    if auth:
        user, _, secret = base64.b64decode(auth).decode().partition(":")
        return user, secret
    return None


def _from_helper(helper: str, host: str) -> tuple[str, str] | None:
    try:
        proc = subprocess.run(
            [f"docker-credential-{helper}", "get"],
            input=host,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except FileNotFoundError as e:
        raise RegistryError(f"docker credential helper docker-credential-{helper} not found") from e
    if proc.returncode != 0:
        # The helper's protocol: "credentials not found" on stdout means none for this host.
        if "credentials not found" in (proc.stdout + proc.stderr).lower():
            return None
        raise RegistryError(f"docker-credential-{helper} get {host} failed: {proc.stderr.strip()}")
    data = json.loads(proc.stdout)
    return str(data["Username"]), str(data["Secret"])


@dataclass
class Registry:
    """One registry host, e.g. europe-west1-docker.pkg.dev or 127.0.0.1:5000."""

    host: str
    credentials: Credentials = docker_credentials
    _authorization: dict[str, str] = field(default_factory=dict)  # scope -> header value

    @property
    def base_url(self) -> str:
        hostname = self.host.rsplit(":", 1)[0] if self.host.count(":") == 1 else self.host
        loopback = hostname in ("localhost", "::1", "[::1]") or hostname.startswith("127.")
        return f"{'http' if loopback else 'https'}://{self.host}"

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest `reference` (tag or digest) points at, or None if there is none."""
        status, headers, body = self._call("GET", repository, reference)
        if status == 404:
            return None
        if status != 200:
            raise RegistryError(f"GET {self._name(repository, reference)}: HTTP {status} {body!r}")
        digest = (
            headers.get("docker-content-digest") or "sha256:" + hashlib.sha256(body).hexdigest()
        )
        media_type = headers.get("content-type", "").split(";")[0].strip()
        return Manifest(media_type, body, digest)

    def put_manifest(self, repository: str, tag: str, manifest: Manifest) -> str:
        status, headers, body = self._call(
            "PUT", repository, tag, data=manifest.body, content_type=manifest.media_type
        )
        if status not in (200, 201):
            raise RegistryError(f"PUT {self._name(repository, tag)}: HTTP {status} {body[:500]!r}")
        return headers.get("docker-content-digest") or manifest.digest

    def add_tag(self, repository: str, digest: str, tag: str) -> bool:
        """Make `tag` name `digest`. True if added, False if it already named that digest.

        Tags are immutable in Keep's registry: a tag that names another digest is an error, never
        moved."""
        if not DIGEST.match(digest):
            raise RegistryError(f"not a sha256 digest: {digest!r}")
        existing = self.manifest(repository, tag)
        if existing is not None:
            if existing.digest == digest:
                return False
            raise RegistryError(
                f"{self._name(repository, tag)} already names {existing.digest}, not {digest}: "
                "tags are immutable, refusing to move it"
            )
        source = self.manifest(repository, digest)
        if source is None:
            raise RegistryError(f"{self.host}/{repository}@{digest} is not in the registry")
        written = self.put_manifest(repository, tag, source)
        if written != digest:
            raise RegistryError(f"{self._name(repository, tag)} now names {written}, not {digest}")
        return True

    def _name(self, repository: str, reference: str) -> str:
        sep = "@" if reference.startswith("sha256:") else ":"
        return f"{self.host}/{repository}{sep}{reference}"

    def _call(
        self,
        method: str,
        repository: str,
        reference: str,
        *,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        url = f"{self.base_url}/v2/{repository}/manifests/{reference}"
        headers = {"Accept": ", ".join(MANIFEST_TYPES)}
        if content_type:
            headers["Content-Type"] = content_type
        scope = f"repository:{repository}:pull,push" if method == "PUT" else None
        scope = scope or f"repository:{repository}:pull"
        if scope in self._authorization:
            headers["Authorization"] = self._authorization[scope]
        status, resp_headers, body = _http(method, url, headers, data)
        if status == 401 and "Authorization" not in headers:
            self._authorization[scope] = self._authorize(
                resp_headers.get("www-authenticate", ""), scope
            )
            headers["Authorization"] = self._authorization[scope]
            status, resp_headers, body = _http(method, url, headers, data)
        if status in (401, 403):
            raise RegistryError(
                f"{method} {self._name(repository, reference)}: HTTP {status}, not allowed "
                "(docker credentials for this registry: `gcloud auth configure-docker` / "
                "`docker login`)"
            )
        return status, resp_headers, body

    def _authorize(self, challenge: str, scope: str) -> str:
        creds = self.credentials(self.host)
        scheme, _, params_text = challenge.partition(" ")
        if scheme.lower() == "basic":
            if creds is None:
                raise RegistryError(f"{self.host} wants a login and docker has none for it")
            return "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
        if scheme.lower() != "bearer":
            raise RegistryError(f"{self.host}: unsupported authentication challenge {challenge!r}")
        params = dict(_CHALLENGE_PARAM.findall(params_text))
        if "realm" not in params:
            raise RegistryError(f"{self.host}: Bearer challenge without a realm: {challenge!r}")
        query = {"scope": scope, **({"service": params["service"]} if "service" in params else {})}
        headers = {}
        if creds is not None:
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()
            )
        url = f"{params['realm']}?{urllib.parse.urlencode(query)}"
        status, _, body = _http("GET", url, headers, None)
        if status != 200:
            raise RegistryError(f"{self.host}: token request refused (HTTP {status})")
        token = json.loads(body).get("token") or json.loads(body).get("access_token")
        if not token:
            raise RegistryError(f"{self.host}: token response without a token")
        return f"Bearer {token}"


def _http(
    method: str, url: str, headers: dict[str, str], data: bytes | None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as resp:
            return resp.status, _lower(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, _lower(e.headers.items()), e.read()
    except (urllib.error.URLError, OSError) as e:
        raise RegistryError(f"cannot reach {url.split('/v2/')[0]}: {e}") from e


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names are case-insensitive: one spelling for lookups."""
    return {k.lower(): v for k, v in items}


def split_image(image: str) -> tuple[str, str]:
    """europe-west1-docker.pkg.dev/keep-artifacts/keep/gateway -> (host, repository path)."""
    host, sep, repository = image.partition("/")
    if not sep or not repository or ("." not in host and ":" not in host and host != "localhost"):
        raise RegistryError(f"{image!r} does not start with a registry host")
    return host, repository
