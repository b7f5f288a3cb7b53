"""A stand-in for TRL's ``VLLMGeneration`` (vLLM needs a CUDA GPU, absent here): the same attributes and the same
``generate(prompts, images, num_generations)`` contract, with tokens from a transformers model or a script.

As vLLM does, it generates each prompt's continuation from its token ids, stops after ``max_completion_length``
tokens or on a stop token (kept in the output: the model's EOS and ``generation_kwargs["stop_token_ids"]``),
and returns per token a list holding the sampled token's logprob. In ``mode="server"`` it takes part in the same
collective as TRL (every process gathers all prompts, then keeps the slice ``process_index * len(prompts)``), so
processes that ask with different numbers of prompts, or stop asking early, fail or hang as they would with TRL.

``run_rank`` is one process of the two-process lockstep test (``tests/test_rollout.py``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

# (prompt ids, max new tokens, stop ids, temperature) -> (new ids, logprobs)
Completer = Callable[[list[int], int, set[int], float], tuple[list[int], list[float]]]


@dataclass
class FakeVLLMGeneration:
    complete: Completer
    accelerator: object = field(default_factory=lambda: SimpleNamespace(num_processes=1, process_index=0))
    mode: str = "colocate"
    tensor_parallel_size: int = 1
    max_completion_length: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    generation_kwargs: dict = field(default_factory=dict)
    eos_token_ids: tuple[int, ...] = ()
    calls: list[dict] = field(default_factory=list)  # one entry per generate call: what vLLM was asked

    def generate(self, prompts, images, num_generations, profiler=None):
        assert images is None and num_generations == 1, "multi-turn rollouts generate one reply per context"
        prompts = [list(p) for p in prompts]
        if self.mode == "server":
            from accelerate.utils import gather_object

            everyone = gather_object(prompts)
            if len(everyone) != len(prompts) * self.accelerator.num_processes:
                raise AssertionError("processes asked with different numbers of prompts")
            start = self.accelerator.process_index * len(prompts)
            prompts = everyone[start : start + len(prompts)]
        stops = set(self.eos_token_ids) | set(self.generation_kwargs.get("stop_token_ids", []))
        self.calls.append({"prompts": len(prompts), "max_tokens": self.max_completion_length, "stops": stops,
                           "temperature": self.temperature, "top_p": self.top_p, "top_k": self.top_k})
        completions, logprobs = [], []
        for ids in prompts:
            new, lps = self.complete(ids, self.max_completion_length, stops, self.temperature)
            for i, token in enumerate(new):
                if token in stops:
                    new, lps = new[: i + 1], lps[: i + 1]
                    break
            completions.append(new[: self.max_completion_length])
            logprobs.append([[lp] for lp in lps[: self.max_completion_length]])
        return prompts, completions, logprobs, None


def model_completer(model) -> Completer:
    """Continuations sampled (temperature > 0) or greedy from a causal LM, one prompt at a time."""
    import torch

    def complete(ids, max_tokens, stops, temperature):
        greedy = temperature <= 0
        with torch.no_grad():
            out = model.generate(
                input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                max_new_tokens=max_tokens, do_sample=not greedy, eos_token_id=sorted(stops) or None,
                pad_token_id=0, return_dict_in_generate=True, output_logits=True,
                **({} if greedy else {"temperature": temperature, "top_k": 0}),
            )
        new = out.sequences[0, len(ids):]
        logits = torch.stack(out.logits, dim=1)[0].float() / (1.0 if greedy else temperature)
        lps = torch.log_softmax(logits, dim=-1).gather(-1, new.unsqueeze(-1)).squeeze(-1)
        return new.tolist(), lps.tolist()

    return complete


def scripted_completer(reply_ids: list[int], logprob: float = -0.5) -> Completer:
    """The same reply every time (cut to the budget), each token with the given logprob."""

    def complete(ids, max_tokens, stops, temperature):
        return list(reply_ids[:max_tokens]), [logprob] * min(len(reply_ids), max_tokens)

    return complete


def run_rank(rank: int, world: int, port: int, tokenizer_dir: str, personas_path: str, out_dir: str) -> None:
    """One process of a server-mode rollout: rank r plays r+1 personas for 2 + 2r turns, then drains."""
    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    from accelerate import PartialState
    from transformers import AutoTokenizer

    from rlemp.personas import load_personas
    from rlemp.rollout import GenerationSettings, run_conversations
    from rlemp.simulators import build_simulator
    from rlemp.vllm_policy import VLLMPolicy

    state = PartialState(cpu=True)
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")
    reply = tokenizer.encode("That sounds really hard. What happened next?", add_special_tokens=False) + [eos]
    generation = FakeVLLMGeneration(scripted_completer(reply), accelerator=state, mode="server")
    policy = VLLMPolicy(generation, tokenizer, GenerationSettings(max_new_tokens=32, temperature=1.0))
    personas = load_personas(personas_path)[: rank + 1]
    result = run_conversations(build_simulator("rule"), personas, policy, seeds=rank, max_turns=2 + 2 * rank)
    streams = [c.stream for c in result.conversations]
    policy.drain()
    record = {
        "turns": [len(t.turns) for t in result.transcripts],
        "generate_calls": policy.generate_calls,
        "vllm_calls": [c["prompts"] for c in generation.calls],
        "streams": [{"completion_ids": s.completion_ids, "env_mask": s.env_mask} for s in streams],
        "replies": [[turn.agent for turn in t.turns] for t in result.transcripts],
    }
    Path(out_dir, f"rank{rank}.json").write_text(json.dumps(record), encoding="utf-8")
    state.destroy_process_group()
