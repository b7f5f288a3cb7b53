"""Shared test fixtures: a tiny local model built once per session; no hub access, quiet tokenizers."""

from __future__ import annotations

import os

# Before anything imports huggingface_hub / tokenizers: nothing may be downloaded, and forked test helpers
# must not deadlock on the tokenizers thread pool.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A folder with a tiny random Qwen2-style model and its ChatML tokenizer (see rlemp.tiny)."""
    from rlemp.tiny import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny-model"), size="tiny", seed=0)


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module: its tests then time and behave the same on a loaded 2-core machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
