"""PPO's algorithm as small pure functions, CleanRL-style: rewards on tokens, KL, GAE, whitening, the clipped
losses, the adaptive KL controller and the persona draw.

Shapes: [B, T] per-token tensors over the completion (everything after the prompt); ``mask`` is 1 on the agent's
own tokens. Masked positions are selected away with ``torch.where`` (never multiplied), so whatever they hold
(padding, NaN) reaches neither a loss nor a gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal, Optional, Sequence

import torch

from rlemp.errors import RlempError
from rlemp.transcript import Transcript


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


def explained_variance(values: torch.Tensor, returns: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """1 - Var(returns - values) / Var(returns) over agent tokens (1: a perfect critic; <= 0: no better than a
    constant)."""
    return 1.0 - masked_var(returns - values, mask) / masked_var(returns, mask).clamp(min=1e-8)
