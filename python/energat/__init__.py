# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""energat: per-process energy attribution with eBPF (the EnergAt model).

Pure Python over libenergat.so (ctypes): put this directory's parent on
sys.path (PYTHONPATH=.../python), no pip install needed. The library is
looked up in $ENERGAT_LIB, then next to a source checkout (build/), then on
the system's library path.

    from energat.tracer import EnergyTracer

    with EnergyTracer(os.getpid(), output="xyz_energy"):
        work()
"""

from energat._lib import EnergatError
from energat.tracer import EnergyTracer


def version():
    """The version of the libenergat actually loaded."""
    from energat import _lib

    return _lib.lib().energat_version().decode()


__all__ = ["EnergyTracer", "EnergatError", "version"]
