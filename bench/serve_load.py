"""Load on `recur serve`: a tiny character model served on a loopback port, in its own process, then

    streams     --streams concurrent streaming generations of --chars characters each (httpx, one
                connection each): per stream the time to its first character and its characters/s,
                p50/p99 over the streams
    malformed   bursts of --burst concurrent bad requests of each kind in ``MALFORMED`` (bad and deep
                JSON, wrong types, huge fields, wrong content type, unknown paths, oversize bodies, a
                foreign Host, ...): their status codes, whether each refusal is JSON, and any
                connection error
    beyond      as many concurrent generations as the server's limit (--max-streams) plus --beyond,
                of the most characters a request may ask: how many are answered 200 and 429, and
                how fast a 429 comes
    memory      the server's resident memory (``/proc/PID/status``: VmRSS, and VmHWM, its peak)
                after one warm-up generation and after everything, and at the end that it still
                serves the page and a generation, and stops on Ctrl-C with status 0

The model is `recur train charlm` with ``MODEL``'s flags, trained first into a temporary folder
(seconds). Client and server share the machine's cores, so the figures are the pair's.

    python bench/serve_load.py                                     # bench/results/serve_load.json
    python bench/serve_load.py --streams 4 --chars 40 --burst 3 --beyond 4 --out /tmp/serve_load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from recur.machine import machine_info
from recur.serve.limits import Limits
from results_file import write_results

RESULTS = Path(__file__).resolve().parent / "results" / "serve_load.json"
MODEL = ["--hidden", "64", "--layers", "1", "--max-steps", "50", "--seed", "0"]
JSON_TYPE = {"content-type": "application/json"}


def body(text: str | bytes) -> dict:
    return {"content": text.encode() if isinstance(text, str) else text, "headers": JSON_TYPE}


async def chunked(size: int):
    """A body sent without a Content-Length, 1 KB at a time."""
    for _ in range(size // 1024):
        yield b" " * 1024


# Each kind: (method, path, the request's keywords for the i-th of a burst, the status it must get).
WRONG_TYPES = ['{"length": "5"}', '{"length": true}', '{"temperature": "hot"}', '{"top_k": 2.5}', '{"seed": -1}',
               '{"prime": 5}', '{"length": null}', '{"temperature": [1]}', '{"length": 1e999}']
HUGE_FIELDS = ['{"prime": "' + "a" * 5_001 + '"}', '{"length": ' + "9" * 5_000 + "}", '{"seed": 18446744073709551616}',
               '{"top_k": 9223372036854775808}', '{"' + "x" * 5_000 + '": 1}']
MALFORMED = {
    "bad JSON": ("POST", "api/generate", lambda i: body('{"length": 5,'[:8 + i % 6]), 400),
    "deep JSON": ("POST", "api/generate", lambda i: body("[" * 30_000 + "]" * 30_000), 400),
    "not UTF-8": ("POST", "api/generate", lambda i: body(b'{"prime": "\xff\xfe"}'), 400),
    "not an object": ("POST", "api/generate", lambda i: body(["[1, 2]", '"text"', "7", "null"][i % 4]), 400),
    "wrong types": ("POST", "api/generate", lambda i: body(WRONG_TYPES[i % len(WRONG_TYPES)]), 400),
    "huge fields": ("POST", "api/generate", lambda i: body(HUGE_FIELDS[i % len(HUGE_FIELDS)]), 400),
    "unknown or doubled field": ("POST", "api/generate",
                                 lambda i: body(['{"lenght": 5}', '{"length": 5, "length": 6}'][i % 2]), 400),
    "NaN": ("POST", "api/generate", lambda i: body('{"temperature": NaN}'), 400),
    "unseen characters": ("POST", "api/generate",
                          lambda i: body(['{"prime": "\\u00e9t\\u00e9"}', '{"prime": "\\ud800"}'][i % 2]), 400),
    "wrong content type": ("POST", "api/generate",
                           lambda i: {"content": b'{"length": 5}',
                                      "headers": {"content-type": ["text/plain", "application/x-www-form-urlencoded",
                                                                   "multipart/form-data"][i % 3]}}, 415),
    "oversize body": ("POST", "api/generate", lambda i: body('{"prime": "' + "a" * 100_000 + '"}'), 413),
    "oversize body, no length": ("POST", "api/generate",
                                 lambda i: {"content": chunked(100 * 1024), "headers": JSON_TYPE}, 413),
    "cells, bad text": ("POST", "api/cells", lambda i: body(['{"text": "a"}', '{"text": "\\u0000\\u0000"}'][i % 2]),
                        400),
    "unknown path": ("POST", "api/nope", lambda i: body("{}"), 404),
    "wrong method": ("GET", "api/generate", lambda i: {}, 405),
    "foreign Host": ("GET", "", lambda i: {"headers": {"host": "evil.example"}}, 400),
}


def train_model(folder: Path) -> Path:
    out = folder / "model"
    subprocess.run([sys.executable, "-m", "recur.cli", "train", "charlm", "--out", str(out), *MODEL], check=True,
                   capture_output=True)
    return out


def start_server(model: Path, port: int, max_streams: int, log) -> tuple[subprocess.Popen, str]:
    """``recur serve`` in its own process (its log to ``log``), and its URL once it listens."""
    command = [sys.executable, "-m", "recur.cli", "serve", str(model), "--port", str(port),
               "--max-streams", str(max_streams)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    line = server.stdout.readline()
    if not line.startswith("recur serve: http://"):
        server.kill()
        raise SystemExit(f"recur serve did not start: {line!r}")
    return server, line.split()[2]


def memory(pid: int) -> dict:
    """The process's resident memory now and at its peak, in MB (``/proc``; psutil, now only, elsewhere)."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        kb = {name: int(fields[name].split()[0]) for name in ("VmRSS", "VmHWM")}
        return {"rss_mb": round(kb["VmRSS"] / 1024, 1), "peak_rss_mb": round(kb["VmHWM"] / 1024, 1)}
    import psutil
    return {"rss_mb": round(psutil.Process(pid).memory_info().rss / 2**20, 1), "peak_rss_mb": None}


