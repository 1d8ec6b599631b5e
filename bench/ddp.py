"""Data-parallel training on this machine: chars/s of ``recur train charlm`` on one process with two
threads against two processes with one thread each (DDP, gloo), and against two "hosts" — two
network namespaces of this machine joined by a veth pair — each running ``torchrun --nnodes 2``, so
the multi-machine path (rendezvous over an address, gloo over a named interface) runs end to end.

Rows, interleaved and rotated in every round so that the drift of a shared machine hits each alike:

    1 process x 2 threads     recur train charlm ... --threads 2
    2 processes x 1 thread    recur train charlm ... --threads 1 --nproc 2
    2 hosts x 1 process       in each namespace: torchrun --nnodes 2 --node-rank K --nproc-per-node 1
                              --master-addr 10.77.0.1 --master-port 29500 -m recur train charlm ... --threads 1

Every row trains the README's main job (2x256 LSTM, embedding 64, batch 32, sequence 64, Tiny
Shakespeare, seed 1234) for ``--steps`` steps, validating once, at the end. chars/s is the global
chars trained (steps x 32 x 64) over the trainer's training seconds (``run.json``'s
``elapsed_total``: evaluation, start-up and the launcher excluded); each row's wall seconds are kept
beside it. The ratios are medians of the per-round ratios. The same global batch and seed must give
the same weights on 2 processes and on 2 hosts; one process differs only by float32 summation order
(its max abs difference is reported, not asserted). The namespaces need root and ``ip``; without
them, or if creating them fails, the hosts row is skipped and the reason recorded.

    python bench/ddp.py                              # bench/results/ddp.json
    python bench/ddp.py --steps 10 --rounds 1 --hidden 32 --out /tmp/ddp.json   # does it run?
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from recur.machine import machine_info
from recur.train import checkpoint
from recur.train.run_log import read_sessions
from results_file import write_results
from row_runner import recur_command

OUT = Path(__file__).resolve().parent / "results" / "ddp.json"
BATCH, SEQ_LEN, SEED = 32, 64, 1234
MODEL = ["--cell", "lstm", "--layers", "2", "--embedding", "64", "--batch-size", str(BATCH), "--seq-len", str(SEQ_LEN),
         "--seed", str(SEED)]
ONE, PROCESSES, HOSTS = "1 process x 2 threads", "2 processes x 1 thread", "2 hosts x 1 process"
MASTER_PORT = 29500  # inside the first namespace: nothing else listens there
ROW_LIMIT_S = 900  # a row that has not ended by then (a rendezvous that never meets) is stopped
EXIT_GRACE_S = 60  # a rank alive this long after rank 0 closed the run is hung in its exit


@dataclass(frozen=True)
class Host:
    netns: str
    ifname: str
    addr: str


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def join(hosts: list[Host], made: list[str]) -> None:
    """The namespaces (each appended to ``made`` once it exists), the veth pair between them, addresses, links up."""
    for host in hosts:
        ip("netns", "add", host.netns)
        made.append(host.netns)
    first, second = hosts
    ip("link", "add", first.ifname, "netns", first.netns, "type", "veth", "peer", "name", second.ifname,
       "netns", second.netns)
    for host in hosts:
        ip("-n", host.netns, "addr", "add", f"{host.addr}/24", "dev", host.ifname)
        ip("-n", host.netns, "link", "set", "lo", "up")
        ip("-n", host.netns, "link", "set", host.ifname, "up")


@contextlib.contextmanager
def two_hosts():
    """Two network namespaces, each with lo up and one end of a veth pair (10.77.0.1/24, 10.77.0.2/24):
    the only link between them. Yields ``(hosts, None)``, or ``(None, why)`` where they cannot be made;
    removes whatever it made on the way out, also on Ctrl-C."""
    hosts = [Host(f"recur-ddp-{os.getpid()}-{k}", f"rddp{os.getpid()}{k}", f"10.77.0.{k + 1}") for k in range(2)]
    made, why = [], None
    try:
        if os.geteuid() != 0 or shutil.which("ip") is None:
            why = "network namespaces need root and iproute2's ip" + ("" if os.geteuid() == 0 else " (not root)")
        else:
            try:
                join(hosts, made)
            except subprocess.CalledProcessError as err:
                why = f"{' '.join(err.cmd)}: {err.stderr.strip()}"
        yield (None, why) if why else (hosts, None)
    finally:
        if len(made) == 2:  # deleting one end of a veth pair deletes both
            subprocess.run(["ip", "-n", made[0], "link", "del", hosts[0].ifname], capture_output=True)
        for netns in made:
            subprocess.run(["ip", "netns", "del", netns], capture_output=True)


def train_flags(out: Path, steps: int, hidden: int, threads: int) -> list[str]:
    return ["train", "charlm", "--out", str(out), "--max-steps", str(steps), "--eval-every", str(steps),
            "--threads", str(threads), "--hidden", str(hidden), *MODEL]


def row_commands(name: str, out: Path, steps: int, hidden: int, hosts: list[Host] | None) -> list[tuple[list, dict]]:
    """The processes of one row (started together), each with its environment."""
    if name == ONE:
        return [([*recur_command(), *train_flags(out, steps, hidden, 2)], {**os.environ, "OMP_NUM_THREADS": "2"})]
    if name == PROCESSES:
        return [([*recur_command(), *train_flags(out, steps, hidden, 1), "--nproc", "2"],
                 {**os.environ, "OMP_NUM_THREADS": "1"})]
    outs = [out, out.with_name(f"{out.name}-host1")]  # each host its own --out: no shared file system is needed
    return [(["ip", "netns", "exec", host.netns, sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
              "--node-rank", str(k), "--nproc-per-node", "1", "--master-addr", hosts[0].addr,
              "--master-port", str(MASTER_PORT), "-m", "recur", *train_flags(outs[k], steps, hidden, 1)],
             {**os.environ, "OMP_NUM_THREADS": "1", "GLOO_SOCKET_IFNAME": host.ifname})
            for k, host in enumerate(hosts)]


def shown(commands: list[tuple[list, dict]], tmp: str) -> list[str]:
    """A row's command lines as one would type them: ``recur``, ``torchrun``, run folders relative."""
    names = {f"{sys.executable} -m recur.cli": "recur", f"{sys.executable} -m torch.distributed.run": "torchrun",
             f"{tmp}/": ""}
    lines = []
    for argv, env in commands:
        line = " ".join(argv)
        for long, short in names.items():
            line = line.replace(long, short)
        lines.append(" ".join(f"{k}={env[k]}" for k in ("OMP_NUM_THREADS", "GLOO_SOCKET_IFNAME") if k in env)
                     + " " + line)
    return lines


