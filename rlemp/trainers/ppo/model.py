"""The policy, the critic and the reference on one frozen base model (:class:`PolicyAndValue`).

* the policy: LoRA adapter ``default`` (the one saved as the trained adapter);
* the critic: LoRA adapter ``critic`` (the policy's rank, alpha and target modules) plus a linear value head on
  the final hidden state;
* the reference: the same base with the adapters disabled (no extra copy of the weights).

Why a second adapter rather than a value head on the policy's own adapter (TRL's old
``AutoModelForCausalLMWithValueHead``): value-loss gradients would move the policy, and the critic could not have
its own learning rate (RLVER: 5e-6 against 1e-6). Memory stays close to LoRA training: one copy of the base, twice
the small adapter weights, and a second forward/backward per minibatch that skips the ``lm_head``. Gradient
checkpointing recomputes each layer under the adapter that was active when it first ran (``context_fn``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch
from torch import nn

from rlemp.errors import RlempError

VALUE_HEAD_FILE = "value_head.safetensors"


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
        """Add both adapters (the same LoRA config) and a zero value head to a loaded base model."""
        import copy

        from peft import get_peft_model, prepare_model_for_kbit_training

        if getattr(base, "is_loaded_in_4bit", False) or getattr(base, "is_loaded_in_8bit", False):
            base = prepare_model_for_kbit_training(base, use_gradient_checkpointing=False)
        policy = get_peft_model(base, copy.deepcopy(peft_config), adapter_name=cls.POLICY)
        policy.add_adapter(cls.CRITIC, copy.deepcopy(peft_config))
        hidden_size = base.config.get_text_config().hidden_size
        head = nn.Linear(hidden_size, 1)
        # Zero, not random: a random head on unit-scale hidden states predicts values of about +-1 per token,
        # twenty times the returns (emotion points / 100), and those errors, whitened, would be the advantages.
        # From zero the first advantages are the returns themselves until the critic has learnt something.
        nn.init.zeros_(head.weight)
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
