"""`./pants run src/python/keep/devstack:devstack` as a user runs it: it starts, serves the curl
contract, and Ctrl-C / SIGTERM stop every process it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from keep.devstack import main
from keep.devstack.processes import python_env


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize(
    ("stop_signal", "whole_group", "observe"),
    [
        (signal.SIGINT, True, False),  # Ctrl-C in a terminal: the foreground process group gets it
        (signal.SIGINT, False, False),
        (signal.SIGTERM, False, False),  # e.g. `kill`, or an IDE's stop button
        (signal.SIGINT, True, True),  # --observe: Prometheus and redis_exporter stop too
    ],
)
def test_devstack_serves_the_contract_and_stops_without_orphans(
    stop_signal: signal.Signals, whole_group: bool, observe: bool
) -> None:
    env = python_env({})
    env.pop("REDIS_URL", None)  # the embedded Redis
    observe_args = ["--observe", "--prometheus-port", "0"] if observe else []
    process = subprocess.Popen(
        [sys.executable, "-m", main.__name__, "--port", "0", "--quiet", *observe_args],
        env=env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    url = prometheus = None
    deadline = time.monotonic() + 90
    while (url is None or (observe and prometheus is None)) and time.monotonic() < deadline:
        line = process.stdout.readline()
        assert line, "devstack exited before serving"
        if found := re.search(r"open (http://localhost:\d+)/", line):
            url = found.group(1)
        if found := re.search(r"Prometheus alerts: (http://localhost:\d+)/alerts", line):
            prometheus = found.group(1)
    assert url is not None
    children = _descendants(process.pid)
    assert len(children) >= (6 if observe else 4)  # redis-server, 3 services (+ the two watchers)
    if observe:
        rules = requests.get(f"{prometheus}/api/v1/rules", timeout=15).json()
        assert {g["name"] for g in rules["data"]["groups"]} >= {"keep-slo-alerts"}

    created = requests.post(url + "/", data="some secret", timeout=15).json()
    first = requests.post(created["url"], data=created["password"], timeout=15)
    assert (first.status_code, first.content) == (200, b"some secret")
    assert requests.post(created["url"], data=created["password"], timeout=15).status_code == 404

    if whole_group:
        os.killpg(process.pid, stop_signal)
    else:
        process.send_signal(stop_signal)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "devstack: stopped" in out
    assert "'gateway': 0" in out and "'datastorage': 0" in out and "'ratelimit': 0" in out
    time.sleep(0.2)
    assert [pid for pid in children if _alive(pid)] == []
