"""The job engine's own cost: jobs that do nothing, through huey on its SQLite file (the embedded
default) and on Redis (instances sharing the work), against a thread pool in the same process.

    .venv/bin/python bench/bench_jobs.py [--jobs 2000]

Prints, for each: jobs per second from the first enqueue to the last one run (a consumer of two
threads, as the jobs process has by default), and the median latency from enqueue to the job's
start for jobs sent one at a time — each with its ratio to the thread pool's, measured in this run.
A document takes ~0.3–1 s to produce, so the engine's cost per job is what this adds to it.
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from huey import RedisHuey, SqliteHuey


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def through_huey(huey, jobs: int) -> tuple[float, float]:
    done = threading.Semaphore(0)
    started: list[float] = []

    @huey.task()
    def nothing(sent: float) -> None:
        started.append(time.perf_counter() - sent)
        done.release()

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    consumer = huey.create_consumer(workers=2, worker_type="thread", periodic=False, initial_delay=0.001,
                                    backoff=1.1, max_delay=0.01)
    consumer.start()
    for number, handler in saved.items():
        signal.signal(number, handler)
    try:
        began = time.perf_counter()
        for _ in range(jobs):
            nothing(time.perf_counter())
        for _ in range(jobs):
            done.acquire()
        rate = jobs / (time.perf_counter() - began)
        started.clear()
        for _ in range(200):  # one at a time: the latency an idle engine adds
            nothing(time.perf_counter())
            done.acquire()
        return rate, statistics.median(started) * 1000
    finally:
        consumer.stop(graceful=True)


def through_threads(jobs: int) -> tuple[float, float]:
    started: list[float] = []

    def nothing(sent: float) -> None:
        started.append(time.perf_counter() - sent)

    with ThreadPoolExecutor(2) as pool:
        began = time.perf_counter()
        for future in [pool.submit(nothing, time.perf_counter()) for _ in range(jobs)]:
            future.result()
        rate = jobs / (time.perf_counter() - began)
        started.clear()
        for _ in range(200):
            pool.submit(nothing, time.perf_counter()).result()
    return rate, statistics.median(started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2000)
    jobs = parser.parse_args().jobs
    baseline = through_threads(jobs)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = through_huey(SqliteHuey("bench", filename=str(Path(tmp) / "jobs.sqlite3"), results=False), jobs)
        port = _free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no"], stdout=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            on_redis = through_huey(RedisHuey("bench", url=f"redis://127.0.0.1:{port}/0", results=False), jobs)
        finally:
            redis.terminate()
            redis.wait()
    print(f"{jobs} jobs that do nothing, 2 worker threads (median latency of 200 sent one at a time)")
    print(f"  thread pool (baseline): {baseline[0]:9.0f} jobs/s   latency {baseline[1]:6.3f} ms")
    for name, (rate, latency) in (("huey on SQLite", sqlite), ("huey on Redis", on_redis)):
        print(f"  {name:22}: {rate:9.0f} jobs/s   latency {latency:6.3f} ms   "
              f"({baseline[0] / rate:.0f}× slower, +{latency - baseline[1]:.2f} ms a job)")


if __name__ == "__main__":
    sys.exit(main())
