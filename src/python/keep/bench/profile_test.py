from keep.bench.profile import parse, report

# Three stacks in py-spy's raw format: "thread (id): name;frame;frame... count".
STACKS = [
    "thread (1): MainThread;run (asyncio/base_events.py:607);Handle._run (asyncio/events.py:80);"
    "RevealSecret (service.py:92);AbstractConnection.read_response (redis/asyncio/connection.py:1"
    "283);recv (libc.so.6) 6\n",
    "thread (1): MainThread;run (asyncio/base_events.py:607);RevealSecret (service.py:92);"
    "Logger.info (logging/__init__.py:1489);write (libc.so.6) 3\n",
    "thread (2): Thread-2 (_poll_wrapper);0x7f (grpc/_cython/cygrpc.cpython-311-x86_64-linux-gn"
    "u.so) 1\n",
]


def test_samples_are_charged_to_the_innermost_part_of_the_busiest_thread() -> None:
    profile = parse(STACKS)
    assert profile.threads == {"MainThread": 9, "Thread-2 (_poll_wrapper)": 1}
    assert profile.parts["MainThread"] == {"Redis client (redis-py)": 6, "logging": 3}
    text = report(profile)
    assert " 90.0%  MainThread" in text
    assert " 66.7%  Redis client (redis-py)" in text


def test_lines_that_are_not_stacks_are_ignored() -> None:
    assert not parse(["", "garbage\n"]).threads
