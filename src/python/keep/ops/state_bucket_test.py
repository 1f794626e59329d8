"""keepctl state-bucket ensure against a real GCS emulator process (gcp-storage-emulator)."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import storage

from keep.ops import state_bucket
from keep.ops.cli import main
from keep.ops.errors import ExitCode
from keep.platform.waiting import GaveUp, exited, wait_until

PROJECT = "keep-artifacts"
# gcp-storage-emulator puts every new bucket in "US" (it ignores the insert body's location), so
# the tests that create buckets ask for US; location drift is tested separately.
EMULATOR_LOCATION = "US"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from gcp_storage_emulator.__main__ import main; main()",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--in-memory",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return False
        return True

    try:
        wait_until(
            listening, what="gcp-storage-emulator", timeout=30, interval=0.1, gave_up=exited(proc)
        )
    except (TimeoutError, GaveUp) as e:
        proc.kill()
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        raise RuntimeError(f"{e}: {stderr}") from None
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def gcs(emulator: str, monkeypatch: pytest.MonkeyPatch) -> storage.Client:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emulator)
    anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]  # google-auth: unannotated
    return storage.Client(project=PROJECT, credentials=anonymous)


@pytest.fixture
def bucket_name() -> str:
    return f"keep-tfstate-test-{uuid.uuid4().hex[:10]}"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def ensure_args(bucket: str, *extra: str, location: str = EMULATOR_LOCATION) -> list[str]:
    return [
        "state-bucket",
        "ensure",
        "--project",
        PROJECT,
        "--bucket",
        bucket,
        "--location",
        location,
        *extra,
    ]


def test_make_client_uses_emulator(gcs: storage.Client) -> None:
    client = state_bucket.make_client(PROJECT)
    assert isinstance(
        client._credentials, AnonymousCredentials
    )  # noqa: SLF001 - checking wiring only
    assert os.environ["STORAGE_EMULATOR_HOST"] in client._connection.API_BASE_URL  # noqa: SLF001


def test_creates_bucket_with_wanted_settings_and_is_idempotent(
    gcs: storage.Client, bucket_name: str
) -> None:
    code, out, err = run(*ensure_args(bucket_name))
    assert code == ExitCode.OK, err
    assert f"created gs://{bucket_name}" in out

    bucket = gcs.get_bucket(bucket_name)  # read back through the real client
    assert bucket.versioning_enabled is True
    assert bucket.iam_configuration.uniform_bucket_level_access_enabled is True
    assert bucket.iam_configuration.public_access_prevention == "enforced"
    assert bucket.location.upper() == EMULATOR_LOCATION

    code, out, _ = run(*ensure_args(bucket_name))
    assert code == ExitCode.OK
    assert "created" not in out and f"gs://{bucket_name} ok" in out
    assert [b.name for b in gcs.list_buckets()].count(bucket_name) == 1


def _drifted_bucket(gcs: storage.Client, name: str) -> None:
    bucket = gcs.bucket(name)
    bucket.versioning_enabled = False
    bucket.iam_configuration.public_access_prevention = "inherited"
    gcs.create_bucket(bucket, location=EMULATOR_LOCATION)


def test_reports_drift_without_fixing(gcs: storage.Client, bucket_name: str) -> None:
    _drifted_bucket(gcs, bucket_name)
    code, out, err = run(*ensure_args(bucket_name))
    assert code == ExitCode.DRIFT
    assert "DRIFT" in out and "versioning: is False, want True" in out
    assert "public_access_prevention: is 'inherited', want 'enforced'" in out
    assert "uniform_bucket_level_access" in out
    assert "--fix" in err
    bucket = gcs.get_bucket(bucket_name)
    assert not bucket.versioning_enabled  # untouched


def test_fix_corrects_drift(gcs: storage.Client, bucket_name: str) -> None:
    _drifted_bucket(gcs, bucket_name)
    code, out, err = run(*ensure_args(bucket_name, "--fix"))
    assert code == ExitCode.OK, out + err
    assert out.count("fixed:") == 3
    bucket = gcs.get_bucket(bucket_name)
    assert bucket.versioning_enabled is True
    assert bucket.iam_configuration.uniform_bucket_level_access_enabled is True
    assert bucket.iam_configuration.public_access_prevention == "enforced"
    code, out, _ = run(*ensure_args(bucket_name))
    assert code == ExitCode.OK and "DRIFT" not in out


def test_location_drift_is_never_fixed(gcs: storage.Client, bucket_name: str) -> None:
    gcs.create_bucket(gcs.bucket(bucket_name), location="US")
    code, out, _ = run(*ensure_args(bucket_name, "--fix", location="europe-west1"))
    assert code == ExitCode.DRIFT
    assert "location: is 'US', want 'EUROPE-WEST1' (cannot be changed" in out


def test_no_create_on_missing_bucket(gcs: storage.Client, bucket_name: str) -> None:
    code, _, err = run(*ensure_args(bucket_name, "--no-create"))
    assert code == ExitCode.NOT_FOUND
    assert "does not exist" in err
    assert gcs.lookup_bucket(bucket_name) is None
