"""keepctl entry point (stdlib argparse).

  keepctl gcp-token --account terraform-dev [--export]
  keepctl state-bucket ensure --project keep-artifacts --bucket keep-artifacts-tfstate --location europe-west1 [--fix]
  keepctl rollout wait --env dev [--timeout 600] [--revision SHA]

Exit codes: see keep.ops.errors.ExitCode (0 ok, 1 failed, 2 usage, 3 unavailable/sealed,
4 auth, 5 not found, 6 timeout, 7 drift).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from keep.ops.errors import ExitCode, KeepctlError


def _cmd_gcp_token(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import hvac

    from keep.ops import vault_token

    addr = args.vault_addr or os.environ.get("VAULT_ADDR")
    if not addr:
        raise KeepctlError(
            "VAULT_ADDR is not set (or pass --vault-addr https://vault.example.com)", ExitCode.USAGE
        )
    token = vault_token.resolve_vault_token(args.vault_token)
    client = hvac.Client(
        url=addr,
        token=token,
        namespace=os.environ.get("VAULT_NAMESPACE"),
        timeout=args.http_timeout,
    )
    kind, name = args.kind, args.name
    result = vault_token.fetch_gcp_token(client, addr=addr, mount=args.mount, kind=kind, name=name)
    if args.export:
        print(vault_token.export_line(result), file=out)
    else:
        print(result.token, file=out)
    if result.expires_at:
        when = dt.datetime.fromtimestamp(result.expires_at, tz=dt.UTC).isoformat(timespec="seconds")
        print(f"# token for {kind}/{name} expires at {when} ({result.ttl_seconds}s)", file=err)
    if args.export:
        print(
            "# Terraform: the env roots read their own token from Vault; the gcs backend uses "
            "GOOGLE_OAUTH_ACCESS_TOKEN.",
            file=err,
        )
        print(f"# docker: {vault_token.docker_login_hint(args.registry)}", file=err)
    else:
        print(f'# use: eval "$(keepctl gcp-token {kind_flag(kind)} {name} --export)"', file=err)
    return ExitCode.OK


def kind_flag(kind: str) -> str:
    return {
        "impersonated-account": "--account",
        "roleset": "--roleset",
        "static-account": "--static-account",
    }[kind]


def _cmd_state_bucket_ensure(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from keep.ops import state_bucket

    client = state_bucket.make_client(args.project)
    res = state_bucket.ensure(
        client,
        project=args.project,
        name=args.bucket,
        location=args.location,
        fix=args.fix,
        create=not args.no_create,
    )
    if res.created:
        print(
            f"created gs://{res.bucket} in {args.location} (versioning, uniform access, PAP enforced)",
            file=out,
        )
    for drift in res.drift:
        tag = "fixed" if drift in res.fixed else "DRIFT"
        print(f"{tag}: gs://{res.bucket} {drift}", file=out)
    remaining = res.remaining
    if remaining:
        hint = "" if args.fix else " (re-run with --fix to correct the fixable settings)"
        print(f"gs://{res.bucket}: {len(remaining)} setting(s) differ{hint}", file=err)
        return ExitCode.DRIFT
    if not res.created:
        print(
            f"gs://{res.bucket} ok: versioning on, uniform bucket-level access, public access prevention enforced",
            file=out,
        )
    return ExitCode.OK


def _cmd_rollout_wait(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from keep.ops import rollout

    api = rollout.api_client(args.kubeconfig, args.context, args.env)
    rollout.wait(
        api, args.env, timeout=args.timeout, interval=args.interval, revision=args.revision, out=out
    )
    return ExitCode.OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="keepctl", description="Keep operations CLI")
    sub = parser.add_subparsers(dest="command", required=True)

    tok = sub.add_parser(
        "gcp-token", help="short-lived GCP access token from Vault's GCP secrets engine"
    )
    who = tok.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--account",
        dest="impersonated",
        metavar="NAME",
        help="impersonated account (e.g. terraform-dev): GET <mount>/impersonated-account/NAME/token",
    )
    who.add_argument("--roleset", metavar="NAME", help="roleset: GET <mount>/roleset/NAME/token")
    who.add_argument(
        "--static-account",
        metavar="NAME",
        help="static account: GET <mount>/static-account/NAME/token",
    )
    tok.add_argument("--mount", default="gcp", help="GCP secrets engine mount (default: gcp)")
    tok.add_argument("--vault-addr", help="default: $VAULT_ADDR")
    tok.add_argument("--vault-token", help="default: $VAULT_TOKEN, then ~/.vault-token")
    tok.add_argument(
        "--export", action="store_true", help="print `export GOOGLE_OAUTH_ACCESS_TOKEN=...`"
    )
    tok.add_argument(
        "--registry",
        default="europe-west1-docker.pkg.dev",
        help="registry for the docker login hint",
    )
    tok.add_argument("--http-timeout", type=float, default=10.0, help=argparse.SUPPRESS)
    tok.set_defaults(func=_cmd_gcp_token)

    sb = sub.add_parser("state-bucket", help="Terraform state bucket")
    sb_sub = sb.add_subparsers(dest="action", required=True)
    ens = sb_sub.add_parser(
        "ensure", help="create or verify the bucket; reports drift, fixes it with --fix"
    )
    ens.add_argument("--project", required=True)
    ens.add_argument("--bucket", required=True)
    ens.add_argument("--location", required=True)
    ens.add_argument(
        "--fix", action="store_true", help="patch versioning / uniform access / PAP if they drifted"
    )
    ens.add_argument(
        "--no-create", action="store_true", help="only verify; a missing bucket is an error"
    )
    ens.set_defaults(func=_cmd_state_bucket_ensure)

    ro = sub.add_parser("rollout", help="rollouts")
    ro_sub = ro.add_subparsers(dest="action", required=True)
    w = ro_sub.add_parser("wait", help="wait for keep-<env> Deployments and the ArgoCD Application")
    w.add_argument("--env", required=True, choices=["dev", "prod"])
    w.add_argument("--timeout", type=float, default=600.0, help="seconds (default 600)")
    w.add_argument(
        "--interval", type=float, default=5.0, help="poll interval in seconds (default 5)"
    )
    w.add_argument(
        "--revision", help="also require the Application to be synced to this git revision"
    )
    w.add_argument(
        "--kubeconfig", help="default: $KUBECONFIG or ~/.kube/config (in-cluster when in a pod)"
    )
    w.add_argument(
        "--context",
        help="kubeconfig context (default: gke_keep-<env>_europe-west1_keep-<env>, the env's own "
        "cluster, where its ArgoCD runs)",
    )
    w.set_defaults(func=_cmd_rollout_wait)
    return parser


def main(
    argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    if args.command == "gcp-token":
        if args.impersonated:
            args.kind, args.name = "impersonated-account", args.impersonated
        elif args.roleset:
            args.kind, args.name = "roleset", args.roleset
        else:
            args.kind, args.name = "static-account", args.static_account
    try:
        return int(args.func(args, out, err))
    except KeepctlError as exc:
        print(f"keepctl: error: {exc.message}", file=err)
        return int(exc.code)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
