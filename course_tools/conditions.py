"""The conditions a benchmark ran under: the machine, its float32 peak, and who else used the CPU.

A timing taken while other jobs share the cores says more about the machine's load than about the
notebook (issue 27 measured 09's style transfer at 27 times its quiet figure on a busy machine). The
benchmark therefore records, for every run:

- the machine (:func:`machine_info`: cores, memory, CPU model, BLAS library and kernel);
- ``matmul_peak_gflops`` (:func:`matmul_peak_gflops`): float32 matrix multiply in NumPy on all
  cores, measured in the same run, the yardstick for how fast a training could go;
- the load average before and after, and ``other_cpu_s``: the CPU seconds the whole machine spent
  (``/proc/stat``) minus those of the benchmark itself and the processes it waited for (its
  notebook runner and kernel). A run is ``contended`` when the others used more than
  :data:`CONTENDED_CORES` cores on average over its wall time.

Only Linux has ``/proc/stat``; elsewhere ``other_cpu_s`` is ``None`` and nothing is flagged.
"""

from __future__ import annotations

import os
import platform
import resource
import time
from pathlib import Path

__all__ = [
    "CONTENDED_CORES",
    "CONTENDED_MIN_CPU_S",
    "RunMeter",
    "busy_cores_now",
    "machine_info",
    "matmul_peak_gflops",
]

#: A run is flagged ``contended`` when other processes used more than this many cores on average
#: over its wall time and more than :data:`CONTENDED_MIN_CPU_S` CPU seconds in all. (The operating
#: system's own work for a run, such as reclaiming a notebook's freed gigabyte, counts as "other":
#: measured at 0.7-2.3 s on a 23 s fast-mode run of notebook 01 on an idle 2-core machine.)
CONTENDED_CORES = 0.1
CONTENDED_MIN_CPU_S = 5.0

_STAT = Path("/proc/stat")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def _blas() -> str:
    try:
        import numpy  # noqa: F401  (threadpoolctl sees only the libraries already loaded)
        from threadpoolctl import threadpool_info

        blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        if blas:
            i = blas[0]
            return (
                f"{i.get('internal_api')} {i.get('version')}, {i.get('architecture')} kernel, "
                f"{i.get('num_threads')} threads"
            )
    except Exception:  # threadpoolctl is optional; the record then just says less
        pass
    return "unknown"


def machine_info() -> dict:
    """The machine: ``{cores, memory_gb, cpu, blas, python, system}``."""
    return {
        "cores": os.cpu_count(),
        "memory_gb": _memory_gb(),
        "cpu": _cpu_model(),
        "blas": _blas(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
    }


def matmul_peak_gflops(n: int = 1024, seconds: float = 1.0) -> float:
    """float32 GFLOP/s of NumPy's ``(n, n) @ (n, n)`` on all cores: the best of repeated runs.

    Each product counts ``2 n^3`` floating-point operations. The loop runs for about ``seconds``
    (at least 3 products) and keeps the fastest, so a short disturbance lowers nothing.
    """
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    a @ b  # warm-up: threads started, pages touched
    best, start, runs = float("inf"), time.perf_counter(), 0
    while runs < 3 or time.perf_counter() - start < seconds:
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
        runs += 1
    return round(2 * n**3 / best / 1e9, 1)


def _busy_seconds() -> float | None:
    """CPU seconds all cores have spent busy since boot (user, nice, system, irq, softirq, steal)."""
    try:
        fields = _STAT.read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _own_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def busy_cores_now(sample_s: float = 2.0) -> float | None:
    """How many cores other processes keep busy right now (averaged over ``sample_s``)."""
    busy, own = _busy_seconds(), _own_seconds()
    if busy is None:
        return None
    time.sleep(sample_s)
    return max(0.0, (_busy_seconds() - busy) - (_own_seconds() - own)) / sample_s


class RunMeter:
    """Measure one run: ``meter = RunMeter(); ...run, wait for it...; meter.finish(wall_s)``.

    ``finish`` returns ``{load_before, load_after, cpu_s, other_cpu_s, other_cores, contended}``:
    ``cpu_s`` is the CPU time of this process and the children waited for during the run,
    ``other_cpu_s`` the rest of the machine's busy time, ``other_cores`` that divided by the wall time.
    """

    def __init__(self) -> None:
        self.load_before = round(os.getloadavg()[0], 2)
        self.busy, self.own = _busy_seconds(), _own_seconds()

    def finish(self, wall_s: float) -> dict:
        busy, own = _busy_seconds(), _own_seconds()
        cpu_s = own - self.own
        record = {
            "load_before": self.load_before,
            "load_after": round(os.getloadavg()[0], 2),
            "cpu_s": round(cpu_s, 1),
            "other_cpu_s": None,
            "other_cores": None,
            "contended": False,
        }
        if busy is not None and self.busy is not None and wall_s > 0:
            other = max(0.0, (busy - self.busy) - cpu_s)
            record["other_cpu_s"] = round(other, 1)
            record["other_cores"] = round(other / wall_s, 3)
            record["contended"] = other / wall_s > CONTENDED_CORES and other > CONTENDED_MIN_CPU_S
        return record
