"""Console output set-up, in one place: rlemp's log lines, and the library warnings a user cannot act on.

:func:`setup_logging` is called once by the ``rlemp`` command line (and by ``scripts/train.py`` through it, and
by training for the replicas' level). It sends log records to stderr (``HH:MM:SS LEVEL name: message``) and
silences what the libraries say about their own internals, which no setting of a recipe changes:

* DeepSpeed's "Setting accelerator to CPU" on every machine without a GPU (the CPU is what rlemp asks for there);
* transformers' deprecation notes on names that TRL and PEFT use internally (``is_gradient_checkpointing``,
  ``past_key_values``);
* TRL's note that ``rollout_func`` is experimental (rlemp's multi-turn GRPO is built on it, pinned in
  ``constraints.txt``).

httpx's line per HTTP request (the ``openai`` simulator backend makes thousands) is kept at WARNING.
"""

from __future__ import annotations

import logging
import sys
import warnings
from contextlib import contextmanager
from typing import Callable, Iterator

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
DATE_FORMAT = "%H:%M:%S"
# (category, regex matching the start of the message) of Python warnings to ignore
QUIET_WARNINGS = (
    (FutureWarning, r"`is_gradient_checkpointing` is deprecated"),
    (FutureWarning, r"`past_key_values` is deprecated"),
    (UserWarning, r"You are using 'rollout_func', which is an experimental feature"),
)
# logger name -> start of the log messages to drop from that logger
QUIET_LOG_LINES = {
    "DeepSpeed": ("Setting accelerator to CPU",),
    "transformers.utils.generic": ("`past_key_values`/`cache_params` are deprecated",),
}
QUIET_LOGGERS = ("httpx", "httpcore")


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted: a live progress bar (rich) swaps it to print
    log lines above the bar, and test runners swap it too."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # StreamHandler.__init__ assigns one; the property always answers sys.stderr
        pass


class DropMessages(logging.Filter):
    """Drops the records whose message starts with one of ``prefixes``."""

    def __init__(self, prefixes: tuple[str, ...]):
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def setup_logging(level: int = logging.INFO) -> None:
    """Log rlemp's progress at ``level`` on stderr and silence the library noise listed in the module docstring.
    Idempotent: a second call adds no handler, only sets the level (training sets WARNING on replica
    processes)."""
    root = logging.getLogger()
    if not any(getattr(handler, "rlemp", False) for handler in root.handlers):
        handler = StderrHandler()
        handler.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))
        handler.rlemp = True
        root.addHandler(handler)
        for name, prefixes in QUIET_LOG_LINES.items():
            logging.getLogger(name).addFilter(DropMessages(prefixes))
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
    for category, message in QUIET_WARNINGS:  # again each time: warnings.catch_warnings blocks drop filters
        warnings.filterwarnings("ignore", message=message, category=category)
    root.setLevel(level)


@contextmanager
def progress_bar(description: str, total: int | None, enabled: bool = True) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr with the count, elapsed time and an ETA; yields ``advance(n)``. Log lines
    printed meanwhile appear above the bar. Disabled: ``advance`` does nothing."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)
