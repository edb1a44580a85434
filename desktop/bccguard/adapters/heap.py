"""Keep message-sized buffers out of the C heap, so they go back to the system.

glibc serves a large allocation with its own mmap and unmaps it when freed, but
after the first such free it raises that threshold to the freed size: from then
on each 10 MB message is carved out of a heap arena and stays there once freed.
The proxy hands messages to several worker threads, each with its own arena, so
the process grows by a message per thread. A fixed threshold keeps the proxy's
peak memory near two messages (measured by tests/benchmarks/bench_proxy.py).
"""

from __future__ import annotations

import ctypes
import logging
import sys
from functools import cache

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
# Allocations from this size up get their own mapping: far above the small
# objects Python makes, far below a message.
MMAP_THRESHOLD = 1 << 20


@cache
def return_large_buffers_to_the_system() -> bool:
    """Fix glibc's mmap threshold, once; True when it took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the process runs on
    except (OSError, AttributeError):  # musl has no mallopt
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = int(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) == 1
    if not done:
        log.debug("mallopt(M_MMAP_THRESHOLD) refused")
    return done