def ended(out: Path) -> bool:
    """Rank 0 has closed its session in ``run.json``: the run's weights and records are all written."""
    sessions = read_sessions(out)
    return bool(sessions) and "ended" in sessions[-1]


def stop(jobs: list[subprocess.Popen]) -> None:
    """SIGTERM to each job's process group (torchrun and its ranks), SIGKILL to any alive 30 s later."""
    for job in jobs:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.pid, signal.SIGTERM)
    for job in jobs:
        try:
            job.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(job.pid, signal.SIGKILL)
            job.wait()


def run_together(commands: list[tuple[list, dict]], out: Path) -> dict:
    """Start every command at once (each in a process group of its own) and wait for all: their wall
    seconds. A failure (or Ctrl-C) stops the others, so that no rank waits for a peer that is gone. A
    rank still alive ``EXIT_GRACE_S`` after rank 0 closed the run is stopped and the row marked
    ``hung_at_exit`` (its wall seconds end where the run ended): what it trained is all on disk."""
    started, jobs, seen_ended = time.perf_counter(), [], None
    log = out.with_suffix(".log")
    with open(log, "w") as sink:
        try:
            for argv, env in commands:
                jobs.append(subprocess.Popen(argv, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                             start_new_session=True))
            while any(job.poll() is None for job in jobs) and not any(job.poll() for job in jobs):
                now = time.perf_counter()
                seen_ended = seen_ended or (now if ended(out) else None)
                if now - started > ROW_LIMIT_S or (seen_ended and now - seen_ended > EXIT_GRACE_S):
                    break
                time.sleep(0.2)
        finally:
            hung = [job.pid for job in jobs if job.poll() is None]
            stop(jobs)
    wall = time.perf_counter() - started
    if hung and seen_ended:
        return {"wall_seconds": seen_ended - started, "hung_at_exit": True}
    if any(job.returncode for job in jobs):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise SystemExit(f"a row failed (exit codes {[job.returncode for job in jobs]}); the end of {log}:\n{tail}")
    return {"wall_seconds": wall, "hung_at_exit": False}


def speed(out: Path) -> dict:
    """Global chars trained over training seconds, from the trainer's own ``run.json``."""
    session = read_sessions(out)[-1]
    return {"steps": session["to_step"], "train_seconds": session["elapsed_total"],
            "chars_per_s": session["to_step"] * BATCH * SEQ_LEN / session["elapsed_total"]}


def max_abs_difference(a: Path, b: Path) -> float:
    """The largest |a - b| over every weight of two runs' ``last/model.safetensors``."""
    wa, wb = (checkpoint.read_tensors(checkpoint.resolve(out / "last"), "model") for out in (a, b))
    return max(float((wa[k] - wb[k]).abs().max()) for k in wa)


