# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""EnergyTracer: the EnergAt prototype's Python API over libenergat.

    from energat.tracer import EnergyTracer

    with EnergyTracer(os.getpid(), output="xyz_energy"):
        work()

writes xyz_energy.csv (the prototype's columns, one row per socket per
interval) while work() runs. The tracing itself happens in a helper process
started by libenergat, with eBPF, so it needs root (or CAP_BPF and
CAP_PERFMON). Errors raise EnergatError (an OSError) carrying the library's
message, e.g. when there is no baseline power file.

Settings not given as arguments come from the environment, like the
prototype's global flags: ENERGAT_BASEFILE, ENERGAT_NO_BASELINE=1,
ENERGAT_INTERVAL, ENERGAT_METER, ENERGAT_SYSFS_ROOT, ENERGAT_PROCFS_ROOT.
"""

import ctypes
import os
import time
import warnings

from energat import _lib
from energat._lib import EnergatError

__all__ = ["EnergyTracer", "EnergatError"]

_SOCKET_FIELDS = [name for name, _ in _lib.Socket._fields_ if name != "pad"]


def _env(name, convert=str):
    v = os.environ.get(name)
    if v is None or v == "":
        return None
    try:
        return convert(v)
    except ValueError:
        raise EnergatError(22, f"invalid {name}={v!r}") from None


def _flag(v):
    return v.strip().lower() in ("1", "true", "yes", "on")


def _bytes(s):
    return None if s is None else os.fsencode(s)


def _result(r):
    """A plain dict of one struct energat_result (sockets as a list of dicts)."""
    return {
        "seq": r.seq,
        "time": r.time,
        "duration_sec": r.duration_sec,
        "nr_sockets": r.nr_sockets,
        "num_proc": r.num_proc,
        "num_threads": r.num_threads,
        "meter": r.meter.decode(errors="replace"),
        "estimated": bool(r.estimated),
        "rb_drops": r.rb_drops,
        "sockets": [
            {f: getattr(r.socket[s], f) for f in _SOCKET_FIELDS}
            for s in range(r.nr_sockets)
        ],
    }


class EnergyTracer(object):
    """Trace the energy of process target_pid (its threads and descendants).

    output="NAME" writes NAME.csv; without it the file is
    OUTPUT_DIR/energat_traces_PROJECT.csv (output_dir default
    ./energat-results, project default the start time), as in the prototype.
    attach is accepted for compatibility (the baseline file is always read,
    unless no_baseline=True).
    """

    def __init__(
        self,
        target_pid: int,
        attach=False,
        project: str = None,
        output: str = None,
        *,
        output_dir: str = None,
        threads: bool = False,
        basefile: str = None,
        no_baseline: bool = None,
        interval: float = None,
        duration: float = None,
        gamma: float = None,
        delta: float = None,
        meter: str = None,
        sysfs_root: str = None,
        procfs_root: str = None,
        mem_samples: int = None,
        verbose: bool = False,
    ):
        del attach  # the prototype's switch for reading the baseline: always read here
        if no_baseline is None:
            no_baseline = _env("ENERGAT_NO_BASELINE", _flag) or False
        if output is not None:
            self.trace_file = f"{output}.csv"
        else:
            output_dir = output_dir or "./energat-results"
            project = project if project else str(round(time.time()))
            self.trace_file = os.path.join(output_dir, f"energat_traces_{project}.csv")
        # Keep the encoded strings alive as long as the options refer to them.
        self._strings = {
            "basefile": _bytes(basefile or _env("ENERGAT_BASEFILE")),
            "csv_path": _bytes(self.trace_file if output is not None else None),
            "output_dir": _bytes(output_dir if output is None else None),
            "name": _bytes(project if output is None else None),
            "meter": _bytes(meter or _env("ENERGAT_METER")),
            "sysfs_root": _bytes(sysfs_root or _env("ENERGAT_SYSFS_ROOT")),
            "procfs_root": _bytes(procfs_root or _env("ENERGAT_PROCFS_ROOT")),
        }
        o = _lib.Options()
        o.sz = ctypes.sizeof(o)
        o.pid = int(target_pid)
        o.no_baseline = int(bool(no_baseline))
        o.threads_csv = int(bool(threads))
        o.verbose = int(bool(verbose))
        o.interval = interval if interval is not None else (_env("ENERGAT_INTERVAL", float) or 0)
        o.duration = duration or 0
        o.gamma = gamma or 0
        o.delta = delta or 0
        o.mem_samples = mem_samples or 0
        for k, v in self._strings.items():
            setattr(o, k, v)
        self._opts = o
        self._handle = ctypes.c_void_p()
        self.target_pid = o.pid
        lib = _lib.lib()
        _lib.check(lib.energat_open(ctypes.byref(o), ctypes.byref(self._handle)))
        self._started = False

    # The prototype's names.
    def launch(self):
        """Start tracing; returns once the BPF programs run."""
        if self._started:
            raise EnergatError(114, "already started")
        _lib.check(_lib.lib().energat_start(self._handle))
        self._started = True
        return self

    start = launch

    def stop(self):
        """Stop: the last interval is booked and the CSV file completed."""
        if self._handle:
            _lib.check(_lib.lib().energat_stop(self._handle))

    def running(self):
        return bool(self._handle) and bool(_lib.lib().energat_running(self._handle))

    def end_reason(self):
        r = _lib.lib().energat_end_reason(self._handle) if self._handle else None
        return r.decode(errors="replace") if r else None

    def wait(self, after_seq=0, timeout=None):
        """Wait for an interval after after_seq; its number, or 0 once tracing ended."""
        ms = -1 if timeout is None else int(timeout * 1000)
        return _lib.check(_lib.lib().energat_wait(self._handle, after_seq, ms))

    def _read(self, fn):
        if not self._handle:
            raise EnergatError(9, "the tracer is closed")
        r = _lib.Result()
        r.sz = ctypes.sizeof(r)
        ret = fn(self._handle, ctypes.byref(r))
        if ret == -11:  # EAGAIN: no interval yet
            return None
        _lib.check(ret)
        return _result(r)

    def latest(self):
        """The latest interval as a dict (None before the first one)."""
        return self._read(_lib.lib().energat_latest)

    def totals(self):
        """Sums since the start as a dict (None before the first interval)."""
        return self._read(_lib.lib().energat_totals)

    def close(self):
        if self._handle:
            _lib.lib().energat_close(self._handle)
            self._handle = ctypes.c_void_p()

    def __enter__(self):
        self.launch()
        return self

    def __exit__(self, exc_type, exc, tb):
        # Stopped, not closed: latest() and totals() still answer after the block.
        try:
            self.stop()
        except EnergatError as e:
            if exc_type is None:
                raise
            # Do not hide the exception that is already on its way out.
            warnings.warn(f"energat: {e.strerror}")
        return False

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
