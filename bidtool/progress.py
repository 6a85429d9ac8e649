"""A progress bar on a terminal for long file operations (bidtool); silent elsewhere."""
from __future__ import annotations

import sys
import time
from typing import TextIO

THRESHOLD = 4 << 20   # files over a few MB get a bar


class ProgressBar:
    """Callable taking the number of bytes done so far. Draws on stderr only if it is a TTY."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None):
        self.total, self.label = max(total, 1), label
        self.stream = stream or sys.stderr
        self.enabled = total >= THRESHOLD and self.stream.isatty()
        self._last = 0.0
        self._start = time.monotonic()

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1 and done < self.total:
            return
        self._last = now
        frac = min(done / self.total, 1.0)
        width = 30
        fill = int(frac * width)
        rate = done / max(now - self._start, 1e-6) / (1 << 20)
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {frac:6.1%} {rate:7.1f} MiB/s")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self(self.total)
            self.stream.write("\n")
            self.stream.flush()
