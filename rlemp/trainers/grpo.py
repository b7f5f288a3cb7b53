"""Multi-turn GRPO: TRL's ``GRPOTrainer`` with rlemp's batched rollout engine as its ``rollout_func``.

Each dataset row is a persona, repeated ``num_generations`` times by TRL, so a group shares persona, seed and
opening message (as RLVER). The rollout returns one token stream per conversation, with ``env_mask`` 0 on the
simulated user's tokens, and the ``transcript`` column that the rewards read; a conversation the simulator
failed on stays in the batch fully masked and without reward. Generation uses the trainer's own model, or
TRL's vLLM engine with ``use_vllm`` (:class:`rlemp.vllm_policy.VLLMPolicy`).
"""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

from trl import GRPOTrainer

from rlemp.configs import RlempArguments
from rlemp.personas import Persona
from rlemp.rollout import ModelPolicy, run_conversations
from rlemp.simulators.base import UserSimulator
from rlemp.trainers.common import Parts, generation_settings
from rlemp.trainers.ledger import RolloutLedger

logger = logging.getLogger(__name__)


class EmotionGRPOTrainer(GRPOTrainer):
    """``GRPOTrainer`` whose completions are multi-turn conversations with simulated users."""

    def __init__(
        self,
        *args,
        rlemp_args: RlempArguments,
        personas: Sequence[Persona],
        simulator: UserSimulator,
        curriculum=None,
        **kwargs,
    ):
        self.rlemp_args = rlemp_args
        self.personas = {p.id: p for p in personas}
        self.simulator = simulator
        self.curriculum = curriculum
        super().__init__(*args, rollout_func=self.rollout, **kwargs)
        if curriculum is not None:
            self.add_callback(curriculum.callback())
        self.settings = generation_settings(rlemp_args, self.args)
        if self.args.use_vllm:
            from rlemp.vllm_policy import prefix_caching

            if prefix_caching(self.vllm_generation) is False:
                logger.warning("vLLM prefix caching is off: every turn re-encodes the whole conversation")
        self.ledger = RolloutLedger("grpo", rlemp_args.max_failure_rate, self.args.output_dir, self.accelerator,
                                    curriculum)

    def _get_train_sampler(self, dataset=None):
        if self.curriculum is None:
            return super()._get_train_sampler(dataset)
        return self.curriculum.sampler(
            repeat=self.num_generations,
            batch_size=self.args.generation_batch_size // self.num_generations,
            repeat_count=self.num_iterations * self.args.steps_per_generation,
        )

    def rollout(self, prompts: list, trainer: GRPOTrainer) -> dict[str, Any]:
        """TRL's ``rollout_func``: play every prompt's conversation; one token stream per prompt."""
        from trl.models import unwrap_model_for_generation

        started = time.perf_counter()
        personas = [self.personas[p[0]["persona_id"]] for p in prompts]
        seeds = [int(p[0]["seed"]) for p in prompts]
        policy_options = dict(thinking=self.rlemp_args.thinking, max_completion_tokens=self.args.max_completion_length)
        max_turns = self.rlemp_args.max_turns
        if self.args.use_vllm:
            from rlemp.vllm_policy import VLLMPolicy

            policy = VLLMPolicy(self.vllm_generation, self.processing_class, self.settings, **policy_options)
            rollout = run_conversations(self.simulator, personas, policy, seeds, max_turns)
            policy.drain()
        else:
            with unwrap_model_for_generation(
                self.model_wrapped, self.accelerator, gather_deepspeed3_params=self.args.ds3_gather_for_generation
            ) as model:
                policy = ModelPolicy(
                    model, self.processing_class, self.settings, kv_cache=self.rlemp_args.rollout_kv_cache,
                    **policy_options,
                )
                rollout = run_conversations(self.simulator, personas, policy, seeds, max_turns)
        booked = self.ledger.book(rollout, self.state.global_step, started, record_outcomes=self.model.training)
        metrics = self._metrics["train" if self.model.training else "eval"]
        for key, value in booked.metrics.items():
            metrics[key].append(value)
        conversations = rollout.conversations
        return {
            "prompt_ids": [c.stream.prompt_ids for c in conversations],
            "completion_ids": [c.stream.completion_ids for c in conversations],
            "logprobs": [c.stream.logprobs for c in conversations],
            "env_mask": [[0] * len(c.stream.env_mask) if c.dropped else list(c.stream.env_mask)
                         for c in conversations],
            "transcript": [None if c.dropped else c.transcript for c in conversations],
        }


def none_where_dropped(reward):
    """``reward`` answering None for the conversations the rollout dropped (``transcript`` None): with every
    component None, TRL leaves such a sample out of its group's baseline and gives it no advantage (otherwise
    the text-only rewards, such as ``length``, would score it and shift the advantages of its group)."""

    def scored(prompts, completions, transcript=None, **columns):
        values = reward(prompts=prompts, completions=completions, transcript=transcript, **columns)
        if transcript is None:
            return values
        return [None if t is None else v for v, t in zip(values, transcript, strict=True)]

    scored.__name__ = reward.__name__
    return scored


def persona_prompts(personas: Sequence[Persona], seed: int) -> list[dict[str, Any]]:
    """One dataset row per persona. TRL hands a rollout function only the ``prompt`` column, so the persona id
    and the conversation seed travel inside the (single) user message; the rollout rebuilds the chat itself."""
    return [
        {"prompt": [{"role": "user", "content": p.first_message, "persona_id": p.id, "seed": seed * 100_003 + i}]}
        for i, p in enumerate(personas)
    ]


def make_trainer(parts: Parts, args: RlempArguments, training_args, model_args) -> EmotionGRPOTrainer:
    """The GRPO trainer of a run: a persona dataset, the rewards (None for dropped conversations), LoRA."""
    from datasets import Dataset

    training_args.reward_weights = parts.reward_weights
    if parts.curriculum is not None:
        training_args.shuffle_dataset = False  # the curriculum orders the data
    return EmotionGRPOTrainer(
        model=parts.model,
        reward_funcs=[none_where_dropped(f) for f in parts.reward_funcs],
        args=training_args,
        train_dataset=Dataset.from_list(persona_prompts(parts.personas, training_args.seed)),
        processing_class=parts.tokenizer,
        peft_config=parts.peft_config,
        rlemp_args=args,
        personas=parts.personas,
        simulator=parts.simulator,
        curriculum=parts.curriculum,
    )
