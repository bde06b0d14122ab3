"""One progress display for a run: GAN epochs (with the latest losses), then arms x seeds.

On a terminal it is one status line on stderr, rewritten in place; anywhere else (a log file,
CI, a pipe) it degrades to a few whole lines per stage (every quarter, or every 30 s, and the
end), each naming the stage, so logs show that the run moves and when it will end.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds + 0.5))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """Thread-safe: GAN fits on several threads advance the same stage."""

    def __init__(
        self,
        stream: TextIO | None = None,
        tty: bool | None = None,
        every_s: float = 30.0,
        marks: int = 4,
    ) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every_s, self.marks = every_s, marks
        self._lock = threading.Lock()
        self.name, self.unit, self.total, self.done = "", "", 0, 0

    def start(self, name: str, total: int, unit: str, since: float | None = None) -> None:
        """A new stage of ``total`` items; ``since``: the `time.monotonic()` at which its work
        began, when that was before the display (ETA and "took" count from it)."""
        with self._lock:
            self.name, self.total, self.unit, self.done = name, int(total), unit, 0
            self._last = time.monotonic()
            self._t0 = self._last if since is None else min(since, self._last)
            self._next_mark = 1

    def advance(self, n: int = 1, detail: str = "") -> None:
        with self._lock:
            if self.total <= 0:
                return
            self.done = min(self.total, self.done + n)
            now = time.monotonic()
            line = self._line(now, detail)
            if self.tty:
                end = "\n" if self.done == self.total else ""
                self.stream.write(f"\r\x1b[2K{line}{end}")
            else:
                crossed = self.done * self.marks >= self._next_mark * self.total
                if self.done == self.total or crossed or now - self._last >= self.every_s:
                    self.stream.write(f"augment: {line}\n")
                    self._last = now
                    while self._next_mark * self.total <= self.done * self.marks:
                        self._next_mark += 1
            self.stream.flush()

    def _line(self, now: float, detail: str) -> str:
        elapsed = now - self._t0
        pct = 100 * self.done / self.total
        text = f"{self.name}: {self.done}/{self.total} {self.unit} ({pct:.0f}%)"
        if detail:
            text += f", {detail}"
        if self.done < self.total and self.done * 10 >= self.total:  # not from the first item
            text += f", ETA {_clock(elapsed * (self.total - self.done) / self.done)}"
        elif self.done == self.total:
            text += f", took {_clock(elapsed)}"
        return text


class _Silent(Progress):
    def start(self, name: str, total: int, unit: str, since: float | None = None) -> None:
        pass

    def advance(self, n: int = 1, detail: str = "") -> None:
        pass


SILENT: Progress = _Silent()


def display(enabled: bool) -> Progress:
    """The run's progress display (stderr), or one that shows nothing. A function, so a served
    flow, which is pickled with what it references, holds no lock."""
    return Progress() if enabled else SILENT
