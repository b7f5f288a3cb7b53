"""Multi-turn PPO with a learned critic (RLVER's best set-up), on the rollout engine, rewards and recipes of GRPO.

TRL no longer ships a PPO trainer, so this module has its own. :class:`EmotionPPOTrainer` subclasses
``transformers.Trainer`` and overrides ``train()`` with the PPO loop below, as TRL's old ``PPOTrainer`` did: the
accelerate/DeepSpeed preparation, ``self.state``, logging (``report_to``), callbacks and checkpoint rotation come
from the library.

**Models.** One frozen base model carries two LoRA adapters (:class:`PolicyAndValue`):

* the policy: adapter ``default`` (the one saved as the trained adapter);
* the critic: adapter ``critic`` (same rank, alpha and target modules as the policy's) plus a linear value head
  on the final hidden state;
* the reference: the same base with the adapters disabled (no extra copy of the weights).

Memory stays close to LoRA training: one copy of the base, twice the (small) adapter weights and optimizer
state, and a second forward/backward per minibatch that skips the ``lm_head``. The cheaper alternative, a value
head on the policy's own adapter (TRL's old ``AutoModelForCausalLMWithValueHead``), was not chosen: value-loss
gradients would move the policy, and the critic could not have its own learning rate (RLVER: 5e-6 against 1e-6).
Policy and critic are trained by one optimizer with two parameter groups (``learning_rate`` and
``critic_learning_rate``) on ``policy_loss + vf_coef * value_loss``: the two losses share no parameter, so each
group gets exactly its own loss's gradient (``vf_coef`` only matters for the joint gradient-norm clipping).
Gradient checkpointing is supported: the recomputation of each layer runs with the adapter that was active
when the layer first ran (``torch.utils.checkpoint``'s ``context_fn``).

**One PPO step** (``global_step`` counts these), CleanRL-style, each part a small function below:

1. rollouts: ``rollouts_per_step`` conversations per process with the batched engine (personas from the
   curriculum hook or a seeded draw, :func:`draw_personas`); each is one token stream (prompt, then agent and
   simulated-user tokens, with ``env_mask`` = 1 on the agent's own tokens);
2. rewards (:func:`conversation_rewards`), placed on tokens (:func:`place_rewards`): emotion rewards
   (``emotion_final`` / ``emotion_delta`` / ``emotion_turn_credit``) one per agent turn on that turn's last
   token (``final`` is non-zero only on the last turn, i.e. at the end of the conversation); every other reward
   (safety, length, flr, format) at the end of the conversation; minus ``kl_coef`` times the per-token KL to the
   reference (:func:`kl_penalty`, k1 or k3) on every agent token;
3. old log-probabilities and values (no gradient), then :func:`compute_gae` over the agent tokens only and
   :func:`whiten` of the advantages;
4. ``num_ppo_epochs`` epochs over shuffled minibatches of ``per_device_train_batch_size *
   gradient_accumulation_steps`` conversations (one optimizer step each, gradient accumulation within):
   :func:`policy_loss` (clipped) and :func:`value_loss` (clipped), on agent tokens only; simulated-user tokens
   and padding never receive gradient;
5. the optional :class:`AdaptiveKLController` updates ``kl_coef``; metrics are logged under the same names as
   GRPO (``emotion/*``, ``rewards/NAME/mean``, ``reward``, ``kl``, ``entropy``, ``rollout/*``, ``time/*``) plus
   PPO's own (``policy/*``, ``value/*``).

A conversation the simulator failed on stays in the batch fully masked (no reward, no loss) so that every
process runs the same number of forward/backward passes; failures count against ``max_failure_rate``.

**Checkpoints** (``checkpoint-N``): the policy adapter (the folder itself), the critic (``critic/``: its adapter
and ``value_head.safetensors``), optimizer and scheduler, RNG states, ``trainer_state.json`` (step, logs) and
``rlemp_ppo_state.json`` (the KL coefficient and the curriculum's ``state_dict()``). Under DeepSpeed the
optimizer state is DeepSpeed's own checkpoint of the trainable parameters. Resuming replays the same personas,
seeds and minibatch order, so a resumed run matches an uninterrupted one.

**Curriculum hook.** ``curriculum_factory(personas, simulator)`` may return an object; if it has
``indices(step, k)`` it chooses the personas of each step (``k`` = conversations on all processes together),
``record(persona_ids, successes)`` is told the outcomes (gathered from every process, in rank order), and
``state_dict()``/``load_state_dict()`` are saved and restored with checkpoints. Without one, personas come from
seeded permutations (every persona once per epoch).
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
from typing import Any, Callable, Literal, Optional, Sequence

import torch
from torch import nn
from transformers import Trainer, TrainingArguments
from trl.trainer.utils import entropy_from_logits, selective_log_softmax

from rlemp.configs import RlempArguments
from rlemp.errors import RlempError
from rlemp.personas import Persona
from rlemp.simulators.base import UserSimulator
from rlemp.transcript import Transcript

logger = logging.getLogger(__name__)

__all__ = [
    "AdaptiveKLController",
    "ConversationRewards",
    "EmotionPPOTrainer",
    "PPOConfig",
    "PolicyAndValue",
    "RolloutBatch",
    "agent_turn_ends",
    "approx_kl",
    "build_ppo_trainer",
    "compute_gae",
    "conversation_rewards",
    "draw_personas",
    "entropy_from_logits",
    "kl_penalty",
    "masked_mean",
    "masked_var",
    "place_rewards",
    "policy_loss",
    "value_loss",
    "whiten",
]

STATE_FILE = "rlemp_ppo_state.json"
VALUE_HEAD_FILE = "value_head.safetensors"


# --- the algorithm, as small pure functions ------------------------------------------------------------------
# Shapes: [B, T] per-token tensors over the completion (everything after the prompt); ``mask`` is 1 on the
# agent's own tokens. Masked positions are selected away with ``torch.where`` (never multiplied), so whatever
# they hold (padding, NaN) reaches neither a loss nor a gradient.


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of ``values`` over the positions where ``mask`` is set (0 when none is)."""
    mask = mask.bool()
    return torch.where(mask, values, 0.0).sum() / mask.sum().clamp(min=1)


