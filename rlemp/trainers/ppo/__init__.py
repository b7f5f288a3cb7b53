"""Multi-turn PPO with a LoRA critic (RLVER's best set-up): :mod:`.core` the algorithm's pure functions,
:mod:`.model` the policy and critic on one base, :mod:`.trainer` the loop."""

from trl.trainer.utils import entropy_from_logits

from rlemp.configs import PPOConfig
from rlemp.trainers.ppo.core import (
    AdaptiveKLController,
    ConversationRewards,
    agent_turn_ends,
    approx_kl,
    compute_gae,
    conversation_rewards,
    draw_personas,
    explained_variance,
    kl_penalty,
    masked_mean,
    masked_var,
    place_rewards,
    policy_loss,
    value_loss,
    whiten,
)
from rlemp.trainers.ppo.model import PolicyAndValue
from rlemp.trainers.ppo.trainer import EmotionPPOTrainer, RolloutBatch, make_trainer

__all__ = [
    "AdaptiveKLController",
    "ConversationRewards",
    "EmotionPPOTrainer",
    "PPOConfig",
    "PolicyAndValue",
    "RolloutBatch",
    "agent_turn_ends",
    "approx_kl",
    "compute_gae",
    "conversation_rewards",
    "draw_personas",
    "entropy_from_logits",
    "explained_variance",
    "kl_penalty",
    "make_trainer",
    "masked_mean",
    "masked_var",
    "place_rewards",
    "policy_loss",
    "value_loss",
    "whiten",
]
