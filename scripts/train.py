"""Distributed entry point: ``accelerate launch --config_file accelerate_configs/X.yaml scripts/train.py
--config RECIPE.yaml [--field value ...] [--resume CHECKPOINT|latest]``. Same code as ``rlemp train``: the run is
:func:`rlemp.train.main`, with the command line's one-line errors and exit codes."""

import sys

from rlemp.cli import run_train_cli
from rlemp.logs import setup_logging

if __name__ == "__main__":
    setup_logging()
    sys.exit(run_train_cli(sys.argv[1:]))