def masked_var(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Population variance of ``values`` over the positions where ``mask`` is set."""
    return masked_mean((values - masked_mean(values, mask)) ** 2, mask)


def kl_penalty(
    logprobs: torch.Tensor, ref_logprobs: torch.Tensor, estimator: Literal["k1", "k3"] = "k1"
) -> torch.Tensor:
    """Per-token estimate of KL(policy || reference) from the sampled token (Schulman, "Approximating KL").

    ``k1`` = log p - log p_ref (unbiased, may be negative); ``k3`` = (r - 1) - log r with r = p_ref / p
    (unbiased, never negative, lower variance).
    """
    log_ratio = logprobs - ref_logprobs
    if estimator == "k1":
        return log_ratio
    if estimator == "k3":
        return torch.expm1(-log_ratio) + log_ratio
    raise ValueError(f"kl_estimator: expected k1 or k3, got {estimator!r}")


def agent_turn_ends(mask: torch.Tensor) -> torch.Tensor:
    """Boolean [B, T]: the last token of every agent turn (a maximal run of agent tokens)."""
    mask = mask.bool()
    following = torch.cat([mask[:, 1:], torch.zeros_like(mask[:, :1])], dim=1)
    return mask & ~following


def place_rewards(
    mask: torch.Tensor,
    turn_rewards: Sequence[Sequence[float]],
    sequence_rewards: Sequence[float],
    kl: torch.Tensor | None = None,
    kl_coef: float = 0.0,
) -> torch.Tensor:
    """Token-level rewards [B, T] for a batch of conversations.

    Conversation b's k-th turn reward goes on the last token of its k-th agent turn, its sequence reward on its
    last agent token, and every agent token gets ``-kl_coef * kl``. ``turn_rewards[b]`` must have one value per
    agent turn; a conversation without agent tokens (a simulator failure, fully masked) must have none, and
    its sequence reward is dropped.
    """
    mask = mask.bool()
    rewards = torch.zeros(mask.shape, dtype=torch.float32, device=mask.device)
    if kl is not None and kl_coef:
        rewards = rewards - kl_coef * torch.where(mask, kl.float(), 0.0)
    ends = agent_turn_ends(mask)
    for b in range(mask.shape[0]):
        positions = ends[b].nonzero().flatten().tolist()
        turns = list(turn_rewards[b])
        if len(turns) != len(positions):
            raise ValueError(f"conversation {b}: {len(turns)} turn rewards for {len(positions)} agent turns")
        for position, reward in zip(positions, turns):
            rewards[b, position] += reward
        if positions:
            rewards[b, positions[-1]] += sequence_rewards[b]
    return rewards


@torch.no_grad()
def compute_gae(
    rewards: torch.Tensor, values: torch.Tensor, mask: torch.Tensor, gamma: float, lam: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimates and returns [B, T] over the agent's tokens only.

    The agent's tokens form the trajectory; the simulated user's tokens (masked) are part of the environment's
    transition, so they are skipped: the value of the first agent token after a user message bootstraps the
    last agent token before it, and discounting counts agent tokens only. The last agent token is terminal
    (next value 0). ``delta_t = r_t + gamma * V_next - V_t``; ``A_t = delta_t + gamma * lam * A_next``;
    returns = A + V. Masked positions get 0 for both (their rewards are ignored).
    """
    mask = mask.bool()
    advantages = torch.zeros_like(rewards)
    next_value = torch.zeros_like(rewards[:, 0])
    next_advantage = torch.zeros_like(rewards[:, 0])
    for t in reversed(range(rewards.shape[1])):
        delta = rewards[:, t] + gamma * next_value - values[:, t]
        advantage = delta + gamma * lam * next_advantage
        here = mask[:, t]
        advantages[:, t] = torch.where(here, advantage, 0.0)
        next_value = torch.where(here, values[:, t], next_value)
        next_advantage = torch.where(here, advantage, next_advantage)
    returns = torch.where(mask, advantages + values, 0.0)
    return advantages, returns


def whiten(values: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True, eps: float = 1e-8) -> torch.Tensor:
    """``(x - mean) / sqrt(var + eps)`` with mean and (population) variance over the masked-in positions;
    ``shift_mean=False`` adds the mean back. Masked positions become 0."""
    mask = mask.bool()
    mean = masked_mean(values, mask)
    whitened = (values - mean) * torch.rsqrt(masked_var(values, mask) + eps)
    if not shift_mean:
        whitened = whitened + mean
    return torch.where(mask, whitened, 0.0)


def policy_loss(
    new_logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    cliprange: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """PPO's clipped surrogate over agent tokens: ``mean(max(-A * r, -A * clip(r, 1 - eps, 1 + eps)))`` with
    ``r = exp(new - old)``. Returns ``(loss, clipfrac)``, clipfrac being the share of tokens where clipping bound."""
    mask = mask.bool()
    ratio = torch.exp(torch.where(mask, new_logprobs - old_logprobs, 0.0))
    advantages = torch.where(mask, advantages, 0.0)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)
    loss = masked_mean(torch.maximum(unclipped, clipped), mask)
    clipfrac = masked_mean((clipped > unclipped).float(), mask)
    return loss, clipfrac


def value_loss(
    new_values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    cliprange_value: float,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Clipped value loss over agent tokens: ``0.5 * mean(max((V - R)^2, (V_clip - R)^2))`` with
    ``V_clip = V_old + clip(V - V_old, -eps, eps)``. Returns ``(loss, clipfrac)``."""
    mask = mask.bool()
    step = torch.where(mask, new_values - old_values, 0.0)
    error = torch.where(mask, new_values - returns, 0.0)
    clipped_error = torch.where(
        mask, old_values + torch.clamp(step, -cliprange_value, cliprange_value) - returns, 0.0
    )
    loss = 0.5 * masked_mean(torch.maximum(error**2, clipped_error**2), mask)
    clipfrac = masked_mean((clipped_error**2 > error**2).float(), mask)
    return loss, clipfrac


def approx_kl(new_logprobs: torch.Tensor, old_logprobs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``0.5 * mean((new - old)^2)`` over agent tokens: how far one update moved the policy (for logging)."""
    mask = mask.bool()
    return 0.5 * masked_mean(torch.where(mask, new_logprobs - old_logprobs, 0.0) ** 2, mask)


class AdaptiveKLController:
    """Ziegler et al. (2019): ``kl_coef *= 1 + clip(KL / target - 1, -0.2, 0.2) * n_steps / horizon``.

    ``current`` is the KL of a conversation (summed over its agent tokens, averaged over the batch) and
    ``n_steps`` the number of conversations it was measured on.
    """

    def __init__(self, init_kl_coef: float, target: float, horizon: int):
        self.value, self.target, self.horizon = init_kl_coef, target, horizon

    def update(self, current: float, n_steps: int) -> float:
        proportional_error = min(max(current / self.target - 1.0, -0.2), 0.2)
        self.value *= 1.0 + proportional_error * n_steps / self.horizon
        return self.value


def draw_personas(step: int, k: int, n: int, seed: int) -> list[int]:
    """The ``k`` persona indices of ``step`` when no curriculum chooses them: consecutive positions in an endless
    sequence of seeded permutations of ``range(n)``, so every persona comes once per epoch and a resumed run
    draws the same ones."""
    import numpy as np

    permutations: dict[int, list[int]] = {}
    drawn = []
    for position in range(step * k, step * k + k):
        epoch = position // n
        if epoch not in permutations:
            permutations[epoch] = np.random.default_rng([seed, epoch]).permutation(n).tolist()
        drawn.append(permutations[epoch][position % n])
    return drawn


@dataclass
class ConversationRewards:
    """The rewards of a batch of finished conversations, weighted, by where PPO places them."""

    turn: list[list[float]]  # weighted per-turn rewards, one list per conversation
    final: list[float]  # weighted end-of-conversation rewards
    components: dict[str, list[Optional[float]]]  # each reward function's value per conversation (for logging)
    total: list[float]  # the combined reward per conversation (as GRPO's ``reward``)


def conversation_rewards(
    funcs: Sequence[Callable], weights: Sequence[float], transcripts: Sequence[Transcript]
) -> ConversationRewards:
    """Every reward of the recipe on finished conversations, split by where PPO places it.

    A reward with a ``turn_rewards(transcript)`` method (the emotion rewards) gives one value per agent turn;
    the others are called as GRPO calls them (prompt = opening message, completion = the raw replies joined by
    blank lines, plus the ``transcript`` column) and count at the end of the conversation; None (does not
    apply) counts 0, as in :func:`rlemp.rewards.combine`.
    """
    from rlemp.rewards import evaluate_rewards
    from rlemp.rewards.format import raw_reply

    if len(funcs) != len(weights):
        raise RlempError(f"{len(weights)} reward weights for {len(funcs)} reward functions")
    per_turn_totals = [[0.0] * len(t.turns) for t in transcripts]
    final = [0.0] * len(transcripts)
    components: dict[str, list[Optional[float]]] = {}
    sequence_funcs = []
    for func, weight in zip(funcs, weights):
        if not hasattr(func, "turn_rewards"):
            sequence_funcs.append((func, weight))
            continue
        per_turn = [func.turn_rewards(t) for t in transcripts]
        for b, values in enumerate(per_turn):
            per_turn_totals[b] = [acc + weight * v for acc, v in zip(per_turn_totals[b], values)]
        components[func.__name__] = [sum(values) if values else None for values in per_turn]
    if sequence_funcs:
        prompts = [t.opening for t in transcripts]
        completions = ["\n\n".join(raw_reply(turn) for turn in t.turns) for t in transcripts]
        values = evaluate_rewards([f for f, _ in sequence_funcs], prompts, completions, transcript=list(transcripts))
        for func, weight in sequence_funcs:
            components[func.__name__] = values[func.__name__]
            for b, v in enumerate(values[func.__name__]):
                if v is not None and not math.isnan(v):
                    final[b] += weight * v
    total = [sum(t) + f for t, f in zip(per_turn_totals, final)]
    return ConversationRewards(per_turn_totals, final, components, total)


# --- configuration -------------------------------------------------------------------------------------------


@dataclass
class PPOConfig(TrainingArguments):
    """``TrainingArguments`` plus PPO's fields. ``learning_rate`` is the policy's (actor's) learning rate.

    One step = ``rollouts_per_step`` conversations per process, then ``num_ppo_epochs`` epochs over minibatches
    of ``per_device_train_batch_size * gradient_accumulation_steps`` conversations (one optimizer step each);
    ``rollouts_per_step`` must be a multiple of that minibatch size. ``max_steps`` counts PPO steps; when it is
    not set, ``num_train_epochs`` passes over the personas decide. The reward placement (per turn or at the end
    of the conversation) follows from the reward names, see the module docstring.
    """

    critic_learning_rate: Optional[float] = field(
        default=None, metadata={"help": "learning rate of the critic (adapter + value head); default 5 x learning_rate"}
    )
    rollouts_per_step: int = field(default=8, metadata={"help": "conversations per PPO step on each process"})
    num_ppo_epochs: int = field(default=4, metadata={"help": "passes over each step's conversations"})
    cliprange: float = field(default=0.2, metadata={"help": "policy ratio clipping epsilon"})
    cliprange_value: float = field(default=0.2, metadata={"help": "value clipping epsilon (around the old values)"})
    vf_coef: float = field(default=0.1, metadata={"help": "weight of the value loss in the joint loss"})
    gamma: float = field(default=1.0, metadata={"help": "discount per agent token"})
    lam: float = field(default=0.95, metadata={"help": "GAE lambda"})
    kl_coef: float = field(default=0.05, metadata={"help": "initial weight of the per-token KL penalty in the reward"})
    kl_estimator: str = field(default="k1", metadata={"help": "k1 or k3 (see kl_penalty)"})
    adaptive_kl: bool = field(default=False, metadata={"help": "adapt kl_coef towards target_kl (Ziegler et al.)"})
    target_kl: float = field(default=6.0, metadata={"help": "adaptive KL: target KL per conversation (nats)"})
    horizon: int = field(default=10000, metadata={"help": "adaptive KL: horizon in conversations"})
    whiten_advantages: bool = field(default=True, metadata={"help": "whiten advantages over the step's agent tokens"})
    temperature: float = field(default=1.0, metadata={"help": "sampling temperature (also scales the log-probs)"})
    top_p: float = field(default=1.0, metadata={"help": "nucleus sampling"})
    top_k: int = field(default=0, metadata={"help": "top-k sampling (0: off)"})
    max_completion_length: int = field(
        default=1024, metadata={"help": "token budget of a whole conversation after the prompt (agent + user)"}
    )
    ds3_gather_for_generation: bool = field(
        default=True, metadata={"help": "ZeRO-3: gather the weights for generation (faster, needs the memory)"}
    )
    logging_steps: float = field(default=1, metadata={"help": "log every N PPO steps"})
    bf16: bool = field(default=False, metadata={"help": "bf16 mixed precision"})

    def __post_init__(self):
        super().__post_init__()
        if self.critic_learning_rate is None:
            self.critic_learning_rate = 5 * self.learning_rate
        if self.ddp_find_unused_parameters is None:
            self.ddp_find_unused_parameters = False  # every trainable parameter is used in every forward
        minibatch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        checks = [
            (self.kl_estimator in ("k1", "k3"), f"kl_estimator: expected k1 or k3, got {self.kl_estimator!r}"),
            (self.rollouts_per_step >= 1, f"rollouts_per_step: expected >= 1, got {self.rollouts_per_step}"),
            (
                self.rollouts_per_step % minibatch == 0,
                f"rollouts_per_step ({self.rollouts_per_step}) must be a multiple of per_device_train_batch_size x "
                f"gradient_accumulation_steps ({minibatch})",
            ),
            (self.num_ppo_epochs >= 1, f"num_ppo_epochs: expected >= 1, got {self.num_ppo_epochs}"),
            (self.cliprange > 0 and self.cliprange_value > 0, "cliprange and cliprange_value must be positive"),
            (0 <= self.gamma <= 1 and 0 <= self.lam <= 1, "gamma and lam must lie in [0, 1]"),
            (self.kl_coef >= 0, f"kl_coef: expected >= 0, got {self.kl_coef}"),
            (self.kl_coef > 0 or not self.adaptive_kl, "adaptive_kl needs a positive initial kl_coef"),
            (self.target_kl > 0 and self.horizon > 0, "target_kl and horizon must be positive"),
            (self.temperature > 0, "temperature must be positive (PPO samples its rollouts)"),
            (self.max_completion_length > 0, "max_completion_length must be positive"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    @property
    def mini_batch_size(self) -> int:
        """Conversations per optimizer step on one process."""
        return self.per_device_train_batch_size * self.gradient_accumulation_steps


# --- the policy, the critic and the reference on one base ---------------------------------------------------


class PolicyAndValue(nn.Module):
    """A PEFT model with the policy adapter ``default`` and the critic adapter ``critic``, plus the value head.

    ``forward`` returns the policy's logits and the critic's values over the last ``logits_to_keep`` positions
    (or, with ``reference=True``, the base model's logits with every adapter disabled). ``save_pretrained`` and
    ``generate`` act on the policy, so the trainer's model saves and plays like the trained adapter.
    """

    POLICY, CRITIC = "default", "critic"

    def __init__(self, policy, value_head: nn.Linear):
        super().__init__()
        from peft.tuners.tuners_utils import BaseTunerLayer

        self.policy = policy
        self.value_head = value_head
        self.config = policy.config
        self._tuner_layers = [m for m in policy.modules() if isinstance(m, BaseTunerLayer)]
        self._active = self.POLICY
        self._set_adapter(self.POLICY)

    @classmethod
    def from_base(cls, base, peft_config) -> "PolicyAndValue":
        """Add both adapters (the same LoRA config) and a fresh value head to a loaded base model."""
        import copy

        from peft import get_peft_model, prepare_model_for_kbit_training

        if getattr(base, "is_loaded_in_4bit", False) or getattr(base, "is_loaded_in_8bit", False):
            base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=False)
        policy = get_peft_model(base, copy.deepcopy(peft_config), adapter_name=cls.POLICY)
        policy.add_adapter(cls.CRITIC, copy.deepcopy(peft_config))
        hidden_size = base.config.get_text_config().hidden_size
        head = nn.Linear(hidden_size, 1)
        nn.init.normal_(head.weight, std=1.0 / math.sqrt(hidden_size + 1))
        nn.init.zeros_(head.bias)
        return cls(policy, head.to(next(base.parameters()).device))

    # adapters ----------------------------------------------------------------------------------------------

    def _set_adapter(self, name: str) -> None:
        """Route the LoRA layers through adapter ``name``; both adapters stay trainable (PEFT's ``set_adapter``
        would freeze the other one, which must keep its gradient)."""
        for layer in self._tuner_layers:
            layer.set_adapter(name)
            layer.set_requires_grad([self.POLICY, self.CRITIC], True)
        self._active = name

    @contextlib.contextmanager
    def adapter(self, name: str):
        """Run the block with adapter ``name`` active, then restore the previous one."""
        previous = self._active
        if name != previous:
            self._set_adapter(name)
        try:
            yield
        finally:
            if name != previous:
                self._set_adapter(previous)

    def _recompute_context(self):
        """``context_fn`` for checkpointing: recompute a layer under the adapter it first ran with."""
        return contextlib.nullcontext(), self.adapter(self._active)

    def enable_gradient_checkpointing(self, kwargs: dict | None = None) -> None:
        """Non-reentrant activation checkpointing of the base's layers, adapter-aware (see the module docstring).
        ``kwargs`` as the recipe's ``activation_checkpointing_kwargs``."""
        kwargs = dict(kwargs or {})
        layer_options = {key: kwargs.pop(key) for key in ("every_n_layers", "offload") if key in kwargs}
        kwargs.update(use_reentrant=False, context_fn=self._recompute_context)
        base = self.policy.get_base_model()
        enable = getattr(base, "activation_checkpointing_enable", None) or base.gradient_checkpointing_enable
        enable(kwargs, **layer_options)

    @property
    def is_gradient_checkpointing(self) -> bool:
        """Always False for TRL's generation helper: generation runs in eval mode, where no layer checkpoints,
        so there is nothing to switch off (and switching it back on would drop the adapter-aware recompute)."""
        return False

    def policy_parameters(self) -> list[nn.Parameter]:
        return [p for n, p in self.policy.named_parameters() if p.requires_grad and f".{self.POLICY}." in n]

    def critic_parameters(self) -> list[nn.Parameter]:
        lora = [p for n, p in self.policy.named_parameters() if p.requires_grad and f".{self.CRITIC}." in n]
        return lora + list(self.value_head.parameters())

    # forward -----------------------------------------------------------------------------------------------

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, logits_to_keep: int = 0, reference: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(logits, values)`` over the last ``logits_to_keep`` positions (all when 0); ``values`` is None with
        ``reference=True``."""
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask, "use_cache": False}
        if reference:
            with self.policy.disable_adapter():
                return self.policy(**inputs, logits_to_keep=logits_to_keep).logits, None
        with self.adapter(self.POLICY):
            logits = self.policy(**inputs, logits_to_keep=logits_to_keep).logits
        base = self.policy.get_base_model()
        decoder = getattr(base, base.base_model_prefix)
        with self.adapter(self.CRITIC):
            hidden = decoder(**inputs).last_hidden_state
        hidden = hidden[:, -logits_to_keep:] if logits_to_keep else hidden
        values = self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1).float()
        return logits, values

    # the policy as the trained model -----------------------------------------------------------------------

    def generate(self, *args, **kwargs):
        """The policy's ``generate``. rlemp generates on whole weights only (outside ZeRO-3, or gathered by
        ``unwrap_model_for_generation``), so processes need not step together: each plays its own conversations,
        which end after different numbers of turns (transformers would otherwise sync every token under ZeRO-3
        and hang when one process makes fewer calls)."""
        kwargs.setdefault("synced_gpus", False)
        return self.policy.generate(*args, **kwargs)

    @property
    def name_or_path(self) -> str:
        return self.policy.get_base_model().name_or_path

    def save_pretrained(self, save_directory: str | Path, **kwargs) -> None:
        """Save the policy adapter only (what ``rlemp train`` publishes)."""
        self.policy.save_pretrained(str(save_directory), selected_adapters=[self.POLICY], **kwargs)

    def save_critic(self, save_directory: str | Path) -> None:
        """Save the critic adapter and the value head under ``save_directory/critic``."""
        from safetensors.torch import save_file

        self.policy.save_pretrained(str(save_directory), selected_adapters=[self.CRITIC])
        state = {k: v.detach().contiguous().cpu() for k, v in self.value_head.state_dict().items()}
        save_file(state, str(Path(save_directory) / self.CRITIC / VALUE_HEAD_FILE))

    def load_checkpoint(self, folder: str | Path) -> None:
        """Load the policy adapter, the critic adapter and the value head saved in a checkpoint folder."""
        from peft import set_peft_model_state_dict
        from safetensors.torch import load_file

        folder = Path(folder)
        files = {
            self.POLICY: folder / "adapter_model.safetensors",
            self.CRITIC: folder / self.CRITIC / "adapter_model.safetensors",
            "head": folder / self.CRITIC / VALUE_HEAD_FILE,
        }
        missing = [str(path) for path in files.values() if not path.is_file()]
        if missing:
            raise RlempError(f"{folder}: not a PPO checkpoint (missing {', '.join(missing)})")
        for name in (self.POLICY, self.CRITIC):
            result = set_peft_model_state_dict(self.policy, load_file(str(files[name])), adapter_name=name)
            if getattr(result, "unexpected_keys", None):
                raise RlempError(f"{files[name]}: does not fit this model ({result.unexpected_keys[0]} ...)")
        device = self.value_head.weight.device
        self.value_head.load_state_dict({k: v.to(device) for k, v in load_file(str(files["head"])).items()})


# --- rollout batches -----------------------------------------------------------------------------------------


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

        from rlemp.trainers.common import FailureBudget, generation_settings, open_transcript_log

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
        self.failure_budget = FailureBudget(rlemp_args.max_failure_rate)
        self.kl_controller = AdaptiveKLController(args.kl_coef, args.target_kl, args.horizon)
        self.transcript_log = open_transcript_log(args.output_dir, self.accelerator.is_main_process)
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

        from rlemp.rollout import ModelPolicy, rollout_model
        from rlemp.trainers.common import rollout_metrics

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
            result, streams = rollout_model(policy, self.simulator, personas, seeds, self.rlemp_args.max_turns)
        finished = [i for i in range(len(personas)) if i not in result.failures]
        rewards = conversation_rewards(
            self.reward_funcs, self.reward_weights, [result.transcripts[i] for i in finished]
        )
        turn_rewards: list[list[float]] = [[] for _ in personas]
        final_rewards = [0.0] * len(personas)
        for j, i in enumerate(finished):
            turn_rewards[i], final_rewards[i] = rewards.turn[j], rewards.final[j]
        batch = RolloutBatch.pack(
            [s.prompt_ids for s in streams],
            [s.completion_ids for s in streams],
            [[0] * len(s.env_mask) if i in result.failures else s.env_mask for i, s in enumerate(streams)],
            self.processing_class.pad_token_id,
            self.accelerator.device,
        )
        batch.turn_rewards, batch.final_rewards = turn_rewards, final_rewards

        # metrics and transcripts from every process; the main process writes the transcripts
        transcripts = gather_object([result.transcripts[i] for i in finished])
        failed = sum(gather_object([len(result.failures)]))
        self.failure_budget.add(transcripts, failed)
        if self.curriculum is not None and hasattr(self.curriculum, "record"):
            self.curriculum.record([t.persona_id for t in transcripts], [t.outcome == "success" for t in transcripts])
        metrics = rollout_metrics(transcripts)
        totals = gather_object(rewards.total)
        metrics["reward"] = _mean(totals)
        metrics["reward_std"] = _std(totals)
        for name in rewards.components:
            values = [v for v in gather_object(rewards.components[name]) if v is not None and not math.isnan(v)]
            metrics[f"rewards/{name}/mean"] = _mean(values)
            metrics[f"rewards/{name}/std"] = _std(values)
        agent = batch.agent_mask.sum(1).float()
        lengths = batch.completion_lengths.float()
        metrics["rollout/dropped"] = float(failed)
        metrics["rollout/policy_tokens"] = self._mean_across(agent.mean())
        metrics["rollout/user_tokens"] = self._mean_across((lengths - agent).mean())
        metrics["completions/mean_length"] = self._mean_across(lengths.mean())
        metrics["time/rollout_s"] = time.perf_counter() - started
        if self.transcript_log is not None:
            for t in transcripts:
                t.meta.update({"step": step, "algorithm": "ppo"})
                self.transcript_log.write(t)
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
            "value/explained_variance": self._mean_across(_explained_variance(old_values, returns, mask)),
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


def _explained_variance(values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """1 - Var(returns - values) / Var(returns) over agent tokens (1: a perfect critic; <= 0: no better than a
    constant)."""
    return 1.0 - masked_var(returns - values, mask) / masked_var(returns, mask).clamp(min=1e-8)


def build_ppo_trainer(args: RlempArguments, training_args: PPOConfig, model_args, curriculum_factory=None):
    """The PPO trainer for a parsed recipe: base model with policy and critic adapters, personas, simulator,
    rewards (with their weights) and the curriculum."""
    from transformers import set_seed

    from rlemp.rewards import build_rewards
    from rlemp.trainers.common import (
        build_training_simulator,
        load_policy,
        load_scorer,
        load_training_personas,
    )

    personas = load_training_personas(args)
    simulator = build_training_simulator(args)
    base, tokenizer, peft_config = load_policy(model_args, training_args)
    if peft_config is None:
        raise RlempError("the PPO trainer trains LoRA adapters: set use_peft: true in the recipe")
    scorer, scorer_tokenizer = load_scorer(args, model_args)
    reward_funcs, weights = build_rewards(args.rewards, scorer_model=scorer, tokenizer=scorer_tokenizer)
    curriculum = curriculum_factory(personas, simulator) if curriculum_factory else None
    set_seed(training_args.seed)  # the adapters' and value head's initial weights
    model = PolicyAndValue.from_base(base, peft_config)
    return EmotionPPOTrainer(
        model=model,
        args=training_args,
        processing_class=tokenizer,
        rlemp_args=args,
        personas=personas,
        simulator=simulator,
        reward_funcs=reward_funcs,
        reward_weights=weights,
        curriculum=curriculum,
    )
