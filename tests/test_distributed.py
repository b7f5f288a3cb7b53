"""Distributed training for real (slow): 2 CPU processes over gloo, launched as users launch them
(``accelerate launch --config_file accelerate_configs/X.yaml --num_processes 2 scripts/train.py ...``).

Each run saves every process's trainable parameters when training begins and ends (``RLEMP_SAVE_RANK_WEIGHTS=1``,
see :func:`rlemp.trainers.common.rank_weights_callback`); the checks then assert that the weights changed, that
both replicas hold exactly the same weights, that the saved adapter is those weights and loads with PEFT, that
each process played different personas, that ``transcripts.jsonl`` was written once (by the main process), and,
with a ``sorted`` curriculum, that the personas of every step and process are the ones the schedule orders.

DeepSpeed JIT-builds a CPU communication kernel on first use; it is cached in ``TORCH_EXTENSIONS_DIR``
(default here ``~/.cache/rlemp/torch_extensions``, so CI can keep it between runs).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml


REPO = Path(__file__).resolve().parents[1]
PERSONAS = REPO / "tests" / "data" / "personas_small.jsonl"
WORLD = 2
SORTED = '{"schedule": "sorted"}'
MAX_TURNS = 3  # both tiny recipes'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(config: Path, recipe: str, model: Path, out: Path, *extra: str, timeout: int = 900) -> None:
    """``accelerate launch`` of scripts/train.py on 2 processes; fails the test with the output's tail."""
    env = {
        **os.environ,
        "RLEMP_SAVE_RANK_WEIGHTS": "1",
        "TORCH_EXTENSIONS_DIR": os.environ.get(
            "TORCH_EXTENSIONS_DIR", str(Path.home() / ".cache" / "rlemp" / "torch_extensions")
        ),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": "1",
        "TRL_EXPERIMENTAL_SILENCE": "1",
    }
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--config_file", str(config), "--num_processes", str(WORLD), "--main_process_port", str(free_port()),
        "scripts/train.py", "--config", recipe, "--model_name_or_path", str(model), "--personas", str(PERSONAS),
        "--output_dir", str(out), "--report_to", "none", "--eval_at_end", "false", "--max_turns", str(MAX_TURNS),
        *extra,
    ]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"


def zero3_fully_sharded(tmp_path: Path) -> Path:
    """``accelerate_configs/zero3.yaml`` with every parameter sharded (``stage3_param_persistence_threshold``
    0). DeepSpeed keeps parameters below that threshold whole on every rank; the tiny model's LoRA matrices are
    below the default, a real model's are not, so without this the test would not see sharded adapters."""
    config = yaml.safe_load((REPO / "accelerate_configs" / "zero3.yaml").read_text())
    plugin = config.pop("deepspeed_config")
    ds = {
        "zero_optimization": {
            "stage": plugin["zero_stage"],
            "stage3_param_persistence_threshold": 0,
            "stage3_gather_16bit_weights_on_model_save": plugin["zero3_save_16bit_model"],
            "offload_optimizer": {"device": plugin["offload_optimizer_device"]},
            "offload_param": {"device": plugin["offload_param_device"]},
        },
        "train_micro_batch_size_per_gpu": "auto",
        "train_batch_size": "auto",
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
    }
    ds_file = tmp_path / "ds_zero3_fully_sharded.json"
    ds_file.write_text(json.dumps(ds))
    config["deepspeed_config"] = {
        "deepspeed_config_file": str(ds_file),
        "zero3_init_flag": plugin["zero3_init_flag"],
        "deepspeed_multinode_launcher": plugin["deepspeed_multinode_launcher"],
    }
    config.pop("mixed_precision", None)  # taken from the DeepSpeed file
    path = tmp_path / "zero3_fully_sharded.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# --- checks ------------------------------------------------------------------------------------------------


def rank_weights(out: Path, moment: str) -> list[dict]:
    from safetensors.torch import load_file

    files = [out / f"rank{rank}_trainable_{moment}.safetensors" for rank in range(WORLD)]
    assert all(f.is_file() for f in files), sorted(p.name for p in out.iterdir())
    return [load_file(str(f)) for f in files]


def check_replicas(out: Path) -> dict:
    """Both ranks start and end with identical trainable weights, and training moved every adapted layer (each
    LoRA B matrix); returns rank 0's. A LoRA A matrix moves only once its B is non-zero, so a short run whose
    first step had no advantage (the tiny model's babble all scored alike) moves the B matrices alone."""
    import torch

    begin, end = rank_weights(out, "begin"), rank_weights(out, "end")
    assert begin[0].keys() == begin[1].keys() == end[0].keys() == end[1].keys()
    names = sorted(end[0])
    assert any("lora_A" in n for n in names) and any("lora_B" in n for n in names)
    for name in names:
        assert end[0][name].numel() > 0, f"{name}: empty (a ZeRO-3 shard saved ungathered)"
        assert torch.equal(begin[0][name], begin[1][name]), f"{name}: ranks started apart"
        assert torch.equal(end[0][name], end[1][name]), f"{name}: ranks ended apart"
    lora_b = [n for n in names if "lora_B" in n]
    assert all(not torch.equal(begin[0][n], end[0][n]) for n in lora_b), "a LoRA B matrix did not change"
    return end[0]