def spread(values: list[float], digits: int = 4) -> dict:
    """p50, p99 (numpy's linear interpolation), min and max."""
    if not values:
        return {}
    p50, p99 = np.percentile(values, [50, 99])
    return {name: round(float(v), digits) for name, v in
            (("p50", p50), ("p99", p99), ("min", min(values)), ("max", max(values)))}


async def one_stream(client: httpx.AsyncClient, url: str, chars: int, seed: int) -> dict:
    """One streamed generation, timed from the moment it is sent."""
    sent, first, pieces = time.perf_counter(), None, []
    try:
        async with client.stream("POST", url + "api/generate", json={"length": chars, "seed": seed}) as response:
            async for chunk in response.aiter_text():
                if chunk and first is None:
                    first = time.perf_counter()
                pieces.append(chunk)
            status, kind, retry = response.status_code, response.headers.get("content-type", ""), \
                response.headers.get("retry-after")
    except httpx.HTTPError as err:
        return {"status": None, "error": type(err).__name__}
    end, text = time.perf_counter(), "".join(pieces)
    if status != 200:
        return {"status": status, "seconds": round(end - sent, 4), **refusal_of(text, kind, retry)}
    return {"status": 200, "chars": len(text), "first_char_s": round(first - sent, 4), "seconds": round(end - sent, 4),
            "chars_per_s": round(len(text) / (end - sent), 1),
            "chars_per_s_after_first": round((len(text) - 1) / (end - first), 1) if end > first else None}


def refusal_of(text: str, content_type: str, retry_after: str | None) -> dict:
    """Whether a refusal is JSON with an ``error`` message (and its Retry-After, when given)."""
    try:
        is_json = content_type.startswith("application/json") and isinstance(json.loads(text).get("error"), str)
    except (ValueError, AttributeError):
        is_json = False
    return {"json": is_json, **({"retry_after": retry_after} if retry_after is not None else {}),
            **({} if is_json else {"text": text[:80]})}


async def streams(url: str, count: int, chars: int, seed0: int = 0) -> tuple[list[dict], float]:
    """``count`` concurrent generations; each one's record, and the wall time of them all."""
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=None)) as client:
        started = time.perf_counter()
        records = await asyncio.gather(*(one_stream(client, url, chars, seed0 + i) for i in range(count)))
        return list(records), time.perf_counter() - started


def stream_summary(records: list[dict], wall: float, chars: int) -> dict:
    done = [r for r in records if r.get("status") == 200]
    return {"answered_200": len(done), "whole": sum(r["chars"] == chars for r in done),
            "statuses": counts(r.get("status") for r in records),
            "errors": counts(r["error"] for r in records if "error" in r),
            "first_char_s": spread([r["first_char_s"] for r in done]),
            "chars_per_s": spread([r["chars_per_s"] for r in done], 1),
            "chars_per_s_after_first": spread([r["chars_per_s_after_first"] for r in done
                                               if r["chars_per_s_after_first"] is not None], 1),
            "seconds": spread([r["seconds"] for r in done]), "wall_s": round(wall, 3),
            "total_chars_per_s": round(sum(r["chars"] for r in done) / wall, 1)}


def counts(items) -> dict:
    found = {}
    for item in items:
        found[str(item)] = found.get(str(item), 0) + 1
    return dict(sorted(found.items()))


async def malformed_burst(client: httpx.AsyncClient, url: str, kind: str, burst: int) -> dict:
    """``burst`` concurrent requests of one malformed kind: statuses, JSON refusals, connection errors."""
    method, path, ask, expected = MALFORMED[kind]

    async def send(i: int) -> dict:
        try:
            response = await client.request(method, url + path, **ask(i))
        except httpx.HTTPError as err:
            return {"status": None, "error": type(err).__name__}
        return {"status": response.status_code, **refusal_of(response.text, response.headers.get("content-type", ""),
                                                            None)}

    records = await asyncio.gather(*(send(i) for i in range(burst)))
    return {"expected": expected, "sent": burst, "statuses": counts(r["status"] for r in records),
            "as_expected": sum(r["status"] == expected for r in records), "json": sum(r.get("json", False) for r in records),
            "errors": counts(r["error"] for r in records if "error" in r),
            "not_json_example": next((r["text"] for r in records if "text" in r), None)}


