"""The ``hf`` backend: a local transformers causal LM plays the user (prompt, parser and fallback: ``llm``).

Batching. ``react_many`` renders every conversation's prompt with the model's chat template and generates
them together, ``batch_size`` at a time, left-padded: one ``generate`` call per attempt round, not one per
conversation. Re-asks after an invalid output are batched the same way.

Seeded decoding. ``temperature`` 0 is greedy. Above 0, tokens are sampled with the Gumbel-max trick inside
greedy decoding: each row adds noise from its *own* generator, seeded with
``derive_seed(transcript.seed, turn, attempt)``, so a conversation draws the same tokens whatever else shares
its batch, and a replay (``rlemp verify`` replays one conversation at a time) is exact, up to floating-point
differences between padded and unpadded batches, which can only flip an exact tie between two tokens.
Defaults (``device="cpu"``, ``float32``) favour reproducibility over speed.
"""

from __future__ import annotations

from typing import Literal, Sequence

import torch
from pydantic import Field, field_validator
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, LogitsProcessor, LogitsProcessorList

from rlemp.errors import RlempError
from rlemp.simulators.base import SimulatorError
from rlemp.simulators.llm import LLMConfig, LLMSimulator


class HFConfig(LLMConfig):
    """Model and decoding knobs of the ``hf`` backend (all part of the config hash)."""

    model: str = Field(min_length=1, description="local model folder or hub id")
    max_new_tokens: int = Field(256, ge=1)
    batch_size: int = Field(16, ge=1, description="conversations per generate call")
    device: str = "cpu"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"

    @field_validator("device")
    @classmethod
    def _torch_device(cls, device: str) -> str:
        try:
            torch.device(device)
        except RuntimeError as exc:
            raise ValueError(str(exc)) from None
        return device


class SeededGumbelSampler(LogitsProcessor):
    """Sampling at ``temperature``, one generator per row: ``argmax(logits / T + Gumbel)`` ~ ``softmax(logits / T)``."""

    def __init__(self, seeds: Sequence[int], temperature: float):
        self.temperature = temperature
        self.generators = [torch.Generator().manual_seed(seed) for seed in seeds]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        uniform = torch.stack([torch.rand(scores.shape[-1], generator=g, dtype=torch.float64) for g in self.generators])
        gumbel = -torch.log(-torch.log(uniform))
        return scores / self.temperature + gumbel.to(scores.device, scores.dtype)


class HFSimulator(LLMSimulator):
    """The user played by a local ``AutoModelForCausalLM`` with a chat template."""

    backend = "hf"
    config_class = HFConfig
    config: HFConfig

    def __init__(self, config: HFConfig | dict | None = None):
        super().__init__(config)
        c = self.config
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(c.model)
            self.model = AutoModelForCausalLM.from_pretrained(c.model, dtype=getattr(torch, c.dtype))
        except (OSError, ValueError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RlempError(f"simulator 'hf': cannot load model {c.model!r}: {reason}") from None
        self.model.to(c.device).eval()
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.generation_config = GenerationConfig(
            max_new_tokens=c.max_new_tokens,
            do_sample=False,
            eos_token_id=self.model.generation_config.eos_token_id or self.tokenizer.eos_token_id,
            pad_token_id=self.tokenizer.pad_token_id,
        )

    def complete_many(self, requests: Sequence[tuple[list[dict[str, str]], int]]) -> list[str | SimulatorError]:
        texts = [self.tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m, _ in requests]
        seeds = [seed for _, seed in requests]
        size = self.config.batch_size
        outputs: list[str | SimulatorError] = []
        for start in range(0, len(texts), size):
            outputs += self.generate(texts[start:start + size], seeds[start:start + size])
        return outputs

    def generate(self, texts: list[str], seeds: list[int]) -> list[str]:
        """One batched ``generate`` call; returns the decoded continuations."""
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.model.device)
        temperature = self.config.temperature
        processors = LogitsProcessorList([SeededGumbelSampler(seeds, temperature)]) if temperature > 0 else None
        with torch.inference_mode():
            out = self.model.generate(**batch, generation_config=self.generation_config, logits_processor=processors)
        self.count("generations", len(texts))
        return self.tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
