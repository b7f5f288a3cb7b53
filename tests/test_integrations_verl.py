"""``rlemp.integrations.verl.RlempInteraction`` driven the way verl's multi-turn agent loop drives an interaction:
built from an interaction-config YAML, started with a dataset row's ``interaction_kwargs``, asked for the user's
next message after each assistant turn. In-process and against a real ``rlemp serve``.

Against verl's own ``BaseInteraction`` and config loader when verl 0.5-0.7 is installed; otherwise against the
faithful copy of that interface in ``tests/verl_interface`` (verl 0.8 and later ship no interactions)."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import pytest
import yaml
from serve_helpers import EMPATHIC, RlempServer

from rlemp.errors import RlempError
from rlemp.paths import EVAL_PERSONAS
from rlemp.personas import load_personas
from rlemp.simulators import build_simulator
from rlemp.simulators.replay import verify_transcripts
from rlemp.transcript import read_transcripts

try:
    from verl.interactions.utils.interaction_registry import initialize_interactions_from_config
    REAL_VERL = True
except ImportError:
    sys.modules.pop("verl", None)
    sys.path.insert(0, str(Path(__file__).resolve().parent / "verl_interface"))
    REAL_VERL = False

    def initialize_interactions_from_config(path):
        """What verl's loader does: import each class_name, give it its config with the name added."""
        interactions = {}
        for item in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["interaction"]:
            module, name = item["class_name"].rsplit(".", 1)
            config = {**item.get("config", {}), "name": item["name"]}
            interactions[item["name"]] = getattr(importlib.import_module(module), name)(config=config)
        return interactions

from rlemp.integrations.verl import RlempInteraction, dataset_rows  # noqa: E402  (after the interface is found)

PERSONAS = load_personas(EVAL_PERSONAS)


def interaction_from_yaml(tmp_path: Path, config: dict) -> RlempInteraction:
    path = tmp_path / "interaction_config.yaml"
    path.write_text(yaml.safe_dump({"interaction": [
        {"name": "rlemp", "class_name": "rlemp.integrations.verl.RlempInteraction", "config": config}]}))
    interaction = initialize_interactions_from_config(str(path))["rlemp"]
    assert isinstance(interaction, RlempInteraction) and interaction.name == "rlemp"
    return interaction


async def agent_loop(interaction: RlempInteraction, row: dict, request_id: str, replies: list[str]):
    """verl's loop: start, then per assistant turn generate_response with the whole chat; stop when told."""
    kwargs = row["extra_info"]["interaction_kwargs"]
    messages = list(row["prompt"])
    await interaction.start_interaction(request_id, **kwargs)
    scores, extras = [], []
    for reply in replies:
        messages.append({"role": "assistant", "content": reply})
        stop, user, score, extra = await interaction.generate_response(request_id, messages, **kwargs)
        messages.append({"role": "user", "content": user})
        scores.append(score)
        extras.append(extra)
        if stop:
            break
    final = await interaction.calculate_score(request_id)
    transcript = await interaction.transcript(request_id)
    await interaction.finalize_interaction(request_id)
    return messages, scores, extras, final, transcript


def play_all(interaction: RlempInteraction, rows: list[dict]):
    async def everyone():
        return await asyncio.gather(*(agent_loop(interaction, row, f"req-{k}", EMPATHIC) for k, row in enumerate(rows)))

    return asyncio.run(everyone())


def check_against_the_simulator(rows: list[dict], played) -> None:
    sim = build_simulator("rule")
    for row, (messages, scores, extras, final, transcript) in zip(rows, played):
        kwargs = row["extra_info"]["interaction_kwargs"]
        persona = next(p for p in PERSONAS if p.id == kwargs["persona_id"])
        local = sim.start(persona, kwargs["seed"], kwargs["max_turns"])
        for reply in EMPATHIC:
            sim.step(local, reply)
            if local.done:
                break
        assert scores == [t.emotion / 100 for t in local.turns]
        assert [e["change"] for e in extras] == [t.delta for t in local.turns]
        assert extras[-1]["outcome"] == local.outcome
        assert [m["content"] for m in messages if m["role"] == "user"][1:] == [t.user for t in local.turns]
        assert final == local.final_emotion / 100
        assert [(t.user, t.emotion) for t in transcript.turns] == [(t.user, t.emotion) for t in local.turns]


def test_dataset_rows_name_the_persona_for_the_interaction():
    rows = dataset_rows(PERSONAS[:2], seeds=[0, 5], max_turns=3)
    assert len(rows) == 4
    assert rows[1]["prompt"][1] == {"role": "user", "content": PERSONAS[0].first_message}
    assert rows[1]["extra_info"]["interaction_kwargs"] == {"name": "rlemp", "persona_id": PERSONAS[0].id,
                                                           "seed": 5, "max_turns": 3}


def test_in_process_interaction_scores_every_turn_and_writes_verifiable_transcripts(tmp_path):
    out = tmp_path / "transcripts.jsonl"
    interaction = interaction_from_yaml(tmp_path, {"personas": str(EVAL_PERSONAS), "transcripts": str(out)})
    rows = dataset_rows(PERSONAS[:3], seeds=[0, 1], max_turns=4)
    played = play_all(interaction, rows)
    check_against_the_simulator(rows, played)
    written = read_transcripts(out)
    assert len(written) == len(rows) and verify_transcripts(written) is None
    assert interaction.sessions == {}


def test_server_interaction_matches_in_process(tmp_path):
    with RlempServer(tmp_path / "store") as server:
        interaction = interaction_from_yaml(tmp_path, {"url": server.url, "turn_score": "change"})
        rows = dataset_rows(PERSONAS[3:6], seeds=[2], max_turns=5)
        played = play_all(interaction, rows)
        for row, (_, scores, extras, final, transcript) in zip(rows, played):
            assert scores == [e["change"] / 100 for e in extras]
            assert transcript.meta["conversation_id"] == extras[0]["conversation_id"]
        emotion_rows = [dict(row) for row in rows]
        interaction = interaction_from_yaml(tmp_path, {"url": server.url})
        check_against_the_simulator(emotion_rows, play_all(interaction, emotion_rows))


def test_bad_interaction_config_and_kwargs_are_one_line_errors(tmp_path):
    with pytest.raises(RlempError, match="url .* and personas/transcripts .* exclude each other"):
        RlempInteraction({"name": "rlemp", "url": "http://127.0.0.1:1", "personas": str(EVAL_PERSONAS)})
    with pytest.raises(RlempError, match="config field 'turn_score'"):
        RlempInteraction({"name": "rlemp", "turn_score": "joy"})
    interaction = RlempInteraction({"name": "rlemp", "personas": str(EVAL_PERSONAS)})
    with pytest.raises(RlempError, match="unknown persona 'nobody'"):
        asyncio.run(interaction.start_interaction("r1", persona_id="nobody"))
    with pytest.raises(RlempError, match="start_interaction first"):
        asyncio.run(interaction.generate_response("r2", [{"role": "assistant", "content": "hi"}]))


def test_the_interface_is_verls():
    from verl.interactions.base import BaseInteraction

    assert issubclass(RlempInteraction, BaseInteraction)
    print("verl BaseInteraction:", "real verl" if REAL_VERL else "the copy in tests/verl_interface")