def measure(steps: int, rounds: int, hidden: int, hosts: list[Host] | None, tmp: str) -> list[dict]:
    """Every row in every round, rotated so that each comes first in some round."""
    names = [ONE, PROCESSES] + ([HOSTS] if hosts else [])
    runs = []
    for round_ in range(1, rounds + 1):
        shift = (round_ - 1) % len(names)
        for name in names[shift:] + names[:shift]:
            out = Path(tmp) / f"r{round_}-{names.index(name)}"
            print(f"[round {round_}/{rounds}] {name}: {steps} steps ...", file=sys.stderr, flush=True)
            commands = row_commands(name, out, steps, hidden, hosts)
            runs.append({"row": name, "round": round_, "commands": shown(commands, tmp),
                         **run_together(commands, out), **speed(out), "out": out})
            if name == HOSTS:  # what the second host wrote: nothing is shared but the network
                host1 = out.with_name(f"{out.name}-host1")
                runs[-1]["files_on_host1"] = sorted(str(f.relative_to(host1)) for f in host1.rglob("*")) \
                    if host1.exists() else []
    return runs


def compare(runs: list[dict]) -> float:
    """Each run against the others of its round: chars/s against one process, the weights against one
    process and two processes. Returns the weights' difference between one process's first and last
    rounds (is one process repeatable?)."""
    for r in runs:
        mates = {x["row"]: x for x in runs if x["round"] == r["round"]}
        r["vs_one_process"] = r["chars_per_s"] / mates[ONE]["chars_per_s"]
        r["max_abs_weight_difference"] = {f"vs {n}": max_abs_difference(r["out"], mates[n]["out"])
                                          for n in (ONE, PROCESSES) if n != r["row"]}
    ones = [r["out"] for r in runs if r["row"] == ONE]
    return max_abs_difference(ones[0], ones[-1])


def largest(runs: list[dict], row: str, against: str) -> float | None:
    return max((r["max_abs_weight_difference"][f"vs {against}"] for r in runs if r["row"] == row), default=None)


def summarize(runs: list[dict], repeat: float, skipped: str | None) -> dict:
    """Medians over the rounds, the ratios and the largest weight differences."""
    names = [n for n in (ONE, PROCESSES, HOSTS) if any(r["row"] == n for r in runs)]
    summary = {n: {"chars_per_s": statistics.median(r["chars_per_s"] for r in runs if r["row"] == n),
                   "vs_one_process": statistics.median(r["vs_one_process"] for r in runs if r["row"] == n)}
               for n in names}
    return {"hosts_skipped": skipped,
            "ratio_chars_per_s": {f"{n} / {ONE}": summary[n]["vs_one_process"] for n in (PROCESSES, HOSTS)
                                  if n in summary},
            "max_abs_weight_difference": {f"{HOSTS} vs {PROCESSES}": largest(runs, HOSTS, PROCESSES),
                                          f"{PROCESSES} vs {ONE}": largest(runs, PROCESSES, ONE),
                                          f"{ONE}: first vs last round": repeat},
            "hung_at_exit": [f"{r['row']}, round {r['round']}" for r in runs if r["hung_at_exit"]],
            "summary": summary}


def print_table(report: dict) -> None:
    print(f"\n{'row':<26}{'round':>6}{'chars/s':>10}{'vs 1 proc':>11}{'train s':>9}{'wall s':>8}")
    for r in report["runs"]:
        print(f"{r['row']:<26}{r['round']:>6}{r['chars_per_s']:>10,.0f}{r['vs_one_process']:>11.3f}"
              f"{r['train_seconds']:>9.1f}{r['wall_seconds']:>8.1f}{'  hung at exit' if r['hung_at_exit'] else ''}")
    for key, value in {**report["ratio_chars_per_s"], **report["max_abs_weight_difference"]}.items():
        print(f"{key}: {'-' if value is None else f'{value:.4g}'}")
    if report["hosts_skipped"]:
        print(f"{HOSTS}: skipped ({report['hosts_skipped']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300, help="training steps per row")
    parser.add_argument("--rounds", type=int, default=2, help="times every row runs, interleaved")
    parser.add_argument("--hidden", type=int, default=256, help="LSTM units per layer (256: the README's main job)")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON results")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # a kill runs the finally blocks: the namespaces go

    began, load = time.perf_counter(), os.getloadavg()[0]
    with two_hosts() as (hosts, skipped), tempfile.TemporaryDirectory(prefix="recur-ddp-") as tmp:
        runs = measure(args.steps, args.rounds, args.hidden, hosts, tmp)
        repeat = compare(runs)
        for r in runs:
            r["out"] = r["out"].name  # the run folders go with tmp
    report = {
        "benchmark": "ddp: charlm chars/s on 1 process x 2 threads, 2 processes x 1 thread, 2 hosts (netns) x 1",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": machine_info(),
        "settings": {"steps": args.steps, "rounds": args.rounds, "hidden": args.hidden, "flags": MODEL,
                     "chars_per_step": BATCH * SEQ_LEN,
                     "chars_per_s": "steps x batch x seq-len / run.json's elapsed_total (training seconds, the "
                                    "largest over the ranks; evaluation and start-up excluded)"},
        "load_average_1min": {"start": load, "end": os.getloadavg()[0]},
        "bench_seconds": time.perf_counter() - began,
        **summarize(runs, repeat, skipped), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_results(report, args.out)
    print_table(report)
    print(f"{report['bench_seconds']:.0f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
