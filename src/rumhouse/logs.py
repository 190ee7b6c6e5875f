"""Logging for `rumhouse serve` and the CLI: one line per record, with time, level and logger, on stderr.

uvicorn configures its own loggers (`uvicorn.*`) when it starts; this sets up the root logger that
rumhouse's own (`rumhouse`, `rumhouse.alerts`, `rumhouse.audit`, ...) propagate to.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
