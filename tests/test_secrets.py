"""API keys and Hub tokens never reach logs, transcripts, checkpoints or model cards.

A run with the ``openai`` simulator backend (training with checkpoints and TensorBoard logs, then evaluation),
``rlemp push --dry-run`` of its adapter and ``rlemp doctor`` on its recipe all get a planted OpenAI key and Hub
token in their environment; then every byte of every file they wrote, and of everything they printed, is
searched for the planted strings. The fake server counts requests that carried the key, so the scan is known to
cover a run that really used it.
"""

from __future__ import annotations

from pathlib import Path

from fake_openai_server import FakeOpenAIServer
from test_reliability import PERSONAS, openai_config, run_rlemp, subprocess_env, write_recipe

PLANTED = {
    "OPENAI_API_KEY": "sk-test-PLANTED0penAIk3y0000000000000000000000",
    "HF_TOKEN": "hf_PLANTEDhubT0ken000000000000000000",
}


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_planted_secrets_appear_in_no_output(tmp_path, tiny_model_dir):
    env = subprocess_env(**PLANTED)
    logs = tmp_path / "logs"
    logs.mkdir()
    with FakeOpenAIServer() as server:
        recipe = write_recipe(
            tmp_path / "recipe.yaml", tiny_model_dir, max_steps=1, save_steps=1, report_to="tensorboard",
            simulator_backend="openai", simulator_config=openai_config(server, cache_dir=str(tmp_path / "cache")),
            eval_at_end=True, eval_personas=str(PERSONAS), eval_max_turns=1,
        )
        runs = {
            "train": run_rlemp("train", "--config", str(recipe), env=env),
            "doctor": run_rlemp("doctor", "--config", str(recipe), env=env),
        }
        assert runs["train"].returncode == 0, runs["train"].stderr[-3000:]
        runs["push"] = run_rlemp("push", "--adapter", str(tmp_path / "out" / "adapter"), "--repo-id", "someone/model",
                                 "--eval", str(tmp_path / "out" / "eval"), "--dry-run", str(tmp_path / "upload"), "--allow-local-base",
                                 env=env)
        authorized = server.stats()["authorized"]
    for name, result in runs.items():
        assert result.returncode == 0, (name, result.stderr[-3000:])
        (logs / f"{name}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    assert authorized > 0  # the key did go over the wire, in the Authorization header

    scanned = files_under(tmp_path)
    names = {p.name for p in scanned}
    for expected in ("trainer_state.json", "training_args.bin", "optimizer.pt", "adapter_config.json",
                     "transcripts.jsonl", "metrics.jsonl", "rlemp_recipe.yaml", "README.md", "metrics.json"):
        assert expected in names, expected  # the scan covers checkpoints, logs, transcripts and the model card
    assert any(name.startswith("events.out.tfevents") for name in names)
    assert any(p.relative_to(tmp_path).parts[0] == "cache" for p in scanned)  # the simulator's answer cache
    assert (tmp_path / "upload" / "README.md").is_file()
    leaks = [(str(p.relative_to(tmp_path)), var) for p in scanned for var, secret in PLANTED.items()
             if secret.encode() in p.read_bytes()]
    assert leaks == []