async def malformed(url: str, burst: int) -> dict:
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=None)) as client:
        return {kind: await malformed_burst(client, url, kind, burst) for kind in MALFORMED}


async def beyond_the_limit(url: str, count: int, chars: int) -> dict:
    """``count`` concurrent generations, more than the server takes: 200s, 429s and how fast a 429 comes."""
    records, wall = await streams(url, count, chars, seed0=10_000)
    refused = [r for r in records if r.get("status") == 429]
    return {"sent": count, "chars": chars, "answered_200": sum(r.get("status") == 200 for r in records),
            "whole_200": sum(r.get("status") == 200 and r["chars"] == chars for r in records),
            "answered_429": len(refused), "statuses": counts(r.get("status") for r in records),
            "errors": counts(r["error"] for r in records if "error" in r),
            "429_json": sum(r["json"] for r in refused), "429_retry_after": counts(r.get("retry_after") for r in refused),
            "429_seconds": spread([r["seconds"] for r in refused]),
            "wall_s": round(wall, 3)}


async def still_serving(url: str) -> dict:
    async with httpx.AsyncClient(timeout=30) as client:
        page = await client.get(url)
        text = (await client.post(url + "api/generate", json={"length": 50, "seed": 1})).text
    return {"page": page.status_code, "generation_chars": len(text)}


def verdict(report: dict, tracebacks: int) -> dict:
    statuses = [report["streams"]["statuses"], report["beyond"]["statuses"],
                *(kind["statuses"] for kind in report["malformed"].values())]
    errors = [report["streams"]["errors"], report["beyond"]["errors"],
              *(kind["errors"] for kind in report["malformed"].values())]
    kinds = report["malformed"].values()
    return {"server_5xx": sum(n for s in statuses for code, n in s.items() if code.startswith("5")),
            "connection_errors": sum(sum(e.values()) for e in errors),
            "malformed_as_expected": all(k["as_expected"] == k["sent"] for k in kinds),
            "refusals_not_json": {name: k["sent"] - k["json"] for name, k in report["malformed"].items()
                                  if k["json"] < k["sent"]},
            "limit_refused_with_429": report["beyond"]["answered_429"] > 0
                                      and report["beyond"]["429_json"] == report["beyond"]["answered_429"],
            "server_tracebacks": tracebacks, "alive_at_end": report["end"]["alive"],
            "stopped_with_0": report["end"]["exit_status"] == 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=50, help="concurrent generations (default 50)")
    parser.add_argument("--chars", type=int, default=300, help="characters each asks (default 300)")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default 0: a free one)")
    parser.add_argument("--max-streams", type=int, default=Limits.streams,
                        help=f"the server's limit (default {Limits.streams}, recur serve's own)")
    parser.add_argument("--burst", type=int, default=40, help="concurrent requests of each malformed kind")
    parser.add_argument("--beyond", type=int, default=36, help="generations sent past the limit at once")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="recur-serve-load-") as scratch:
        model = train_model(Path(scratch))
        log_path = Path(scratch) / "server.log"
        with open(log_path, "w") as log:
            server, url = start_server(model, args.port, args.max_streams, log)
        try:
            warm = asyncio.run(streams(url, 1, args.chars, seed0=99))[0][0]
            before = memory(server.pid)
            records, wall = asyncio.run(streams(url, args.streams, args.chars))
            report = {"streams": stream_summary(records, wall, args.chars)}
            print(json.dumps(report["streams"]), flush=True)
            report["malformed"] = asyncio.run(malformed(url, args.burst))
            report["beyond"] = asyncio.run(beyond_the_limit(url, args.max_streams + args.beyond, Limits.length))
            print(json.dumps(report["beyond"]), flush=True)
            after = memory(server.pid)
            end = {"alive": server.poll() is None, **asyncio.run(still_serving(url))}
        finally:
            server.send_signal(signal.SIGINT)
            try:
                end_status = server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                end_status = "killed after 30 s"
        log_text = log_path.read_text(errors="replace")
    report["end"] = {**end, "exit_status": end_status}
    report["memory"] = {"after_warm_up": before, "after_load": after,
                        "growth_mb": round(after["rss_mb"] - before["rss_mb"], 1)}
    report["verdict"] = verdict(report, log_text.count("Traceback"))
    print(json.dumps({"memory": report["memory"], "end": report["end"], "verdict": report["verdict"]}), flush=True)
    write_results({"machine": machine_info(),
                   "command": shlex.join(["python", "bench/serve_load.py", *sys.argv[1:]]),
                   "settings": {"streams": args.streams, "chars": args.chars, "max_streams": args.max_streams,
                                "burst": args.burst, "beyond": args.beyond, "beyond_chars": Limits.length,
                                "model_flags": MODEL, "cores": os.cpu_count()},
                   "warm_up": warm, **report, "server_log_tail": log_text[-2000:],
                   "per_stream": records, "seconds": round(time.perf_counter() - started, 1)}, args.out)


if __name__ == "__main__":
    main()
