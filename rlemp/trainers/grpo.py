"""Multi-turn GRPO: TRL's ``GRPOTrainer`` with rlemp's batched rollout engine as its ``rollout_func``.

Each dataset row is a persona; TRL repeats it ``num_generations`` times, so a group shares persona, seed and
opening message (as RLVER). The rollout plays whole conversations against the simulated users and returns
one token stream per conversation: ``prompt_ids``, ``completion_ids`` (all turns), sampling ``logprobs`` and
``env_mask`` (0 on the simulated user's tokens, so only the policy's tokens are trained), plus the
``transcript`` column that the reward functions read. A conversation the simulator failed on is kept in the
batch fully masked with no reward (TRL gives it no advantage), counted, and logged.

Generation uses the trainer's own model (plain ``generate``, LoRA active; parameters gathered under ZeRO-3), or
with ``use_vllm`` TRL's vLLM engine (server or colocate mode) through :class:`rlemp.vllm_policy.VLLMPolicy`, the
same multi-turn engine with vLLM generating each turn; TRL syncs the weights to vLLM before each rollout.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Sequence

from trl import GRPOTrainer

from rlemp.configs import RlempArguments
from rlemp.personas import Persona
from rlemp.rollout import ModelPolicy, rollout_model
from rlemp.simulators.base import UserSimulator
from rlemp.trainers.common import FailureBudget, generation_settings, open_transcript_log, rollout_metrics

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
        self.failure_budget = FailureBudget(rlemp_args.max_failure_rate)
        super().__init__(*args, rollout_func=self.rollout, **kwargs)
        if curriculum is not None:
            self.add_callback(curriculum.callback())
        self.settings = generation_settings(rlemp_args, self.args)
        if self.args.use_vllm:
            from rlemp.vllm_policy import prefix_caching

            if prefix_caching(self.vllm_generation) is False:
                logger.warning("vLLM prefix caching is off: every turn re-encodes the whole conversation")
        self.transcript_log = open_transcript_log(self.args.output_dir, self.accelerator.is_main_process)

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
        from accelerate.utils import gather_object
        from trl.models import unwrap_model_for_generation

        started = time.perf_counter()
        personas = [self.personas[p[0]["persona_id"]] for p in prompts]
        seeds = [int(p[0]["seed"]) for p in prompts]
        policy_options = dict(thinking=self.rlemp_args.thinking, max_completion_tokens=self.args.max_completion_length)
        if self.args.use_vllm:
            from rlemp.vllm_policy import VLLMPolicy

            policy = VLLMPolicy(self.vllm_generation, self.processing_class, self.settings, **policy_options)
            result, streams = rollout_model(policy, self.simulator, personas, seeds, self.rlemp_args.max_turns)
            policy.drain()
        else:
            with unwrap_model_for_generation(
                self.model_wrapped, self.accelerator, gather_deepspeed3_params=self.args.ds3_gather_for_generation
            ) as model:
                policy = ModelPolicy(
                    model, self.processing_class, self.settings, kv_cache=self.rlemp_args.rollout_kv_cache,
                    **policy_options,
                )
                result, streams = rollout_model(policy, self.simulator, personas, seeds, self.rlemp_args.max_turns)
        env_mask = [
            [0] * len(s.env_mask) if i in result.failures else list(s.env_mask) for i, s in enumerate(streams)
        ]
        transcripts = [None if i in result.failures else t for i, t in enumerate(result.transcripts)]

        # Metrics and transcripts from every rank (in rank order, so every rank holds the same lists and the
        # curriculum stays identical); the main process writes them. ``meta.rank`` says who played each one.
        for t in transcripts:
            if t is not None:
                t.meta["rank"] = self.accelerator.process_index
        finished = gather_object([t for t in transcripts if t is not None])
        failed = sum(gather_object([len(result.failures)]))
        tokens = gather_object([(sum(m), len(m) - sum(m)) for m in env_mask])  # (policy, user) per conversation
        self.failure_budget.add(finished, failed)
        if self.curriculum is not None and self.model.training:
            self.curriculum.record([t.persona_id for t in finished], [t.outcome == "success" for t in finished])
        mode = "train" if self.model.training else "eval"
        metrics = self._metrics[mode]
        for key, value in rollout_metrics(finished).items():
            metrics[key].append(value)
        metrics["rollout/dropped"].append(float(failed))
        metrics["rollout/policy_tokens"].append(sum(agent for agent, _ in tokens) / max(1, len(tokens)))
        metrics["rollout/user_tokens"].append(sum(user for _, user in tokens) / max(1, len(tokens)))
        metrics["time/rollout_s"].append(time.perf_counter() - started)
        if self.transcript_log is not None:
            for t in finished:
                t.meta.update({"step": self.state.global_step, "algorithm": "grpo"})
                self.transcript_log.write(t)
        return {
            "prompt_ids": [s.prompt_ids for s in streams],
            "completion_ids": [s.completion_ids for s in streams],
            "logprobs": [s.logprobs for s in streams],
            "env_mask": env_mask,
            "transcript": transcripts,
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


def build_grpo_trainer(args: RlempArguments, training_args, model_args, curriculum_factory=None):
    """The GRPO trainer for a parsed recipe: policy + LoRA, persona dataset, simulator, rewards, curriculum."""
    from datasets import Dataset

    from rlemp.rewards import build_rewards
    from rlemp.trainers.common import (
        build_training_simulator,
        load_policy,
        load_scorer,
        load_training_personas,
        persona_prompts,
    )

    personas = load_training_personas(args)
    simulator = build_training_simulator(args)
    model, tokenizer, peft_config = load_policy(model_args, training_args)
    scorer, scorer_tokenizer = load_scorer(args, model_args)
    reward_funcs, weights = build_rewards(args.rewards, scorer_model=scorer, tokenizer=scorer_tokenizer)
    reward_funcs = [none_where_dropped(f) for f in reward_funcs]
    training_args.reward_weights = weights
    curriculum = curriculum_factory(personas, simulator) if curriculum_factory else None
    if curriculum is not None:
        training_args.shuffle_dataset = False  # the curriculum orders the data
    return EmotionGRPOTrainer(
        model=model,
        reward_funcs=reward_funcs,
        args=training_args,
        train_dataset=Dataset.from_list(persona_prompts(personas, training_args.seed)),
        processing_class=tokenizer,
        peft_config=peft_config,
        rlemp_args=args,
        personas=personas,
        simulator=simulator,
        curriculum=curriculum,
    )
