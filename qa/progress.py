"""The command line's progress bar (tqdm, imported on first use)."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """A tqdm bar created on first use (so nothing shows when nothing is embedded)."""

    def __init__(self, label: str, unit: str = "text") -> None:
        self.label = label
        self.unit = unit
        self._bar: Any = None
        self._stage = ""

    def update(self, stage: str, n: float, total: float) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit=self.unit, unit_scale=True, file=sys.stderr)
        if stage != self._stage:  # the file being indexed
            self._stage = stage
            self._bar.set_postfix_str(stage, refresh=False)
        self._bar.update(n)

    def tick(self, done: int, total: int, seconds: float) -> None:
        """Progress of a count of items (tqdm shows the rate and the ETA)."""
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, unit=self.unit, file=sys.stderr)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
