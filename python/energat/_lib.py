# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""ctypes binding of libenergat (include/energat/energat.h). Internal."""

import ctypes
import ctypes.util
import os
from pathlib import Path

MAX_SOCKETS = 8  # ENERGAT_RESULT_MAX_SOCKETS


class EnergatError(OSError):
    """A libenergat call failed: errno is the library's, the message its own."""


class Options(ctypes.Structure):
    """struct energat_options"""

    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("pid", ctypes.c_int),
        ("no_baseline", ctypes.c_int),
        ("basefile", ctypes.c_char_p),
        ("output_dir", ctypes.c_char_p),
        ("name", ctypes.c_char_p),
        ("csv_path", ctypes.c_char_p),
        ("threads_csv", ctypes.c_int),
        ("verbose", ctypes.c_int),
        ("interval", ctypes.c_double),
        ("duration", ctypes.c_double),
        ("gamma", ctypes.c_double),
        ("delta", ctypes.c_double),
        ("mem_samples", ctypes.c_int),
        ("pad", ctypes.c_int),
        ("meter", ctypes.c_char_p),
        ("sysfs_root", ctypes.c_char_p),
        ("procfs_root", ctypes.c_char_p),
        ("model_pkg_idle_w", ctypes.c_double),
        ("model_pkg_max_w", ctypes.c_double),
        ("model_dram_idle_w", ctypes.c_double),
        ("model_dram_max_w", ctypes.c_double),
    ]


class Socket(ctypes.Structure):
    """struct energat_socket"""

    _fields_ = [
        (name, ctypes.c_double)
        for name in (
            "total_pkg_j",
            "total_dram_j",
            "base_pkg_j",
            "base_dram_j",
            "dyn_pkg_j",
            "dyn_dram_j",
            "ascribed_pkg_j",
            "ascribed_dram_j",
            "tracer_pkg_j",
            "tracer_dram_j",
            "pkg_credit_frac",
            "dram_credit_frac",
            "target_cpu_sec",
            "tracer_cpu_sec",
            "host_busy_sec",
            "cpu_percent",
            "mem_percent",
        )
    ] + [("has_dram", ctypes.c_int), ("pad", ctypes.c_int)]


class Result(ctypes.Structure):
    """struct energat_result"""

    _fields_ = [
        ("sz", ctypes.c_size_t),
        ("seq", ctypes.c_ulonglong),
        ("time", ctypes.c_double),
        ("duration_sec", ctypes.c_double),
        ("nr_sockets", ctypes.c_int),
        ("num_proc", ctypes.c_int),
        ("num_threads", ctypes.c_int),
        ("estimated", ctypes.c_int),
        ("meter", ctypes.c_char * 16),
        ("rb_drops", ctypes.c_ulonglong),
        ("map_full", ctypes.c_ulonglong),
        ("targets_full", ctypes.c_ulonglong),
        ("socket", Socket * MAX_SOCKETS),
    ]


def _candidates():
    env = os.environ.get("ENERGAT_LIB")
    if env:
        yield env
        return
    # A source checkout: python/energat/_lib.py -> <repo>/build/libenergat.so
    repo_build = Path(__file__).resolve().parents[2] / "build" / "libenergat.so"
    if repo_build.exists():
        yield str(repo_build)
    found = ctypes.util.find_library("energat")
    if found:
        yield found
    yield "libenergat.so.0"


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(str(e))
            continue
        _prototypes(lib)
        return lib
    raise EnergatError(
        2,
        "cannot load libenergat.so (build it with 'make', install it with "
        "'make install', or point ENERGAT_LIB at it): " + "; ".join(errors),
    )


def _prototypes(lib):
    handle = ctypes.c_void_p
    lib.energat_open.argtypes = [ctypes.POINTER(Options), ctypes.POINTER(handle)]
    lib.energat_open.restype = ctypes.c_int
    for name in ("energat_start", "energat_stop", "energat_running"):
        getattr(lib, name).argtypes = [handle]
        getattr(lib, name).restype = ctypes.c_int
    for name in ("energat_latest", "energat_totals"):
        getattr(lib, name).argtypes = [handle, ctypes.POINTER(Result)]
        getattr(lib, name).restype = ctypes.c_int
    lib.energat_wait.argtypes = [handle, ctypes.c_ulonglong, ctypes.c_int]
    lib.energat_wait.restype = ctypes.c_longlong
    lib.energat_end_reason.argtypes = [handle]
    lib.energat_end_reason.restype = ctypes.c_char_p
    lib.energat_close.argtypes = [handle]
    lib.energat_close.restype = None
    lib.energat_errmsg.argtypes = []
    lib.energat_errmsg.restype = ctypes.c_char_p
    lib.energat_version.argtypes = []
    lib.energat_version.restype = ctypes.c_char_p


_lib = None


def lib():
    """The loaded library (loaded on first use, so importing never fails)."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def check(ret):
    """Raise EnergatError for a negative return, with the library's message."""
    if ret < 0:
        msg = lib().energat_errmsg().decode(errors="replace") or os.strerror(-ret)
        raise EnergatError(-ret, msg)
    return ret
