"""The ``hf`` backend: a local transformers causal LM plays the user (prompt, parser and fallback: ``llm``).

Conversations are generated together, left-padded, ``batch_size`` at a time; sampling uses per-row generators
seeded from the conversation, so a conversation draws the same tokens whatever shares its batch and a replay
is exact (padding can at most flip an exact tie). ``mode: constrained`` reads the change from the probabilities
of the digits 1-5, for small models that cannot write the JSON. Details: ``docs/simulator.md``.
"""

from __future__ import annotations

import copy
from typing import Literal, Sequence

import torch
from pydantic import Field, field_validator
from transformers import GenerationConfig, LogitsProcessor, LogitsProcessorList

from rlemp.errors import RlempError
from rlemp.loading import load_model
from rlemp.simulators.base import Reaction, SimulatorError
from rlemp.simulators.llm import (FALLBACK_USER_TEXT, RATING_DIGITS, LLMConfig, LLMSimulator, derive_seed,
                                  load_rating_prompts, rating_change, rating_messages)
from rlemp.transcript import Transcript


class HFConfig(LLMConfig):
    """Model and decoding knobs of the ``hf`` backend (all part of the config hash)."""

    model: str = Field(min_length=1, description="local model folder or hub id")
    max_new_tokens: int = Field(256, ge=1)
    batch_size: int = Field(16, ge=1, description="conversations per generate call")
    device: str = "cpu"
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    mode: Literal["json", "constrained"] = Field(
        "json", description="json: the model writes the JSON object; constrained: the change is read from the "
        "model's probabilities of the ratings 1-5 and only the user's line is generated")
    readout: Literal["expectation", "argmax"] = Field("expectation", description="constrained mode: expected "
                                                      "rating or most likely rating")
    reply_tokens: int = Field(40, ge=1, description="constrained mode: tokens for the user's next line")

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
            self.model, self.tokenizer = load_model(c.model, dtype=getattr(torch, c.dtype))
        except RlempError as exc:
            raise RlempError(f"simulator 'hf': cannot load model {c.model!r}: {exc}") from None
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
        if c.mode == "constrained":
            self.rating_prompts = load_rating_prompts()
            self.digit_ids = [self._single_token(d) for d in RATING_DIGITS]

    def _single_token(self, text: str) -> int:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        if len(ids) != 1:
            raise RlempError(f"simulator 'hf': constrained mode needs {text!r} to be one token of {self.config.model}'s "
                             f"tokenizer, got {len(ids)}")
        return ids[0]

    def prompt_texts(self) -> dict[str, str]:
        texts = super().prompt_texts()
        if self.config.mode == "constrained":
            texts.update(self.rating_prompts.texts)
        return texts

    def react_many(self, transcripts: Sequence[Transcript], replies: Sequence[str]) -> list[Reaction | SimulatorError]:
        if self.config.mode == "json":
            return super().react_many(transcripts, replies)
        return self.react_constrained(transcripts, replies)

    def react_constrained(self, transcripts: Sequence[Transcript], replies: Sequence[str]) -> list[Reaction]:
        """Constrained mode: the change from the next-token probabilities of the digits 1-5 after the rating
        question (renormalised over those five, deterministic), then the user's line from a second prompt
        (greedy, or seeded sampling at ``temperature``). Always valid: no retries, no fallbacks; an empty line
        becomes the neutral fallback text and is counted as ``empty_replies``."""
        needs = self.prompts.hidden_needs
        ask = [rating_messages(self.rating_prompts, needs, t, r, "rating") for t, r in zip(transcripts, replies)]
        probabilities = self.rating_probabilities(ask)
        requests = [(rating_messages(self.rating_prompts, needs, t, r, "reply"), derive_seed(t.seed, len(t.turns), 0))
                    for t, r in zip(transcripts, replies)]
        lines = self.complete_many(requests, max_new_tokens=self.config.reply_tokens)
        reactions = []
        for probs, line in zip(probabilities, lines):
            change = rating_change(probs, self.config.readout)
            line = line.strip().split("\n")[0].strip()
            if not line:
                self.count("empty_replies")
                line = FALLBACK_USER_TEXT
            shown = " ".join(f"{p:.2f}" for p in probs)
            reactions.append(Reaction(user=line, change=change,
                                      rationale=f"constrained: P(rating 1-5) = {shown} -> change {change:+.1f}"))
        return reactions

    def rating_probabilities(self, requests: list[list[dict[str, str]]]) -> list[list[float]]:
        """For each chat request, the next-token probabilities of the digits 1-5, renormalised over them."""
        texts = [self.tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in requests]
        size = self.config.batch_size
        result: list[list[float]] = []
        for start in range(0, len(texts), size):
            batch = self.tokenizer(texts[start:start + size], return_tensors="pt", padding=True,
                                   add_special_tokens=False).to(self.model.device)
            with torch.inference_mode():
                logits = self.model(**batch, logits_to_keep=1).logits[:, -1, self.digit_ids].float()
            result += torch.softmax(logits, dim=-1).tolist()
            self.count("ratings", len(texts[start:start + size]))
        return result

    def complete_many(self, requests: Sequence[tuple[list[dict[str, str]], int]],
                      max_new_tokens: int | None = None) -> list[str | SimulatorError]:
        texts = [self.tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m, _ in requests]
        seeds = [seed for _, seed in requests]
        size = self.config.batch_size
        outputs: list[str | SimulatorError] = []
        for start in range(0, len(texts), size):
            outputs += self.generate(texts[start:start + size], seeds[start:start + size], max_new_tokens)
        return outputs

    def generate(self, texts: list[str], seeds: list[int], max_new_tokens: int | None = None) -> list[str]:
        """One batched ``generate`` call; returns the decoded continuations."""
        batch = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(self.model.device)
        temperature = self.config.temperature
        processors = LogitsProcessorList([SeededGumbelSampler(seeds, temperature)]) if temperature > 0 else None
        config = self.generation_config
        if max_new_tokens is not None:
            config = copy.deepcopy(config)
            config.max_new_tokens = max_new_tokens
        with torch.inference_mode():
            out = self.model.generate(**batch, generation_config=config, logits_processor=processors)
        self.count("generations", len(texts))
        return self.tokenizer.batch_decode(out[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
