"""Publishing adapters: dry-run folder and model card, the push through a stand-in HfApi, reload, merge, errors."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from unittest import mock

import pytest
import torch
from huggingface_hub import HfApi, ModelCard, constants
from huggingface_hub.errors import HfHubHTTPError
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.errors import InputError, RlempError
from rlemp.hub import EVAL_METRICS, NO_TOKEN_MESSAGE, check_comparable, publish_adapter, read_evaluation

FAKE_TOKEN = "hf_rlempTestTokenThatMustNeverLeak0123456789"
HUB_BASE = "Qwen/Qwen2.5-0.5B-Instruct"
TRAINING = {
    "algorithm": "grpo",
    "rewards": {"emotion": 1.0, "format": 0.2},
    "curriculum": "none",
    "steps": 30,
    "hardware": "cpu",
    "base_model": HUB_BASE,
    "learning_rate": 1e-5,
}
RECIPE = "algorithm: grpo\nsteps: 30\nrewards:\n  emotion: 1.0\n  format: 0.2\npush_to_hub: false\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"trajectory plot bytes"
UPLOAD = {
    "README.md", "adapter_config.json", "adapter_model.safetensors", "chat_template.jinja", "tokenizer.json",
    "tokenizer_config.json", "rlemp_recipe.yaml", "rlemp_training.json", "trajectories.png",
}

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def trained(tiny_model_dir, tmp_path_factory):
    """A saved LoRA adapter whose outputs differ from the base, and its logits on a fixed input."""
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]))
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(std=0.5)
    model.eval()
    input_ids = tokenizer("I failed my exam and I feel awful.", return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(input_ids).logits
        with model.disable_adapter():
            base_logits = model(input_ids).logits
    assert not torch.allclose(logits, base_logits, atol=1e-3)  # the adapter changes the outputs
    adapter_dir = tmp_path_factory.mktemp("adapter")
    model.save_pretrained(adapter_dir)
    tokenizer.save_pretrained(adapter_dir)
    (adapter_dir / "rlemp_training.json").write_text(json.dumps(TRAINING))
    (adapter_dir / "rlemp_recipe.yaml").write_text(RECIPE)
    (adapter_dir / "optimizer.pt").write_bytes(b"not for upload")
    return {"dir": adapter_dir, "input_ids": input_ids, "logits": logits, "base": tiny_model_dir}


def write_eval(path: Path, score: float, success: float, failure: float, turns: float, plot: bytes = PNG,
               **overrides) -> Path:
    """An `rlemp eval` output folder with the given headline metrics."""
    path.mkdir(parents=True)
    metrics = {
        "sentient_score": score, "success_rate": success, "failure_rate": failure, "mean_turns": turns,
        "n_personas": 8, "by_hidden_need": {}, "by_temperament": {}, "model": "tiny-base", "adapter": None,
        "personas": "/data/personas/sage_eval.jsonl", "seed": 7, "max_turns": 6,
        "simulator": {"backend": "rule", "config_hash": "c0ffee12", "version": "0.1.0"},
    }
    metrics.update(overrides)
    (path / "metrics.json").write_text(json.dumps(metrics))
    (path / "trajectories.png").write_bytes(plot)
    return path


@pytest.fixture()
def evals(tmp_path):
    before = write_eval(tmp_path / "eval-base", 41.0, 0.125, 0.5, 5.5, plot=PNG + b" base")
    after = write_eval(tmp_path / "eval-adapter", 63.5, 0.375, 0.25, 4.75, adapter="out/adapter")
    return before, after


@pytest.fixture()
def planted_token(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    return FAKE_TOKEN


@pytest.fixture()
def no_token(monkeypatch, tmp_path):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_OIDC_RESOURCE", raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token-here"))


def snapshot_upload(record: dict):
    """A stand-in for HfApi.upload_folder that records the folder's files before the staging folder goes away."""

    def upload_folder(**kwargs):
        folder = Path(kwargs["folder_path"])
        record["files"] = {p.name: p.read_bytes() for p in folder.iterdir()}
        record["folder"] = folder
        return mock.Mock(commit_url=f"https://huggingface.co/{kwargs['repo_id']}/commit/abc123")

    return upload_folder


