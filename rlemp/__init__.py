"""rlemp: reinforcement learning for emotionally intelligent language models."""

__version__ = "0.1.0"
