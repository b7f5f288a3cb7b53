"""The PPO loop: :class:`EmotionPPOTrainer` subclasses ``transformers.Trainer`` and overrides ``train()``, as
TRL's old ``PPOTrainer`` did (TRL no longer ships one); accelerate/DeepSpeed preparation, ``self.state``, logging,
callbacks and checkpoint rotation come from the library.

It relies on these private ``transformers.Trainer`` members (check them when upgrading transformers):
``_load_optimizer_and_scheduler``, ``_save_optimizer_and_scheduler``, ``_save_checkpoint``, ``_load_rng_state``,
``_load_callback_state``, ``_get_output_dir``, ``callback_handler``, ``control``, ``model_wrapped`` and
``accelerator.gradient_state._set_sync_gradients``.

**One PPO step** (``global_step`` counts these), each part a function of :mod:`rlemp.trainers.ppo.core`:

1. rollouts: ``rollouts_per_step`` conversations per process with the batched engine (personas from the
   curriculum hook or :func:`draw_personas`); each is one token stream (prompt, then agent and simulated-user
   tokens, with ``env_mask`` = 1 on the agent's own tokens);
2. rewards (:func:`conversation_rewards`) placed on tokens (:func:`place_rewards`): emotion rewards one per agent
   turn on that turn's last token, every other reward at the end of the conversation, minus ``kl_coef`` times
   the per-token KL to the reference (:func:`kl_penalty`) on every agent token;
3. old log-probabilities and values (no gradient), :func:`compute_gae` over the agent tokens only, then
   :func:`whiten` of the advantages;
4. ``num_ppo_epochs`` epochs over shuffled minibatches of ``per_device_train_batch_size *
   gradient_accumulation_steps`` conversations (one optimizer step each): :func:`policy_loss` and
   :func:`value_loss` on agent tokens only, one optimizer with two parameter groups (``learning_rate`` and
   ``critic_learning_rate``); the losses share no parameter, so ``vf_coef`` only matters for gradient clipping;
5. the optional :class:`AdaptiveKLController` updates ``kl_coef``; metrics use GRPO's names plus ``policy/*`` and
   ``value/*``.

A conversation the simulator failed on stays in the batch fully masked, so every process runs the same number of
forward/backward passes; failures count against ``max_failure_rate``. Checkpoints (``checkpoint-N``) hold the
policy adapter, the critic (``critic/``), optimizer, scheduler, RNG states, ``trainer_state.json`` and
``rlemp_ppo_state.json`` (KL coefficient, curriculum state); resuming replays the same personas, seeds and
minibatch order. The curriculum hook may offer ``indices(step, k)``, ``record(persona_ids, successes)`` and
``state_dict()``/``load_state_dict()``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import torch
from transformers import Trainer
from trl.trainer.utils import entropy_from_logits, selective_log_softmax

from rlemp.configs import PPOConfig, RlempArguments
from rlemp.errors import RlempError
from rlemp.personas import Persona
from rlemp.simulators.base import UserSimulator
from rlemp.trainers.common import Parts
from rlemp.trainers.ppo.core import (
    AdaptiveKLController,
    approx_kl,
    compute_gae,
    conversation_rewards,
    draw_personas,
    explained_variance,
    kl_penalty,
    masked_mean,
    place_rewards,
    policy_loss,
    value_loss,
    whiten,
)
from rlemp.trainers.ppo.model import PolicyAndValue

logger = logging.getLogger(__name__)

STATE_FILE = "rlemp_ppo_state.json"


@dataclass
class RolloutBatch:
    """One step's conversations as tensors: prompts left-padded to ``prompt_width``, completions (every turn)
    right-padded; per-token tensors ([N, C]) cover the completion only."""

    input_ids: torch.Tensor  # [N, P + C]
    attention_mask: torch.Tensor  # [N, P + C]
    agent_mask: torch.Tensor  # [N, C] bool: the agent's own tokens
    prompt_lengths: torch.Tensor  # [N]
    completion_lengths: torch.Tensor  # [N]
    prompt_width: int
    turn_rewards: list[list[float]] = field(default_factory=list)  # per conversation, one per agent turn
    final_rewards: list[float] = field(default_factory=list)  # per conversation, at its end
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)  # old_logprobs, values, advantages, ...

    @classmethod
    def pack(
        cls, prompts: Sequence[Sequence[int]], completions: Sequence[Sequence[int]],
        agent_masks: Sequence[Sequence[int]], pad_id: int, device: torch.device | str = "cpu",
    ) -> "RolloutBatch":
        width_p = max(len(p) for p in prompts)
        width_c = max(len(c) for c in completions)
        rows, attention, masks = [], [], []
        for p, c, m in zip(prompts, completions, agent_masks, strict=True):
            rows.append([pad_id] * (width_p - len(p)) + list(p) + list(c) + [pad_id] * (width_c - len(c)))
            attention.append([0] * (width_p - len(p)) + [1] * (len(p) + len(c)) + [0] * (width_c - len(c)))
            masks.append(list(m) + [0] * (width_c - len(c)))
        return cls(
            input_ids=torch.tensor(rows, device=device),
            attention_mask=torch.tensor(attention, device=device),
            agent_mask=torch.tensor(masks, device=device).bool(),
            prompt_lengths=torch.tensor([len(p) for p in prompts], device=device),
            completion_lengths=torch.tensor([len(c) for c in completions], device=device),
            prompt_width=width_p,
        )

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def micro(self, index: torch.Tensor) -> dict[str, Any]:
        """The rows ``index``, trimmed to their own longest prompt and completion."""
        p = int(self.prompt_lengths[index].max())
        c = int(self.completion_lengths[index].max())
        window = slice(self.prompt_width - p, self.prompt_width + c)
        return {
            "input_ids": self.input_ids[index][:, window],
            "attention_mask": self.attention_mask[index][:, window],
            "completion_ids": self.input_ids[index][:, self.prompt_width : self.prompt_width + c],
            "mask": self.agent_mask[index][:, :c],
            **{name: tensor[index][:, :c] for name, tensor in self.tensors.items()},
        }


# --- the trainer ---------------------------------------------------------------------------------------------


class EmotionPPOTrainer(Trainer):
    """PPO of the LoRA policy against simulated users, with a LoRA critic (see the module docstring)."""

    def __init__(
        self,
        model: PolicyAndValue,
        args: PPOConfig,
        processing_class,
        rlemp_args: RlempArguments,
        personas: Sequence[Persona],
        simulator: UserSimulator,
        reward_funcs: Sequence[Callable],
        reward_weights: Sequence[float],
        curriculum=None,
        callbacks=None,
    ):
        from trl.trainer.utils import disable_dropout_in_model

        from rlemp.trainers.common import generation_settings
        from rlemp.trainers.ledger import RolloutLedger

        if not personas:
            raise RlempError(f"{rlemp_args.personas}: no training personas")
        disable_dropout_in_model(model)  # old and new log-probabilities must come from the same function
        super().__init__(model=model, args=args, processing_class=processing_class, callbacks=callbacks)
        self.rlemp_args = rlemp_args
        self.personas = list(personas)
        self.simulator = simulator
        self.reward_funcs, self.reward_weights = list(reward_funcs), list(reward_weights)
        self.curriculum = curriculum
        self.settings = generation_settings(rlemp_args, args)
        self.kl_controller = AdaptiveKLController(args.kl_coef, args.target_kl, args.horizon)
        self.ledger = RolloutLedger("ppo", rlemp_args.max_failure_rate, args.output_dir, self.accelerator, curriculum)
        if self._zero3() and not args.ds3_gather_for_generation:
            raise RlempError(
                "ds3_gather_for_generation: false is not supported by multi-turn PPO (processes end their "
                "conversations after different numbers of turns); set it to true"
            )

    # set-up --------------------------------------------------------------------------------------------------

    def create_optimizer(self, model=None):
        """One optimizer, two parameter groups: the policy adapter at ``learning_rate``, the critic adapter and
        value head at ``critic_learning_rate``."""
        if self.optimizer is None:
            wrapper: PolicyAndValue = self.model
            optimizer_cls, kwargs = self.get_optimizer_cls_and_kwargs(self.args, wrapper)
            groups = [
                {"params": wrapper.policy_parameters(), "lr": self.args.learning_rate},
                {"params": wrapper.critic_parameters(), "lr": self.args.critic_learning_rate},
            ]
            for group in groups:
                group["weight_decay"] = self.args.weight_decay
            self.optimizer = optimizer_cls(groups, **kwargs)
        return self.optimizer

    def total_steps(self) -> int:
        """``max_steps``, or enough steps for ``num_train_epochs`` passes over the personas."""
        if self.args.max_steps > 0:
            return self.args.max_steps
        per_step = self.args.rollouts_per_step * self.accelerator.num_processes
        return max(1, math.ceil(self.args.num_train_epochs * len(self.personas) / per_step))

    def optimizer_steps(self, max_steps: int) -> int:
        """Optimizer (and scheduler) steps in the whole run."""
        return max_steps * self.args.num_ppo_epochs * (self.args.rollouts_per_step // self.args.mini_batch_size)

    def _prepare(self, max_steps: int, resume_from_checkpoint: str | None):
        """Optimizer, accelerate/DeepSpeed wrapping and scheduler (as ``Trainer`` does), then the checkpoint's
        optimizer and scheduler states."""
        scheduler_steps = self.optimizer_steps(max_steps)
        if self.is_deepspeed_enabled:
            from transformers.integrations.deepspeed import deepspeed_init

            self.optimizer, self.lr_scheduler = deepspeed_init(self, num_training_steps=scheduler_steps)
        else:
            self.create_optimizer()
        if self.is_deepspeed_enabled and type(self.lr_scheduler).__name__ == "DummyScheduler":
            model, self.optimizer, self.lr_scheduler = self.accelerator.prepare(
                self.model, self.optimizer, self.lr_scheduler
            )
        else:
            model, self.optimizer = self.accelerator.prepare(self.model, self.optimizer)
        self.create_scheduler(num_training_steps=scheduler_steps)
        self.model_wrapped = model
        if self.is_deepspeed_enabled:
            self.deepspeed = model
        if resume_from_checkpoint is not None:
            if self.is_deepspeed_enabled:
                from transformers.integrations.deepspeed import deepspeed_load_checkpoint

                deepspeed_load_checkpoint(model, resume_from_checkpoint, load_module_strict=False)
            self._load_optimizer_and_scheduler(resume_from_checkpoint)
        for name in ("model", "optimizer", "lr_scheduler"):
            setattr(self.callback_handler, name, getattr(self, name))
        return model

    # the loop ------------------------------------------------------------------------------------------------

    def train(self, resume_from_checkpoint: str | bool | None = None, trial=None, ignore_keys_for_eval=None, **kwargs):
        """The PPO loop: one rollout-and-update step per ``global_step`` until ``max_steps``."""
        from transformers.trainer_callback import ExportableState, TrainerState
        from transformers.trainer_utils import TrainOutput, get_last_checkpoint

        args = self.args
        if resume_from_checkpoint is True:
            resume_from_checkpoint = get_last_checkpoint(args.output_dir)
            if resume_from_checkpoint is None:
                raise RlempError(f"no checkpoint-N folder to resume from in {args.output_dir}")
        resume = resume_from_checkpoint or None
        self.is_in_train = True
        if args.gradient_checkpointing:
            self.model.enable_gradient_checkpointing(args.gradient_checkpointing_kwargs)
        if resume is not None and not self.is_deepspeed_enabled:
            self.model.load_checkpoint(resume)
        max_steps = self.total_steps()
        if resume is not None:
            self._load_ppo_state(resume)
            self.state = TrainerState.load_from_json(os.path.join(resume, "trainer_state.json"))
            self._load_callback_state()
        else:
            self.state = TrainerState(
                stateful_callbacks=[
                    cb for cb in self.callback_handler.callbacks + [self.control] if isinstance(cb, ExportableState)
                ]
            )
        self.state.compute_steps(args, max_steps)
        self.state.max_steps = max_steps
        self.state.num_train_epochs = math.ceil(max_steps * args.rollouts_per_step * self.accelerator.num_processes
                                                / len(self.personas))
        self.state.is_local_process_zero = self.is_local_process_zero()
        self.state.is_world_process_zero = self.is_world_process_zero()
        self.state.train_batch_size = args.rollouts_per_step
        model = self._prepare(max_steps, resume)
        self._load_rng_state(resume)
        logger.info(
            "PPO: %d steps of %d conversations x %d processes, %d epochs x %d minibatches each",
            max_steps, args.rollouts_per_step, self.accelerator.num_processes, args.num_ppo_epochs,
            args.rollouts_per_step // args.mini_batch_size,
        )
        self.control = self.callback_handler.on_train_begin(args, self.state, self.control)
        pending: dict[str, list[float]] = defaultdict(list)
        losses: list[float] = []
        started = time.time()
        while self.state.global_step < max_steps and not self.control.should_training_stop:
            self.control = self.callback_handler.on_step_begin(args, self.state, self.control)
            metrics = self.ppo_step(model)
            losses.append(metrics["loss"])
            for key, value in metrics.items():
                pending[key].append(value)
            self.state.global_step += 1
            seen = self.state.global_step * args.rollouts_per_step * self.accelerator.num_processes
            self.state.epoch = seen / len(self.personas)
            self.control = self.callback_handler.on_step_end(args, self.state, self.control)
            if self.control.should_log:
                self.log({key: sum(values) / len(values) for key, values in pending.items()})
                pending.clear()
            if self.control.should_save:
                self._save_checkpoint(model, trial=None)
                self.control = self.callback_handler.on_save(args, self.state, self.control)
        self.control = self.callback_handler.on_train_end(args, self.state, self.control)
        self.is_in_train = False
        train_loss = sum(losses) / max(1, len(losses))
        return TrainOutput(self.state.global_step, train_loss, {"train_runtime": time.time() - started})

    def ppo_step(self, model) -> dict[str, float]:
        """Rollouts, rewards, advantages and the PPO updates of one step; returns the step's metrics."""
        started = time.perf_counter()
        batch, metrics = self.rollout()
        metrics.update(self.score(model, batch))
        metrics.update(self.update(model, batch))
        metrics["time/step_s"] = time.perf_counter() - started
        return metrics

    # 1. rollouts ----------------------------------------------------------------------------------------------

    def step_personas(self, step: int) -> tuple[list[int], list[int]]:
        """This process's persona indices and conversation seeds at ``step`` (all processes draw together)."""
        k = self.args.rollouts_per_step
        total = k * self.accelerator.num_processes
        if self.curriculum is not None and hasattr(self.curriculum, "indices"):
            drawn = list(self.curriculum.indices(step, total))
        else:
            drawn = draw_personas(step, total, len(self.personas), self.args.seed)
        rank = self.accelerator.process_index
        seeds = [self.args.seed * 100_003 + step * total + j for j in range(total)]
        return drawn[rank * k : (rank + 1) * k], seeds[rank * k : (rank + 1) * k]

    def rollout(self) -> tuple[RolloutBatch, dict[str, float]]:
        """Play this process's conversations with the policy; rewards placed on tokens; rollout metrics."""
        from accelerate.utils import gather_object
        from trl.models import unwrap_model_for_generation

        from rlemp.rollout import ModelPolicy, run_conversations

        started = time.perf_counter()
        step = self.state.global_step
        indices, seeds = self.step_personas(step)
        personas = [self.personas[i] for i in indices]
        with unwrap_model_for_generation(
            self.model_wrapped, self.accelerator, gather_deepspeed3_params=self.args.ds3_gather_for_generation
        ) as unwrapped:
            policy = ModelPolicy(
                unwrapped,
                self.processing_class,
                self.settings,
                thinking=self.rlemp_args.thinking,
                max_completion_tokens=self.args.max_completion_length,
                kv_cache=self.rlemp_args.rollout_kv_cache,
            )
            rollout = run_conversations(self.simulator, personas, policy, seeds, self.rlemp_args.max_turns)
        conversations = rollout.conversations
        finished = [i for i, c in enumerate(conversations) if not c.dropped]
        rewards = conversation_rewards(
            self.reward_funcs, self.reward_weights, [conversations[i].transcript for i in finished]
        )
        turn_rewards: list[list[float]] = [[] for _ in personas]
        final_rewards = [0.0] * len(personas)
        for j, i in enumerate(finished):
            turn_rewards[i], final_rewards[i] = rewards.turn[j], rewards.final[j]
        streams = [c.stream for c in conversations]
        batch = RolloutBatch.pack(
            [s.prompt_ids for s in streams],
            [s.completion_ids for s in streams],
            [[0] * len(c.stream.env_mask) if c.dropped else c.stream.env_mask for c in conversations],
            self.processing_class.pad_token_id,
            self.accelerator.device,
        )
        batch.turn_rewards, batch.final_rewards = turn_rewards, final_rewards

        metrics = self.ledger.book(rollout, step, started).metrics
        totals = gather_object(rewards.total)
        metrics["reward"] = _mean(totals)
        metrics["reward_std"] = _std(totals)
        for name in rewards.components:
            values = [v for v in gather_object(rewards.components[name]) if v is not None and not math.isnan(v)]
            metrics[f"rewards/{name}/mean"] = _mean(values)
            metrics[f"rewards/{name}/std"] = _std(values)
        metrics["completions/mean_length"] = self._mean_across(batch.completion_lengths.float().mean())
        return batch, metrics

    # 2-3. log-probabilities, values, rewards, advantages ----------------------------------------------------------

    def forward_micro(self, model, micro: dict[str, Any], reference: bool = False):
        """Per-token log-probabilities of the completion (at the sampling temperature), the values of the states
        before each token, and the logits they came from."""
        width = micro["completion_ids"].shape[1]
        logits, values = model(
            input_ids=micro["input_ids"],
            attention_mask=micro["attention_mask"],
            logits_to_keep=width + 1,
            reference=reference,
        )
        logits = logits[:, :-1]
        logprobs = selective_log_softmax(logits, micro["completion_ids"], self.args.temperature)
        return logprobs, None if values is None else values[:, :-1], logits

    @torch.no_grad()
    def score(self, model, batch: RolloutBatch) -> dict[str, float]:
        """Old log-probabilities and values, reference KL, token rewards, advantages and returns (in place)."""
        started = time.perf_counter()
        args = self.args
        use_reference = args.kl_coef > 0 or args.adaptive_kl
        model.eval()
        parts: dict[str, list[torch.Tensor]] = defaultdict(list)
        width = batch.agent_mask.shape[1]
        for index in torch.arange(len(batch), device=batch.input_ids.device).split(args.per_device_train_batch_size):
            micro = batch.micro(index)
            logprobs, values, _ = self.forward_micro(model, micro)
            parts["old_logprobs"].append(_pad_to(logprobs.float(), width))
            parts["old_values"].append(_pad_to(values, width))
            if use_reference:
                ref_logprobs, _, _ = self.forward_micro(model, micro, reference=True)
                parts["ref_logprobs"].append(_pad_to(ref_logprobs.float(), width))
        model.train()
        old_logprobs = torch.cat(parts["old_logprobs"])
        old_values = torch.cat(parts["old_values"])
        mask = batch.agent_mask
        kl = None
        if use_reference:
            kl = torch.where(mask, kl_penalty(old_logprobs, torch.cat(parts["ref_logprobs"]), args.kl_estimator), 0.0)
        rewards = place_rewards(mask, batch.turn_rewards, batch.final_rewards, kl, self.kl_controller.value)
        advantages, returns = compute_gae(rewards, old_values, mask, args.gamma, args.lam)
        if args.whiten_advantages:
            advantages = whiten(advantages, mask)
        batch.tensors.update(
            old_logprobs=old_logprobs, old_values=old_values, advantages=advantages, returns=returns
        )
        metrics = {
            "kl_coef": self.kl_controller.value,
            "value/mean": self._mean_across(masked_mean(old_values, mask)),
            "returns/mean": self._mean_across(masked_mean(returns, mask)),
            "value/explained_variance": self._mean_across(explained_variance(old_values, returns, mask)),
            "time/score_s": time.perf_counter() - started,
        }
        if kl is not None:
            per_conversation = self._mean_across(kl.sum(1).mean())
            metrics["kl"] = self._mean_across(masked_mean(kl, mask))
            metrics["kl/per_conversation"] = per_conversation
            if args.adaptive_kl:
                self.kl_controller.update(per_conversation, len(batch) * self.accelerator.num_processes)
        return metrics

    # 4. the PPO updates -----------------------------------------------------------------------------------------

    def update(self, model, batch: RolloutBatch) -> dict[str, float]:
        """``num_ppo_epochs`` passes over shuffled minibatches; one optimizer step per minibatch."""
        from accelerate.utils import DistributedType

        started = time.perf_counter()
        args = self.args
        deepspeed = self.accelerator.distributed_type == DistributedType.DEEPSPEED
        generator = torch.Generator().manual_seed(
            args.seed * 1_000_003 + self.state.global_step * 1009 + self.accelerator.process_index
        )
        stats: dict[str, list[torch.Tensor]] = defaultdict(list)
        grad_norms: list[float] = []
        model.train()
        for _ in range(args.num_ppo_epochs):
            order = torch.randperm(len(batch), generator=generator).to(batch.input_ids.device)
            for minibatch in order.split(args.mini_batch_size):
                micros = minibatch.split(args.per_device_train_batch_size)
                for i, index in enumerate(micros):
                    sync = i == len(micros) - 1
                    self.accelerator.gradient_state._set_sync_gradients(sync)
                    no_sync = contextlib.nullcontext() if sync or deepspeed else self.accelerator.no_sync(model)
                    with no_sync:
                        micro = batch.micro(index)
                        logprobs, values, logits = self.forward_micro(model, micro)
                        mask = micro["mask"]
                        pg_loss, pg_clipfrac = policy_loss(
                            logprobs, micro["old_logprobs"], micro["advantages"], mask, args.cliprange
                        )
                        vf_loss, vf_clipfrac = value_loss(
                            values, micro["old_values"], micro["returns"], mask, args.cliprange_value
                        )
                        loss = pg_loss + args.vf_coef * vf_loss
                        self.accelerator.backward(
                            loss / len(micros), **({"scale_wrt_gas": False} if deepspeed else {})
                        )
                    with torch.no_grad():
                        stats["policy/loss"].append(pg_loss.detach())
                        stats["value/loss"].append(vf_loss.detach())
                        stats["loss"].append(loss.detach())
                        stats["policy/clipfrac"].append(pg_clipfrac)
                        stats["value/clipfrac"].append(vf_clipfrac)
                        stats["policy/approx_kl"].append(approx_kl(logprobs, micro["old_logprobs"], mask))
                        entropy = entropy_from_logits(logits.detach() / args.temperature)
                        stats["entropy"].append(masked_mean(entropy, mask))
                        ratio = torch.exp(torch.where(mask, logprobs - micro["old_logprobs"], 0.0))
                        stats["policy/ratio"].append(masked_mean(ratio, mask))
                if args.max_grad_norm and args.max_grad_norm > 0:
                    norm = self.accelerator.clip_grad_norm_(model.parameters(), args.max_grad_norm)
                    if norm is not None:
                        grad_norms.append(float(norm))
                self.optimizer.step()
                if not self.accelerator.optimizer_step_was_skipped:
                    self.lr_scheduler.step()
                self.optimizer.zero_grad()
        metrics = {key: self._mean_across(torch.stack(values).mean()) for key, values in stats.items()}
        if grad_norms:
            metrics["grad_norm"] = sum(grad_norms) / len(grad_norms)
        learning_rates = self.lr_scheduler.get_last_lr()
        metrics["learning_rate"] = learning_rates[0]
        metrics["critic_learning_rate"] = learning_rates[-1]
        metrics["time/update_s"] = time.perf_counter() - started
        return metrics

    def _mean_across(self, value: torch.Tensor | float) -> float:
        """A scalar averaged over the processes."""
        tensor = torch.as_tensor(value, dtype=torch.float32, device=self.accelerator.device).detach()
        return float(self.accelerator.reduce(tensor, reduction="mean"))

    # checkpoints ------------------------------------------------------------------------------------------------

    def _zero3(self) -> bool:
        return self.is_deepspeed_enabled and self.accelerator.state.deepspeed_plugin.zero_stage == 3

    def save_model(self, output_dir: str | None = None, _internal_call: bool = False) -> None:
        """The policy adapter (the folder itself), the critic under ``critic/`` and the tokenizer."""
        from rlemp.trainers.common import gathered_trainable_parameters

        output_dir = output_dir or self.args.output_dir
        wrapper: PolicyAndValue = self.model
        with gathered_trainable_parameters(wrapper):  # a collective under ZeRO-3
            if self.args.should_save:
                os.makedirs(output_dir, exist_ok=True)
                wrapper.save_pretrained(output_dir)
                wrapper.save_critic(output_dir)
        if self.args.should_save:
            self.processing_class.save_pretrained(output_dir)
            torch.save(self.args, os.path.join(output_dir, "training_args.bin"))

    def _save_optimizer_and_scheduler(self, output_dir: str) -> None:
        if not self.is_deepspeed_enabled:
            return super()._save_optimizer_and_scheduler(output_dir)
        # DeepSpeed's checkpoint of the trainable parameters and optimizer (not the frozen base)
        self.model_wrapped.save_checkpoint(output_dir, exclude_frozen_parameters=True)
        if self.args.should_save and self.lr_scheduler is not None:
            torch.save(self.lr_scheduler.state_dict(), os.path.join(output_dir, "scheduler.pt"))

    def _save_checkpoint(self, model, trial) -> None:
        super()._save_checkpoint(model, trial)
        if self.args.should_save:
            folder = Path(self._get_output_dir(trial=trial)) / f"checkpoint-{self.state.global_step}"
            curriculum = self.curriculum.state_dict() if hasattr(self.curriculum, "state_dict") else None
            state = {"kl_coef": self.kl_controller.value, "curriculum": curriculum}
            (folder / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")

    def _load_ppo_state(self, folder: str) -> None:
        path = Path(folder) / STATE_FILE
        if not path.is_file():
            raise RlempError(f"{folder}: not a PPO checkpoint (missing {STATE_FILE})")
        state = json.loads(path.read_text(encoding="utf-8"))
        self.kl_controller.value = float(state["kl_coef"])
        if state.get("curriculum") is not None and hasattr(self.curriculum, "load_state_dict"):
            self.curriculum.load_state_dict(state["curriculum"])


def _pad_to(tensor: torch.Tensor, width: int) -> torch.Tensor:
    return torch.nn.functional.pad(tensor, (0, width - tensor.shape[1]))


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _std(values: Sequence[float]) -> float:
    if len(values) < 2:
        return 0.0 if values else float("nan")
    mean = _mean(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def make_trainer(parts: Parts, args: RlempArguments, training_args: PPOConfig, model_args) -> EmotionPPOTrainer:
    """The PPO trainer of a run: the base with policy and critic adapters (seeded), rewards and curriculum."""
    from transformers import set_seed

    if parts.peft_config is None:
        raise RlempError("the PPO trainer trains LoRA adapters: set use_peft: true in the recipe")
    set_seed(training_args.seed)  # the adapters' initial weights
    return EmotionPPOTrainer(
        model=PolicyAndValue.from_base(parts.model, parts.peft_config),
        args=training_args,
        processing_class=parts.tokenizer,
        rlemp_args=args,
        personas=parts.personas,
        simulator=parts.simulator,
        reward_funcs=parts.reward_funcs,
        reward_weights=parts.reward_weights,
        curriculum=parts.curriculum,
    )