def test_cli_dry_run_writes_every_file_and_a_card_with_the_metrics(trained, evals, planted_token, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "dry"
    before, after = evals
    result = CliRunner().invoke(app, ["push", "--adapter", str(trained["dir"]), "--repo-id", "me/tiny-rlemp",
                                      "--eval", str(before), "--eval", str(after), "--dry-run", str(out),
                                      "--revision", "v1"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == UPLOAD  # optimizer state and peft's README stay behind
    assert (out / "trajectories.png").read_bytes() == PNG  # the plot of the last evaluation
    for name in ("adapter_model.safetensors", "tokenizer.json", "chat_template.jinja", "rlemp_recipe.yaml"):
        assert (out / name).read_bytes() == (trained["dir"] / name).read_bytes()
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == HUB_BASE

    card = ModelCard.load(out / "README.md")
    assert card.data.base_model == HUB_BASE
    assert card.data.library_name == "peft"
    assert card.data.license == "apache-2.0"
    assert {"rlemp", "trl", "grpo"} <= set(card.data.tags)
    after_metrics = json.loads((after / "metrics.json").read_text())
    reported = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert reported == {key: after_metrics[key] for key, _, _ in EVAL_METRICS}
    for entry in card.data.eval_results:
        assert entry.dataset_name == "sage_eval.jsonl"
        assert entry.dataset_args["simulator"] == "rule"
        assert entry.dataset_args["simulator_config_hash"] == "c0ffee12"
        assert entry.dataset_args["n_personas"] == 8

    text = card.text
    assert "| SentientScore (0-100) | 41.0 | 63.5 | +22.5 |" in text
    assert "| failure rate | 0.500 | 0.250 | -0.250 |" in text
    assert "| rewards (weight) | emotion 1.0, format 0.2 |" in text
    assert "| steps | 30 |" in text and "| hardware | cpu |" in text and "| learning_rate | 1e-05 |" in text
    assert "](trajectories.png)" in text and "rlemp_recipe.yaml" in text
    assert 'PeftModel.from_pretrained(base, "me/tiny-rlemp", revision="v1")' in text
    assert "Simulated users are not people" in text

    for path in out.iterdir():
        assert FAKE_TOKEN.encode() not in path.read_bytes(), path.name
    assert FAKE_TOKEN not in result.output and FAKE_TOKEN not in caplog.text


def test_dry_run_needs_no_token_and_contacts_nothing(trained, evals, no_token, tmp_path):
    api = mock.create_autospec(HfApi, instance=True)
    result = publish_adapter(trained["dir"], "me/tiny-rlemp", evals=[evals[1]], dry_run_dir=tmp_path / "dry",
                             api=api)
    assert api.mock_calls == []
    assert result.commit_url is None and set(result.files) == UPLOAD
    card = ModelCard.load(tmp_path / "dry" / "README.md")
    assert "| sentient_score" not in card.text and "| SentientScore (0-100) | 63.5 |" in card.text


def test_push_creates_the_repo_and_branch_and_uploads_the_staged_folder(trained, evals, planted_token, tmp_path,
                                                                       caplog):
    caplog.set_level(logging.DEBUG)
    record: dict = {}
    api = mock.create_autospec(HfApi, instance=True)
    api.upload_folder.side_effect = snapshot_upload(record)
    result = publish_adapter(trained["dir"], "me/tiny-rlemp", evals=list(evals), private=True, revision="v1",
                             api=api)

    assert [c[0] for c in api.mock_calls] == ["create_repo", "create_branch", "upload_folder"]
    api.create_repo.assert_called_once_with("me/tiny-rlemp", token=FAKE_TOKEN, private=True, exist_ok=True,
                                            repo_type="model")
    api.create_branch.assert_called_once_with("me/tiny-rlemp", branch="v1", token=FAKE_TOKEN, exist_ok=True,
                                              repo_type="model")
    kwargs = api.upload_folder.call_args.kwargs
    assert (kwargs["repo_id"], kwargs["revision"], kwargs["token"]) == ("me/tiny-rlemp", "v1", FAKE_TOKEN)
    assert set(record["files"]) == UPLOAD == set(result.files)
    assert not record["folder"].exists()  # the staging folder is cleaned up
    assert result.commit_url.endswith("/commit/abc123")

    dry = tmp_path / "dry"
    publish_adapter(trained["dir"], "me/tiny-rlemp", evals=list(evals), revision="v1", dry_run_dir=dry)
    assert record["files"] == {p.name: p.read_bytes() for p in dry.iterdir()}  # the dry run is what is pushed
    assert all(FAKE_TOKEN.encode() not in data for data in record["files"].values())
    assert FAKE_TOKEN not in caplog.text


def test_public_push_to_main_creates_no_branch(trained, planted_token):
    record: dict = {}
    api = mock.create_autospec(HfApi, instance=True)
    api.upload_folder.side_effect = snapshot_upload(record)
    publish_adapter(trained["dir"], "me/tiny-rlemp", api=api)
    api.create_repo.assert_called_once_with("me/tiny-rlemp", token=FAKE_TOKEN, private=False, exist_ok=True,
                                            repo_type="model")
    api.create_branch.assert_not_called()
    assert api.upload_folder.call_args.kwargs["revision"] is None
    assert set(record["files"]) == UPLOAD - {"trajectories.png"}
    assert ModelCard(record["files"]["README.md"].decode()).data.eval_results is None


def test_adapter_reloads_from_the_dry_run_folder_with_the_same_logits(trained, tmp_path):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    publish_adapter(trained["dir"], "me/tiny-rlemp", dry_run_dir=tmp_path / "dry")
    base = AutoModelForCausalLM.from_pretrained(trained["base"])
    model = PeftModel.from_pretrained(base, tmp_path / "dry").eval()
    with torch.no_grad():
        logits = model(trained["input_ids"]).logits
    torch.testing.assert_close(logits, trained["logits"])


def test_cli_merge_gives_a_plain_model_with_the_adapter_outputs(trained, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "merged"
    result = CliRunner().invoke(app, ["merge", "--adapter", str(trained["dir"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "adapter_config.json").exists() and (out / "rlemp_recipe.yaml").read_text() == RECIPE
    merged = AutoModelForCausalLM.from_pretrained(out).eval()
    with torch.no_grad():
        logits = merged(trained["input_ids"]).logits
    torch.testing.assert_close(logits, trained["logits"], atol=1e-4, rtol=1e-4)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert "<|im_start|>assistant" in tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)


def test_a_local_base_model_is_refused_unless_named_or_allowed(trained, tmp_path, caplog):
    adapter = tmp_path / "adapter"
    shutil.copytree(trained["dir"], adapter)
    (adapter / "rlemp_training.json").unlink()
    with pytest.raises(RlempError, match="is a local path.*--base-model OWNER/NAME.*--allow-local-base"):
        publish_adapter(adapter, "me/tiny-rlemp", dry_run_dir=tmp_path / "refused")
    assert not (tmp_path / "refused").exists()

    publish_adapter(adapter, "me/tiny-rlemp", dry_run_dir=tmp_path / "local", allow_local_base=True)
    card = ModelCard.load(tmp_path / "local" / "README.md")
    assert card.data.base_model is None and "huggingface.co/" + str(trained["base"]) not in card.text
    assert f'from_pretrained("{trained["base"]}")  # a local folder: the base model is not on the Hub' in card.text
    assert "is a local path" in caplog.text
    config = json.loads((tmp_path / "local" / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(trained["base"])

    publish_adapter(adapter, "me/tiny-rlemp", dry_run_dir=tmp_path / "named", base_model="org/base-1b",
                    license="mit")
    card = ModelCard.load(tmp_path / "named" / "README.md")
    assert (card.data.base_model, card.data.license) == ("org/base-1b", "mit")
    assert "No training summary" in card.text and "rlemp_recipe.yaml" in card.text
    assert json.loads((tmp_path / "named" / "adapter_config.json").read_text())["base_model_name_or_path"] == \
        "org/base-1b"


def test_a_relative_local_base_named_like_a_hub_id_is_refused_by_the_cli(trained, tmp_path, monkeypatch):
    adapter = tmp_path / "adapter"
    shutil.copytree(trained["dir"], adapter)
    (adapter / "rlemp_training.json").unlink()
    config = json.loads((adapter / "adapter_config.json").read_text())
    (adapter / "adapter_config.json").write_text(json.dumps({**config, "base_model_name_or_path": "outputs/tiny"}))
    (tmp_path / "outputs" / "tiny").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    argv = ["push", "--adapter", str(adapter), "--repo-id", "me/tiny-rlemp", "--dry-run", str(tmp_path / "dry")]
    refused = CliRunner().invoke(app, argv)
    assert refused.exit_code == 2 and "'outputs/tiny' is a local path" in refused.output
    named = CliRunner().invoke(app, [*argv, "--base-model", HUB_BASE])
    assert named.exit_code == 0, named.output
    card = ModelCard.load(tmp_path / "dry" / "README.md")
    assert card.data.base_model == HUB_BASE and f'from_pretrained("{HUB_BASE}")\n' in card.text


def test_missing_token_is_one_clear_line_and_exit_2(trained, no_token):
    api = mock.create_autospec(HfApi, instance=True)
    with pytest.raises(RlempError, match="no Hugging Face token"):
        publish_adapter(trained["dir"], "me/tiny-rlemp", api=api)
    assert api.mock_calls == []
    result = CliRunner().invoke(app, ["push", "--adapter", str(trained["dir"]), "--repo-id", "me/tiny-rlemp"])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {NO_TOKEN_MESSAGE}"


@pytest.mark.parametrize("repo_id", ["no-owner", "me/two/slashes", "me/bad name", "me/double--dash", "-me/x"])
def test_bad_repo_id_is_one_clear_line_and_exit_2(trained, planted_token, tmp_path, repo_id):
    with pytest.raises(RlempError, match="bad repo id"):
        publish_adapter(trained["dir"], repo_id, dry_run_dir=tmp_path / "dry")
    assert not (tmp_path / "dry").exists()
    result = CliRunner().invoke(app, ["push", "--adapter", str(trained["dir"]), "--repo-id", repo_id])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: bad repo id {repo_id!r}")


def test_a_file_holding_the_token_is_never_uploaded(trained, planted_token, tmp_path):
    adapter = tmp_path / "adapter"
    shutil.copytree(trained["dir"], adapter)
    (adapter / "rlemp_recipe.yaml").write_text(RECIPE + f"hub_token: {FAKE_TOKEN}\n")
    api = mock.create_autospec(HfApi, instance=True)
    with pytest.raises(RlempError, match="rlemp_recipe.yaml contains your Hugging Face token") as info:
        publish_adapter(adapter, "me/tiny-rlemp", api=api)
    assert FAKE_TOKEN not in str(info.value)
    assert api.mock_calls == []


def test_hub_errors_become_one_line(trained, planted_token):
    response = mock.Mock(status_code=401, headers={})
    api = mock.create_autospec(HfApi, instance=True)
    api.create_repo.side_effect = HfHubHTTPError("401 Client Error: Unauthorized\nBad credentials", response=response)
    with pytest.raises(RlempError) as info:
        publish_adapter(trained["dir"], "me/tiny-rlemp", api=api)
    assert str(info.value) == "Hugging Face Hub push to me/tiny-rlemp failed: 401 Client Error: Unauthorized"
    api.upload_folder.assert_not_called()


def test_bad_inputs_name_the_file_and_field(trained, evals, planted_token, tmp_path):
    adapter = tmp_path / "adapter"
    shutil.copytree(trained["dir"], adapter)
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(InputError, match="adapter_model.safetensors is missing"):
        publish_adapter(adapter, "me/x", dry_run_dir=tmp_path / "a")

    broken = write_eval(tmp_path / "broken", 50.0, 0.1, 0.1, 3.0)
    metrics = json.loads((broken / "metrics.json").read_text())
    del metrics["sentient_score"]
    (broken / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(InputError, match=r"metrics.json: field 'sentient_score': missing required field"):
        publish_adapter(trained["dir"], "me/x", evals=[broken], dry_run_dir=tmp_path / "b")

    other_sim = write_eval(tmp_path / "other", 70.0, 0.5, 0.1, 3.0,
                           simulator={"backend": "hf", "config_hash": "beef", "version": "0.1.0"})
    with pytest.raises(RlempError, match="differ in simulator.backend"):
        publish_adapter(trained["dir"], "me/x", evals=[evals[0], other_sim], dry_run_dir=tmp_path / "c")
    with pytest.raises(RlempError, match="at most two evaluations"):
        publish_adapter(trained["dir"], "me/x", evals=[*evals, evals[1]], dry_run_dir=tmp_path / "d")

    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.txt").write_text("stale")
    with pytest.raises(RlempError, match="must be new or empty"):
        publish_adapter(trained["dir"], "me/x", dry_run_dir=tmp_path / "used")


def test_before_and_after_must_share_the_scale_other_differences_are_logged(tmp_path, caplog):
    before = read_evaluation(write_eval(tmp_path / "before", 50.0, 0.1, 0.1, 3.0))
    reseeded = read_evaluation(write_eval(tmp_path / "reseeded", 60.0, 0.2, 0.1, 3.0, seed=8))
    with caplog.at_level(logging.WARNING, logger="rlemp.hub"):
        check_comparable(before, reseeded)
    assert "differ: seed differs: 7 (A) vs 8 (B)" in caplog.text
    fewer = read_evaluation(write_eval(tmp_path / "fewer", 60.0, 0.2, 0.1, 3.0, n_personas=4))
    with pytest.raises(RlempError, match=r"differ in n_personas \(8 in .*before, 4 in .*fewer\)"):
        check_comparable(before, fewer)
