"""PPO with a LoRA critic: every piece of the algorithm against hand computations, masking, and short runs on
the tiny model (weights that must and must not move, checkpoint + resume, the command line)."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from trl.trainer.utils import selective_log_softmax

from rlemp.errors import RlempError
from rlemp.trainers.ppo import (
    AdaptiveKLController,
    PolicyAndValue,
    RolloutBatch,
    approx_kl,
    compute_gae,
    conversation_rewards,
    draw_personas,
    entropy_from_logits,
    kl_penalty,
    place_rewards,
    policy_loss,
    value_loss,
    whiten,
)

ROOT = Path(__file__).resolve().parents[1]
PERSONAS = ROOT / "tests" / "data" / "personas_small.jsonl"
RECIPE = ROOT / "recipes" / "tiny" / "ppo.yaml"

torch.set_num_threads(1)


def t(*rows):
    return torch.tensor(rows, dtype=torch.float32)


# --- the algorithm ----------------------------------------------------------------------------------------------


def test_kl_penalty_k1_and_k3():
    logprobs, ref = t([-1.0, -2.0]), t([-1.5, -1.0])
    assert torch.allclose(kl_penalty(logprobs, ref, "k1"), t([0.5, -1.0]))
    # k3 = (r - 1) - log r with r = p_ref / p
    r = [math.exp(-1.5 + 1.0), math.exp(-1.0 + 2.0)]
    expected = t([(r[0] - 1) - math.log(r[0]), (r[1] - 1) - math.log(r[1])])
    assert torch.allclose(kl_penalty(logprobs, ref, "k3"), expected)
    assert (kl_penalty(logprobs, ref, "k3") >= 0).all()
    with pytest.raises(ValueError):
        kl_penalty(logprobs, ref, "k2")


def test_place_rewards_turn_ends_sequence_end_and_kl():
    # conversation 0: agent turn (2 tokens), user (2 tokens), agent turn (2 tokens); conversation 1 failed
    mask = torch.tensor([[1, 1, 0, 0, 1, 1], [0, 0, 0, 0, 0, 0]])
    kl = t([0.2, 0.4, 9.0, 9.0, -0.2, 0.6], [1.0] * 6)
    rewards = place_rewards(mask, [[0.1, 0.3], []], [0.5, 0.7], kl, kl_coef=0.1)
    expected = t(
        [-0.02, -0.04 + 0.1, 0.0, 0.0, 0.02, -0.06 + 0.3 + 0.5],
        [0.0] * 6,
    )
    assert torch.allclose(rewards, expected)
    with pytest.raises(ValueError, match="1 turn rewards for 2 agent turns"):
        place_rewards(mask, [[0.1], []], [0.0, 0.0])


def test_compute_gae_skips_user_tokens():
    rewards = t([0.0, 1.0, 99.0, 0.0, 2.0])
    values = t([0.5, 0.2, 77.0, 0.4, 0.1])
    mask = torch.tensor([[1, 1, 0, 1, 1]])
    gamma, lam = 0.9, 0.8
    # by hand, agent tokens 0, 1, 3, 4; token 2 (user) is skipped: V(3) bootstraps token 1
    a4 = 2.0 + 0.0 - 0.1
    a3 = (0.0 + gamma * 0.1 - 0.4) + gamma * lam * a4
    a1 = (1.0 + gamma * 0.4 - 0.2) + gamma * lam * a3
    a0 = (0.0 + gamma * 0.2 - 0.5) + gamma * lam * a1
    advantages, returns = compute_gae(rewards, values, mask, gamma, lam)
    assert torch.allclose(advantages, t([a0, a1, 0.0, a3, a4]))
    assert torch.allclose(returns, t([a0 + 0.5, a1 + 0.2, 0.0, a3 + 0.4, a4 + 0.1]))
    # gamma = lambda = 1 (RLVER): the advantage is the sum of the agent's future rewards minus the value
    advantages, returns = compute_gae(rewards, values, mask, 1.0, 1.0)
    assert torch.allclose(advantages, t([3.0 - 0.5, 3.0 - 0.2, 0.0, 2.0 - 0.4, 2.0 - 0.1]))
    assert torch.allclose(returns, t([3.0, 3.0, 0.0, 2.0, 2.0]))


def test_whiten_over_masked_tokens():
    values, mask = t([1.0, 2.0, 3.0, 100.0]), torch.tensor([[1, 1, 1, 0]])
    std = math.sqrt(2 / 3)
    assert torch.allclose(whiten(values, mask), t([-1 / std, 0.0, 1 / std, 0.0]), atol=1e-6)
    assert torch.allclose(whiten(values, mask, shift_mean=False), t([2 - 1 / std, 2.0, 2 + 1 / std, 0.0]), atol=1e-6)


def test_policy_loss_clips_both_sides():
    old = t([0.0, 0.0, 0.0, 0.0])
    new = torch.log(t([1.5, 0.5, 1.1, 3.0])).requires_grad_()
    advantages = t([1.0, -1.0, 2.0, 5.0])
    mask = torch.tensor([[1, 1, 1, 0]])
    loss, clipfrac = policy_loss(new, old, advantages, mask, cliprange=0.2)
    # token 0: max(-1.5, -1.2) = -1.2 (clipped); token 1: max(0.5, 0.8) = 0.8 (clipped); token 2: -2.2
    assert loss.item() == pytest.approx((-1.2 + 0.8 - 2.2) / 3)
    assert clipfrac.item() == pytest.approx(2 / 3)
    loss.backward()
    # clipped tokens and the masked one get no gradient; token 2: d/dlogp (-A * r) / 3 = -2 * 1.1 / 3
    assert torch.allclose(new.grad, t([0.0, 0.0, -2 * 1.1 / 3, 0.0]))


def test_value_loss_clips_around_old_values():
    new = t([1.0, 0.0, 0.5, 7.0])
    old = t([0.5, 0.5, 0.5, 0.0])
    returns = t([2.0, 0.0, 0.0, 0.0])
    mask = torch.tensor([[1, 1, 1, 0]])
    loss, clipfrac = value_loss(new, old, returns, mask, cliprange_value=0.2)
    # token 0: V_clip = 0.7, max(1.0, 1.69); token 1: V_clip = 0.3, max(0, 0.09); token 2: 0.25
    assert loss.item() == pytest.approx(0.5 * (1.69 + 0.09 + 0.25) / 3)
    assert clipfrac.item() == pytest.approx(2 / 3)


def test_entropy_approx_kl_and_adaptive_kl():
    logits = torch.log(t([0.5, 0.25, 0.25]))
    assert entropy_from_logits(logits).item() == pytest.approx(-(0.5 * math.log(0.5) + 0.5 * math.log(0.25)))
    assert entropy_from_logits(torch.zeros(1, 8)).item() == pytest.approx(math.log(8))
    new, old, mask = t([0.1, -0.3, 5.0]), t([0.0, 0.0, 0.0]), torch.tensor([[1, 1, 0]])
    assert approx_kl(new, old, mask).item() == pytest.approx(0.5 * (0.01 + 0.09) / 2)
    controller = AdaptiveKLController(0.1, target=6.0, horizon=100)
    assert controller.update(9.0, n_steps=10) == pytest.approx(0.1 * (1 + 0.2 * 10 / 100))  # error clipped to 0.2
    assert controller.update(5.4, n_steps=10) == pytest.approx(0.1 * 1.02 * (1 - 0.1 * 10 / 100))


def test_masked_tokens_never_receive_gradient():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 11, requires_grad=True)
    values = torch.randn(2, 6, requires_grad=True)
    ids = torch.randint(0, 11, (2, 6))
    mask = torch.tensor([[1, 1, 0, 0, 1, 0], [0, 1, 1, 0, 0, 0]])
    nan = torch.full((2, 6), float("nan"))
    # whatever the masked positions hold (here NaN) must not reach the loss or any gradient
    old_logprobs = torch.where(mask.bool(), torch.randn(2, 6), nan)
    advantages = torch.where(mask.bool(), torch.randn(2, 6), nan)
    returns = torch.where(mask.bool(), torch.randn(2, 6), nan)
    old_values = torch.where(mask.bool(), values.detach() + 0.5 * torch.randn(2, 6), nan)
    logprobs = selective_log_softmax(logits, ids)
    pg, _ = policy_loss(logprobs, old_logprobs, advantages, mask, 0.2)
    vf, _ = value_loss(values, old_values, returns, mask, 0.2)
    (pg + vf).backward()
    assert torch.isfinite(pg + vf)
    masked = ~mask.bool()
    assert torch.equal(logits.grad[masked], torch.zeros_like(logits.grad[masked]))
    assert torch.equal(values.grad[masked], torch.zeros_like(values.grad[masked]))
    assert logits.grad[mask.bool()].abs().sum() > 0 and values.grad[mask.bool()].abs().sum() > 0


def test_draw_personas_covers_each_persona_once_per_epoch():
    drawn = [i for step in range(5) for i in draw_personas(step, k=3, n=5, seed=7)]
    assert sorted(drawn[:5]) == list(range(5)) and sorted(drawn[5:10]) == list(range(5))
    assert draw_personas(3, 3, 5, 7) == draw_personas(3, 3, 5, 7)
    assert drawn[:5] != [i for step in range(2) for i in draw_personas(step, 3, 5, seed=8)][:5]


def test_rollout_batch_pads_prompts_left_and_completions_right():
    batch = RolloutBatch.pack([[1, 2, 3], [4]], [[5, 6], [7, 8, 9, 10]], [[1, 0], [0, 1, 1, 0]], pad_id=0)
    assert batch.input_ids.tolist() == [[1, 2, 3, 5, 6, 0, 0], [0, 0, 4, 7, 8, 9, 10]]
    assert batch.attention_mask.tolist() == [[1, 1, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 1, 1]]
    micro = batch.micro(torch.tensor([0]))
    assert micro["input_ids"].tolist() == [[1, 2, 3, 5, 6]]
    assert micro["completion_ids"].tolist() == [[5, 6]] and micro["mask"].tolist() == [[True, False]]
    micro = batch.micro(torch.tensor([1]))
    assert micro["input_ids"].tolist() == [[4, 7, 8, 9, 10]]


def test_conversation_rewards_placement_follows_reward_names():
    from rlemp.personas import load_personas
    from rlemp.rewards import build_rewards, combine, evaluate_rewards
    from rlemp.rewards.emotion import turn_rewards
    from rlemp.rollout import run_scripted
    from rlemp.simulators import build_simulator

    replies = ["That sounds really hard. What happened?", "I hear you. You deserve support.", "Tell me more."]
    transcripts = run_scripted(build_simulator("rule"), load_personas(PERSONAS)[:3], replies, seed=1, max_turns=3)
    funcs, weights = build_rewards(
        [{"name": "emotion_delta", "weight": 2.0}, {"name": "safety"}, {"name": "length", "weight": 0.5}]
    )
    rewards = conversation_rewards(funcs, weights, transcripts)
    for b, transcript in enumerate(transcripts):
        assert rewards.turn[b] == pytest.approx([2.0 * r for r in turn_rewards(transcript, "delta")])
    completions = ["\n\n".join(turn.agent for turn in t.turns) for t in transcripts]
    values = evaluate_rewards(funcs, [t.opening for t in transcripts], completions, transcript=transcripts)
    final = combine([values["safety"], values["length"]], [1.0, 0.5])
    assert rewards.final == pytest.approx([0.0 if math.isnan(v) else v for v in final])
    # the total is GRPO's combined reward for the same conversations
    assert rewards.total == pytest.approx(combine(list(values.values()), weights))
    assert set(rewards.components) == {"emotion_delta", "safety", "length"}


def test_ppo_config_rejects_inconsistent_batches(tmp_path):
    from rlemp.configs import parse_recipe

    argv = ["--config", str(RECIPE), "--output_dir", str(tmp_path), "--rollouts_per_step", "6"]
    with pytest.raises(RlempError, match="rollouts_per_step \\(6\\) must be a multiple"):
        parse_recipe(argv)
    with pytest.raises(RlempError, match="kl_estimator"):
        parse_recipe(["--config", str(RECIPE), "--output_dir", str(tmp_path), "--kl_estimator", "k2"])
    _, config, _ = parse_recipe(["--config", str(RECIPE), "--output_dir", str(tmp_path)])
    assert (config.learning_rate, config.critic_learning_rate, config.mini_batch_size) == (2e-4, 1e-3, 4)


# --- the model -------------------------------------------------------------------------------------------------


def tiny_policy_and_value(model_dir) -> PolicyAndValue:
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, set_seed

    set_seed(0)
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    model = PolicyAndValue.from_base(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    with torch.no_grad():  # distinct, non-zero adapters and head so that routing mistakes show
        for name, p in model.named_parameters():
            if "lora_B" in name or name == "value_head.weight":
                p.normal_(0, 0.1)
    return model


def test_a_fresh_critic_values_every_state_at_zero(tiny_model_dir):
    """A random head would predict values far from the returns (emotion points / 100), and GAE would turn that
    noise into the first advantages; from a zero head the first advantages are the returns themselves."""
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    model = PolicyAndValue.from_base(base, LoraConfig(r=4, lora_alpha=8, target_modules="all-linear"))
    ids = torch.randint(0, 1000, (2, 6), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, values = model(ids, torch.ones_like(ids))
    assert torch.equal(values, torch.zeros(2, 6))
    rewards = torch.tensor([[0.0, 0.05, 0.0, -0.02, 0.5, 0.0]])
    mask = torch.tensor([[1, 1, 0, 1, 1, 0]])
    advantages, returns = compute_gae(rewards, values[:1], mask, gamma=1.0, lam=1.0)
    assert torch.allclose(advantages, torch.tensor([[0.53, 0.53, 0.0, 0.48, 0.5, 0.0]]))
    assert torch.equal(advantages, returns)


def test_adapters_route_and_checkpointing_recomputes_with_the_right_adapter(tiny_model_dir):
    ids = torch.randint(0, 1000, (2, 10), generator=torch.Generator().manual_seed(0))
    attention = torch.ones_like(ids)

    def gradients(checkpointing: bool):
        model = tiny_policy_and_value(tiny_model_dir)
        if checkpointing:
            model.enable_gradient_checkpointing()
        model.train()
        logits, values = model(ids, attention, logits_to_keep=5)
        (logits.logsumexp(-1).mean() + (values**2).mean()).backward()
        return model, {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}

    model, plain = gradients(False)
    assert any(".critic." in n for n in plain) and any(".default." in n for n in plain)
    assert all(".critic." in n or ".default." in n or n.startswith("value_head") for n in plain)
    _, checkpointed = gradients(True)
    assert plain.keys() == checkpointed.keys()
    for name in plain:
        assert torch.allclose(plain[name], checkpointed[name], atol=1e-6), name
    with torch.no_grad():
        policy_logits, _ = model(ids, attention)
        reference_logits, none = model(ids, attention, reference=True)
        with model.policy.disable_adapter():
            base_logits = model.policy(input_ids=ids, attention_mask=attention).logits
    assert none is None and torch.allclose(reference_logits, base_logits)
    assert not torch.allclose(policy_logits, reference_logits)


# --- short runs on the tiny model ---------------------------------------------------------------------------------


class RecordingCurriculum:
    """The curriculum hook's interface: chooses each step's personas, hears the outcomes, saves its position."""

    def __init__(self, n: int):
        self.n, self.recorded, self.loaded = n, [], None

    def indices(self, step: int, k: int) -> list[int]:
        return [(step * k + j) % self.n for j in range(k)]

    def record(self, persona_ids, successes) -> None:
        self.recorded.extend(persona_ids)

    def state_dict(self) -> dict:
        return {"recorded": len(self.recorded)}

    def load_state_dict(self, state: dict) -> None:
        self.loaded = state


def tiny_trainer(model_dir, output_dir, *extra):
    from rlemp.configs import parse_recipe
    from rlemp.trainers.common import build_parts
    from rlemp.trainers.ppo import make_trainer

    argv = [
        "--config", str(RECIPE), "--model_name_or_path", str(model_dir), "--personas", str(PERSONAS),
        "--output_dir", str(output_dir), "--max_turns", "2", "--max_turn_tokens", "12",
        "--max_completion_length", "160", "--rollouts_per_step", "4", "--per_device_train_batch_size", "2",
        "--num_ppo_epochs", "1", "--max_steps", "2", "--save_steps", "1", "--report_to", "none",
        "--disable_tqdm", "true", *extra,
    ]
    args, training_args, model_args = parse_recipe(argv)
    parts = build_parts(args, training_args, model_args)
    parts.curriculum = RecordingCurriculum(len(parts.personas))
    return make_trainer(parts, args, training_args, model_args)


def snapshot(model: PolicyAndValue) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def test_ppo_steps_train_policy_and_critic_only(tiny_model_dir, tmp_path):
    trainer = tiny_trainer(tiny_model_dir, tmp_path / "run")
    before = snapshot(trainer.model)
    trainer.train()
    after = snapshot(trainer.model)
    assert trainer.state.global_step == 2
    changed = {name for name in before if not torch.equal(before[name], after[name])}
    policy = {n for n in before if ".default." in n}
    critic = {n for n in before if ".critic." in n or n.startswith("value_head")}
    base = set(before) - policy - critic
    assert base and not (changed & base), "the frozen base moved"
    assert any("lora_B" in n for n in changed & policy), "the policy adapter did not train"
    assert any("lora_B" in n for n in changed & critic) and {"value_head.weight"} & changed, "the critic did not train"

    logged = {key for row in trainer.state.log_history for key in row}
    for key in ("emotion/final_mean", "emotion/success_rate", "emotion/failure_rate", "emotion/turns_mean",
                "reward", "rewards/emotion_delta/mean", "rewards/safety/mean", "rewards/length/mean", "kl",
                "entropy", "policy/approx_kl", "policy/clipfrac", "value/clipfrac", "policy/loss", "value/loss",
                "time/step_s", "time/rollout_s", "learning_rate", "critic_learning_rate"):
        assert key in logged, key
    transcripts = [json.loads(line) for line in (tmp_path / "run" / "transcripts.jsonl").read_text().splitlines()]
    assert len(transcripts) == 8 and {t["meta"]["algorithm"] for t in transcripts} == {"ppo"}
    # the curriculum chose the personas (in order: 0-3 at step 0, 4-7 at step 1) and heard every outcome
    ids = [p.id for p in trainer.personas]
    assert sorted(t["persona_id"] for t in transcripts) == sorted(ids)
    assert sorted(trainer.curriculum.recorded) == sorted(ids)

    # the checkpoint holds the policy adapter, the critic and the training state; resuming from step 1 in a
    # fresh output folder reaches step 2 with exactly the weights and optimizer state of the uninterrupted run
    first = tmp_path / "run" / "checkpoint-1"
    for name in ("adapter_model.safetensors", "critic/adapter_model.safetensors", "critic/value_head.safetensors",
                 "optimizer.pt", "scheduler.pt", "rng_state.pth", "trainer_state.json", "rlemp_ppo_state.json"):
        assert (first / name).is_file(), name
    resumed_dir = tmp_path / "resumed"
    shutil.copytree(first, resumed_dir / "checkpoint-1")
    resumed = tiny_trainer(tiny_model_dir, resumed_dir)
    resumed.train(resume_from_checkpoint=str(resumed_dir / "checkpoint-1"))
    assert resumed.state.global_step == 2
    assert resumed.curriculum.loaded == {"recorded": 4}
    assert [row["step"] for row in resumed.state.log_history if "reward" in row] == [1, 2]
    final = snapshot(resumed.model)
    for name in after:
        assert torch.equal(after[name], final[name]), name
    saved = torch.load(tmp_path / "run" / "checkpoint-2" / "optimizer.pt", weights_only=True)["state"]
    restored = resumed.optimizer.state_dict()["state"]
    for index in saved:
        assert torch.equal(saved[index]["exp_avg"], restored[index]["exp_avg"].cpu())


def test_resume_rejects_a_folder_that_is_not_a_ppo_checkpoint(tiny_model_dir, tmp_path):
    trainer = tiny_trainer(tiny_model_dir, tmp_path / "run")
    (tmp_path / "bogus").mkdir()
    with pytest.raises(RlempError, match="not a PPO checkpoint"):
        trainer.train(resume_from_checkpoint=str(tmp_path / "bogus"))


@pytest.mark.slow
def test_rlemp_train_command_runs_ppo(tiny_model_dir, tmp_path):
    out = tmp_path / "cli"
    command = [
        sys.executable, "-m", "rlemp.cli", "train", "--config", str(RECIPE), "--model_name_or_path",
        str(tiny_model_dir), "--personas", str(PERSONAS), "--max_steps", "2", "--output_dir", str(out),
        "--eval_at_end", "false", "--max_turns", "2", "--report_to", "none",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
    assert not (out / "adapter" / "critic").exists()  # the published adapter is the policy alone
    assert (out / "checkpoint-2" / "critic" / "value_head.safetensors").is_file()


# Distributed runs reuse the launcher and checks of tests/test_distributed.py (DDP with a curriculum is there).


@pytest.mark.slow
def test_ppo_zero2(tiny_model_dir, tmp_path):
    from test_distributed import REPO, check_adapter, check_replicas, launch

    out = tmp_path / "run"
    launch(REPO / "accelerate_configs" / "zero2.yaml", "recipes/tiny/ppo.yaml", tiny_model_dir, out, *DISTRIBUTED)
    trained = check_replicas(out)
    assert "value_head.weight" in trained and any(".critic." in n for n in trained)
    check_adapter(out / "adapter", tiny_model_dir, trained)
    # DeepSpeed's checkpoint holds the trainable weights, not the frozen base (the tiny model's lm_head is tied
    # to its embedding, which DeepSpeed saves under the lm_head name)
    (states,) = (out / "checkpoint-2").glob("global_step*/mp_rank_00_model_states.pt")
    saved = torch.load(states, map_location="cpu", weights_only=False)["module"]
    assert set(saved) - set(trained) <= {"policy.base_model.model.lm_head.weight"}


@pytest.mark.slow
def test_ppo_zero3_sharded_saves_resumes_and_evaluates(tiny_model_dir, tmp_path):
    from test_distributed import check_adapter, check_replicas, launch, rank_weights, zero3_fully_sharded

    config, out = zero3_fully_sharded(tmp_path), tmp_path / "run"
    launch(config, "recipes/tiny/ppo.yaml", tiny_model_dir, out, *DISTRIBUTED)
    trained = check_replicas(out)
    check_adapter(out / "checkpoint-2", tiny_model_dir, trained)  # gathered, not empty shards
    first_end = rank_weights(out, "end")[0]
    shutil.rmtree(out / "adapter")
    launch(config, "recipes/tiny/ppo.yaml", tiny_model_dir, out, *DISTRIBUTED[:-4], "--max_steps", "3",
           "--resume", "latest", "--eval_at_end", "true", "--eval_personas", str(PERSONAS))
    resumed = rank_weights(out, "begin")[0]
    assert all(torch.equal(resumed[n], first_end[n]) for n in first_end), "resume did not restore the weights"
    assert json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())["global_step"] == 3
    assert (out / "eval" / "metrics.json").is_file()


DISTRIBUTED = ("--rollouts_per_step", "4", "--per_device_train_batch_size", "2", "--num_ppo_epochs", "1",
               "--save_steps", "2", "--max_steps", "2")
