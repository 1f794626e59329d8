"""Create or verify the Terraform state bucket (google-cloud-storage).

Wanted: object versioning on, uniform bucket-level access on, public access prevention
"enforced", in the requested location.

Semantics of `ensure`:
  * bucket missing            -> create it with the wanted settings (unless create=False)
  * bucket exists, all good   -> nothing to do
  * bucket exists, drift      -> report every differing setting; with fix=True patch the fixable
                                 ones (location can never be changed: always reported, never fixed)
Running it twice is a no-op the second time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import google.auth.exceptions
import google.oauth2.credentials
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from keep.ops.errors import ExitCode, KeepctlError

ENFORCED = "enforced"


@dataclass(frozen=True)
class Drift:
    setting: str
    actual: object
    wanted: object
    fixable: bool = True

    def __str__(self) -> str:
        fix = "" if self.fixable else " (cannot be changed: recreate the bucket)"
        return f"{self.setting}: is {self.actual!r}, want {self.wanted!r}{fix}"


@dataclass
class EnsureResult:
    bucket: str
    created: bool = False
    drift: list[Drift] = field(default_factory=list)
    fixed: list[Drift] = field(default_factory=list)

    @property
    def remaining(self) -> list[Drift]:
        return [d for d in self.drift if d not in self.fixed]


def make_client(project: str) -> storage.Client:
    """Emulator (STORAGE_EMULATOR_HOST) -> anonymous; GOOGLE_OAUTH_ACCESS_TOKEN (keepctl gcp-token)
    -> that token; otherwise Application Default Credentials."""
    try:
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            return storage.Client(project=project, credentials=AnonymousCredentials())
        token = os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")
        if token:
            return storage.Client(
                project=project, credentials=google.oauth2.credentials.Credentials(token)
            )
        return storage.Client(project=project)
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise KeepctlError(
            'no Google credentials: `eval "$(keepctl gcp-token --account terraform-shared --export)"` '
            "or `gcloud auth application-default login`.",
            ExitCode.AUTH,
        ) from exc


def inspect(bucket: storage.Bucket, location: str) -> list[Drift]:
    drift: list[Drift] = []
    if not bucket.versioning_enabled:
        drift.append(Drift("versioning", bool(bucket.versioning_enabled), True))
    iam = bucket.iam_configuration
    if not iam.uniform_bucket_level_access_enabled:
        drift.append(
            Drift(
                "uniform_bucket_level_access", bool(iam.uniform_bucket_level_access_enabled), True
            )
        )
    pap = iam.public_access_prevention
    if pap != ENFORCED:
        drift.append(Drift("public_access_prevention", pap, ENFORCED))
    actual_location = (bucket.location or "").upper()
    if actual_location and actual_location != location.upper():
        drift.append(Drift("location", actual_location, location.upper(), fixable=False))
    return drift


def _apply_wanted(bucket: storage.Bucket) -> None:
    bucket.versioning_enabled = True
    bucket.iam_configuration.uniform_bucket_level_access_enabled = True
    bucket.iam_configuration.public_access_prevention = ENFORCED


def _api_error(action: str, name: str, exc: gexc.GoogleAPICallError) -> KeepctlError:
    if isinstance(exc, (gexc.Forbidden, gexc.Unauthorized)):
        return KeepctlError(
            f"{action} gs://{name} was denied ({exc.code}): {exc.message}. Bucket names are global: it may "
            "belong to another project, or your token lacks storage.buckets.* on this one.",
            ExitCode.AUTH,
        )
    if isinstance(exc, gexc.Conflict):
        return KeepctlError(
            f"gs://{name} already exists in another project ({exc.message}).", ExitCode.FAILED
        )
    return KeepctlError(f"{action} gs://{name} failed ({exc.code}): {exc.message}", ExitCode.FAILED)


def ensure(
    client: storage.Client,
    *,
    project: str,
    name: str,
    location: str,
    fix: bool = False,
    create: bool = True,
) -> EnsureResult:
    result = EnsureResult(bucket=name)
    try:
        bucket = client.lookup_bucket(name)
    except gexc.GoogleAPICallError as exc:
        raise _api_error("looking up", name, exc) from exc

    if bucket is None:
        if not create:
            raise KeepctlError(
                f"gs://{name} does not exist (run without --no-create to create it)",
                ExitCode.NOT_FOUND,
            )
        bucket = client.bucket(name)
        _apply_wanted(bucket)
        try:
            bucket = client.create_bucket(bucket, project=project, location=location)
        except gexc.GoogleAPICallError as exc:
            raise _api_error("creating", name, exc) from exc
        result.created = True
        bucket.reload()
        # Settings sent with the insert but not honoured (some emulators ignore the insert body):
        # the bucket is brand new and ours, so correct them right away.
        fix = True
        if not any(d.fixable for d in inspect(bucket, location)):
            result.drift = inspect(bucket, location)
            return result

    result.drift = inspect(bucket, location)
    fixable = [d for d in result.drift if d.fixable]
    if fix and fixable:
        _apply_wanted(bucket)
        try:
            bucket.patch()
            bucket.reload()
        except gexc.GoogleAPICallError as exc:
            raise _api_error("updating", name, exc) from exc
        still = {d.setting for d in inspect(bucket, location)}
        result.fixed = [d for d in fixable if d.setting not in still]
    return result