def check_adapter(folder: Path, model_dir: Path, trained: dict) -> None:
    """The saved adapter loads with PEFT onto the base model and holds exactly the trained policy weights."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32)
    model = PeftModel.from_pretrained(base, str(folder))
    loaded = {n: p for n, p in model.named_parameters() if "lora_" in n}
    policy = {n: w for n, w in trained.items() if "lora_" in n and ".default." in n}
    for name, weight in policy.items():
        key = name if name in loaded else name.split("policy.", 1)[-1]  # PPO's wrapper prefixes its policy
        assert key in loaded, f"{name} not in the loaded adapter"
        assert torch.equal(loaded[key].detach(), weight), f"{name}: saved adapter differs from the trained weights"
    assert len(policy) == len(loaded)


def check_checkpoint(checkpoint: Path, adapter: Path) -> None:
    """The checkpoint saved at the last step holds the same (whole) adapter as the final save."""
    import torch
    from safetensors.torch import load_file

    saved, final = (load_file(str(f / "adapter_model.safetensors")) for f in (checkpoint, adapter))
    assert saved.keys() == final.keys()
    assert all(torch.equal(saved[k], final[k]) for k in saved), f"{checkpoint.name} differs from the final adapter"


def read_transcripts(out: Path) -> list[dict]:
    lines = (out / "transcripts.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def personas_by_step_and_rank(transcripts: list[dict], rank_of) -> dict[tuple[int, int], list[str]]:
    played: dict[tuple[int, int], list[str]] = defaultdict(list)
    for t in transcripts:
        played[(t["meta"]["step"], rank_of(t))].append(t["persona_id"])
    return played


def check_rollouts(played: dict[tuple[int, int], list[str]], steps: range, per_rank: int) -> None:
    """Every step has ``per_rank`` conversations from each rank (one log line each: written once), and the two
    ranks played different personas."""
    assert sorted(played) == [(s, r) for s in steps for r in range(WORLD)], sorted(played)
    for (step, rank), ids in played.items():
        assert len(ids) == per_rank, f"step {step} rank {rank}: {len(ids)} transcripts, expected {per_rank}"
    for step in steps:
        assert not set(played[(step, 0)]) & set(played[(step, 1)]), f"step {step}: both ranks played {played}"


def sorted_persona_order() -> list[str]:
    """Persona ids easiest first, as the ``sorted`` curriculum orders them (same difficulty measure)."""
    from rlemp.curriculum import CurriculumConfig, ordered_items, persona_difficulties
    from rlemp.personas import load_personas

    personas = load_personas(PERSONAS)
    difficulties = persona_difficulties(personas, CurriculumConfig(schedule="sorted"), seed=0, max_turns=MAX_TURNS)
    return [personas[i].id for i in ordered_items(difficulties)]


# --- GRPO --------------------------------------------------------------------------------------------------

GRPO_BATCH = ("--per_device_train_batch_size", "4", "--num_generations", "4")  # one persona x 4 per rank
GRPO_PER_RANK = 4


def grpo_rank(t: dict) -> int:
    return t["meta"]["rank"]


def check_grpo_run(out: Path, model_dir: Path, steps: range, curriculum: bool) -> None:
    trained = check_replicas(out)
    check_adapter(out / "adapter", model_dir, trained)
    played = personas_by_step_and_rank(read_transcripts(out), grpo_rank)
    check_rollouts(played, steps, GRPO_PER_RANK)
    for ids in played.values():
        assert len(set(ids)) == 1, f"a GRPO group mixes personas: {ids}"
    if curriculum:  # step s draws the personas at positions 2s, 2s+1 of the order; rank r takes the r-th
        order = sorted_persona_order()
        for (step, rank), ids in played.items():
            assert ids[0] == order[(step * WORLD + rank) % len(order)], (step, rank, ids, order)


@pytest.mark.slow
def test_grpo_ddp_with_curriculum(tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    launch(REPO / "accelerate_configs" / "ddp.yaml", "recipes/tiny/grpo.yaml", tiny_model_dir, out,
           *GRPO_BATCH, "--max_steps", "2", "--save_steps", "2", "--curriculum", SORTED)
    check_grpo_run(out, tiny_model_dir, range(2), curriculum=True)
    check_checkpoint(out / "checkpoint-2", out / "adapter")
    assert (out / "reward_curves.png").is_file()


@pytest.mark.slow
def test_grpo_zero2(tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    launch(REPO / "accelerate_configs" / "zero2.yaml", "recipes/tiny/grpo.yaml", tiny_model_dir, out,
           *GRPO_BATCH, "--max_steps", "2", "--save_steps", "100")
    check_grpo_run(out, tiny_model_dir, range(2), curriculum=False)


@pytest.mark.slow
def test_grpo_zero3_sharded_adapter_saves_resumes_and_evaluates(tiny_model_dir, tmp_path):
    """ZeRO-3 with every parameter sharded: the adapter is gathered to save, the checkpoint resumes (the resumed
    run starts from exactly the checkpoint's weights, with the curriculum where it was), and the evaluation at
    the end runs on the main process without hanging the other."""
    import torch

    config, out = zero3_fully_sharded(tmp_path), tmp_path / "run"
    common = (*GRPO_BATCH, "--save_steps", "2", "--curriculum", SORTED)
    launch(config, "recipes/tiny/grpo.yaml", tiny_model_dir, out, *common, "--max_steps", "2")
    check_grpo_run(out, tiny_model_dir, range(2), curriculum=True)
    check_checkpoint(out / "checkpoint-2", out / "adapter")
    assert (out / "checkpoint-2" / "global_step2").is_dir()  # DeepSpeed's sharded optimizer states
    first_end = rank_weights(out, "end")[0]
    shutil.rmtree(out / "adapter")

    launch(config, "recipes/tiny/grpo.yaml", tiny_model_dir, out, *common, "--max_steps", "3", "--resume", "latest",
           "--eval_at_end", "true", "--eval_personas", str(PERSONAS))
    resumed = rank_weights(out, "begin")[0]
    assert all(torch.equal(resumed[n], first_end[n]) for n in first_end), "resume did not restore the weights"
    check_grpo_run(out, tiny_model_dir, range(3), curriculum=True)
    state = json.loads((out / "checkpoint-3" / "trainer_state.json").read_text())
    assert state["global_step"] == 3
    metrics = json.loads((out / "eval" / "metrics.json").read_text())
    assert metrics["n_personas"] + metrics["n_dropped"] == len(PERSONAS.read_text().splitlines())


# --- PPO ---------------------------------------------------------------------------------------------------

PPO_PER_RANK = 4  # rollouts_per_step


def ppo_rank(t: dict) -> int:
    """PPO seeds encode the conversation's position in the step (see ``EmotionPPOTrainer.step_personas``):
    ``seed * 100_003 + step * total + j``, of which rank r plays ``j`` in ``[r * k, (r + 1) * k)``."""
    position = t["seed"] - t["meta"]["step"] * PPO_PER_RANK * WORLD  # recipe seed 0
    return position // PPO_PER_RANK


@pytest.mark.slow
def test_ppo_ddp_with_curriculum(tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    launch(REPO / "accelerate_configs" / "ddp.yaml", "recipes/tiny/ppo.yaml", tiny_model_dir, out,
           "--max_steps", "2", "--save_steps", "2", "--rollouts_per_step", str(PPO_PER_RANK),
           "--per_device_train_batch_size", "2", "--num_ppo_epochs", "1", "--curriculum", SORTED)
    trained = check_replicas(out)
    assert any("critic" in n for n in trained), "the critic is not among the trainable weights"
    check_adapter(out / "adapter", tiny_model_dir, trained)
    played = personas_by_step_and_rank(read_transcripts(out), ppo_rank)
    check_rollouts(played, range(2), PPO_PER_RANK)
    order = sorted_persona_order()  # step s takes positions s*8 .. s*8+7 of the order, rank r the r-th quarter
    for (step, rank), ids in played.items():
        start = step * PPO_PER_RANK * WORLD + rank * PPO_PER_RANK
        assert sorted(ids) == sorted(order[(start + j) % len(order)] for j in range(PPO_PER_RANK)), (step, rank)
    check_checkpoint(out / "checkpoint-2", out / "adapter")


# --- the pieces, in one process (fast) ---------------------------------------------------------------------


def test_rank_weights_callback_saves_exactly_the_trainable_parameters(tiny_model_dir, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM, TrainerState

    from rlemp.trainers.common import rank_weights_callback

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(str(tiny_model_dir)), LoraConfig(r=4))
    callback = rank_weights_callback(tmp_path)
    callback.on_train_begin(None, TrainerState(global_step=0), None, model=model)
    with torch.no_grad():
        next(p for p in model.parameters() if p.requires_grad).add_(1.0)
    callback.on_train_end(None, TrainerState(global_step=5), None, model=model)
    begin = load_file(str(tmp_path / "rank0_trainable_begin.safetensors"))
    end = load_file(str(tmp_path / "rank0_trainable_end.safetensors"))
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert set(begin) == set(end) == trainable and all("lora_" in n for n in trainable)
    assert sum(not torch.equal(begin[n], end[n]) for n in trainable) == 1  # copies, not views of the live weights


def test_sharded_generation_is_refused_for_multi_turn_rollouts():
    from types import SimpleNamespace

    from transformers.integrations import HfDeepSpeedConfig
    from transformers.integrations.deepspeed import unset_hf_deepspeed_config

    from rlemp.errors import RlempError
    from rlemp.trainers.common import build_parts

    zero3 = HfDeepSpeedConfig({"zero_optimization": {"stage": 3}})  # noqa: F841 (registers itself while alive)
    try:
        with pytest.raises(RlempError, match="ds3_gather_for_generation"):
            build_parts(SimpleNamespace(curriculum=None), SimpleNamespace(ds3_gather_for_generation=False), None)
    finally:
        unset_hf_deepspeed_config()
