"""Curriculum: PRC-Emo difficulty on hand-computed dialogues, the three loaders, measured persona difficulty,
every schedule's ordering and pacing, and resume restoring the position (also through a real Trainer)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.curriculum import (
    CurriculumConfig,
    CurriculumSampler,
    CurriculumSchedule,
    Utterance,
    canonical_emotion,
    competence,
    curriculum_callback,
    dialogue_difficulties,
    dialogue_difficulty,
    emotion_similarity,
    load_curriculum_state,
    load_meld,
    measure_persona_difficulty,
    ordered_items,
    persona_difficulties,
    read_difficulty_file,
    score_emotion,
    turn_off_shuffling,
    weighted_emotional_shift,
)
from rlemp.errors import InputError, RlempError
from rlemp.personas import load_personas
from rlemp.simulators import build_simulator
from rlemp.simulators.base import Reaction, UserSimulator

DATA = Path(__file__).parent / "data" / "curriculum"
PERSONAS = Path(__file__).parent / "data" / "personas_small.jsonl"
COS = {17: 0.956305, 55: 0.573576, 91: 0.017452, 97: 0.121869, 188: 0.990268}  # |cos| of degrees, by hand


def U(speaker, emotion):
    return Utterance(speaker, emotion)


# --- PRC-Emo formula ---------------------------------------------------------------------------------------


def test_alternating_neutral_and_joy_shifts_only_across_speakers():
    dialogue = [U("A", "neutral"), U("B", "joy"), U("A", "neutral"), U("B", "joy")]
    assert weighted_emotional_shift(dialogue) == pytest.approx((0.0, 3 * 0.4))
    assert dialogue_difficulty(dialogue) == pytest.approx((0 + 1.2 + 2) / (4 + 2))


def test_same_and_cross_speaker_shifts_weighted_by_similarity():
    # anger 100°, fear 117°, sadness 208°, joy 20°
    dialogue = [U("A", "anger"), U("A", "fear"), U("B", "sadness"), U("A", "joy")]
    same = (COS[17] + 0.4) + (COS[97] + 0.4)  # A: anger->fear, fear->joy
    diff = (COS[91] + 0.4) + (COS[188] + 0.4)  # fear->sadness (A->B), sadness->joy (B->A)
    assert weighted_emotional_shift(dialogue) == pytest.approx((same, diff), abs=1e-5)
    assert dialogue_difficulty(dialogue) == pytest.approx((same + diff + 2) / 6, abs=1e-5)
    # k and b are parameters: k=2, b=0 doubles the similarities and drops the bias
    doubled = (2 * (COS[17] + COS[97]), 2 * (COS[91] + COS[188]))
    assert weighted_emotional_shift(dialogue, k=2, b=0) == pytest.approx(doubled, abs=1e-5)


def test_similarity_neutral_equal_and_symmetric():
    assert emotion_similarity("joy", "joy") == 1.0
    assert emotion_similarity("neutral", "anger") == emotion_similarity("fear", "neutral") == 0.0
    assert emotion_similarity("anger", "fear") == pytest.approx(emotion_similarity("fear", "anger"))
    assert emotion_similarity("anger", "fear") > emotion_similarity("anger", "joy")  # near beats orthogonal
    assert canonical_emotion(" Angry ") == "anger" and canonical_emotion("no_emotion") == "neutral"
    assert canonical_emotion("bewildered-ness") is None


@settings(max_examples=60, deadline=None)
@given(
    speakers=st.lists(st.sampled_from(["A", "B", "C"]), min_size=1, max_size=12),
    label=st.sampled_from(["neutral", "joy", "anger", "sadness", None]),
)
def test_dialogue_without_shifts_scores_speakers_over_utterances_plus_speakers(speakers, label):
    dialogue = [U(s, label) for s in speakers]
    n_spk = len(set(speakers))
    assert dialogue_difficulty(dialogue) == pytest.approx(n_spk / (len(speakers) + n_spk))


def test_unlabelled_utterances_count_but_never_shift():
    dialogue = [U("user", "sadness"), U("agent", None), U("user", "joy")]
    assert weighted_emotional_shift(dialogue) == pytest.approx((COS[188] + 0.4, 0.0), abs=1e-5)
    assert dialogue_difficulty(dialogue) == pytest.approx((COS[188] + 0.4 + 2) / 5, abs=1e-5)


def test_score_bands_map_to_labels():
    assert [score_emotion(s) for s in (100, 99, 70, 69, 40, 39, 10, 9, 0)] == [
        "joy", "contentment", "contentment", "neutral", "neutral", "sadness", "sadness", "anger", "anger"]


# --- loaders -----------------------------------------------------------------------------------------------


def test_meld_loader_groups_orders_and_scores():
    dialogues = load_meld(DATA / "meld_small.csv")
    assert [d.id for d in dialogues] == ["0", "1", "2"]
    # dialogue 2's rows are out of order in the file: Utterance_ID decides
    assert [(u.speaker, u.emotion) for u in dialogues[2].utterances] == [
        ("Ross", "anger"), ("Ross", "fear"), ("Rachel", "sadness"), ("Ross", "joy")]
    scores = dict(dialogue_difficulties(DATA / "meld_small.csv"))
    assert scores["0"] == pytest.approx(3.2 / 6)
    assert scores["1"] == pytest.approx(1 / 4)  # one speaker, no shift ("Joy" folds to joy)
    expected = ((COS[17] + 0.4) + (COS[97] + 0.4) + (COS[91] + 0.4) + (COS[188] + 0.4) + 2) / 6
    assert scores["2"] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize(
    "text, line, field",
    [
        ("Utterance,Speaker,Emotion,Dialogue_ID\nhi,A,joy,0\n", 1, "Utterance_ID"),
        ("Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\nhi,A,joy,0,0\nho,B,bewildered,0,1\n", 3, "Emotion"),
        ("Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\nhi,A,joy,0,zero\n", 2, "Utterance_ID"),
        ("Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\nhi,A,joy,0,0\nho,B,joy,0,0\n", 3, "Utterance_ID"),
        ("Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\nhi,A,joy\n", 2, "Dialogue_ID"),
    ],
)
def test_meld_loader_errors_name_line_and_field(tmp_path, text, line, field):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_meld(path)
    assert (err.value.line, err.value.field) == (line, field)
    assert str(path) in str(err.value)


def test_esconv_difficulty_from_intensities_and_feedback():
    scores = dict(dialogue_difficulties(DATA / "esconv_small.json"))
    assert scores["0"] == pytest.approx((1.0 + 0.25 + (5 - 4.5) / 4) / 3)  # 5 -> 2, feedback 5 and 4
    assert scores["1"] == pytest.approx((0.25 + 0.0) / 2)  # 2 -> 1, no feedback
    assert scores["2"] == pytest.approx((0.75 + 0.75 + 1.0) / 3)  # 4 -> 4, feedback 1 (ints accepted)


def test_esconv_errors_name_the_field(tmp_path):
    data = json.loads((DATA / "esconv_small.json").read_text())
    data[1]["survey_score"]["seeker"]["final_emotion_intensity"] = "7"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(InputError, match=r"\[1\]\.survey_score\.seeker\.final_emotion_intensity"):
        dialogue_difficulties(bad, "esconv")
    bad.write_text(json.dumps([{"dialog": [{"speaker": "seeker", "content": "hi", "annotation": {}}]}]))
    with pytest.raises(InputError, match=r"\[0\].*no emotion intensities"):
        dialogue_difficulties(bad)


def test_rlemp_transcripts_use_bands_and_unique_ids():
    scores = dialogue_difficulties(DATA / "transcripts_small.jsonl")
    assert [i for i, _ in scores] == ["t6-jake@0", "t1-priya@3", "t1-priya@3#2"]
    # 45 55 65 | 72 82 92 | 100: neutral x3, contentment x3, joy; 13 utterances, user + agent
    assert scores[0][1] == pytest.approx((0.4 + COS[55] + 0.4 + 2) / (13 + 2), abs=1e-5)
    assert scores[1][1] == scores[2][1] == pytest.approx(2 / (5 + 2))  # band C throughout


# --- persona difficulty ------------------------------------------------------------------------------------


class FakeSimulator(UserSimulator):
    """Moves emotion by ``10 * agreeableness`` per kind reply, -10 for 'whatever'; counts calls per persona."""

    backend = "fake"
    version = "1"

    def __init__(self, config=None):
        super().__init__(config)
        self.calls: dict[str, int] = {}

    def react(self, transcript, agent_reply):
        self.calls[transcript.persona_id] = self.calls.get(transcript.persona_id, 0) + 1
        change = -10 if "whatever" in agent_reply else 10 * transcript.persona.personality.agreeableness
        return Reaction(user="ok", change=change, rationale="fake")


def _personas():
    base = load_personas(PERSONAS)[0]

    def make(pid, initial, agreeableness, difficulty=None):
        personality = base.personality.model_copy(update={"agreeableness": agreeableness})
        return base.model_copy(update={"id": pid, "initial_emotion": initial, "personality": personality,
                                       "difficulty": difficulty})

    return [make("easy", 90, 1.0), make("stuck", 40, 0.0), make("slow", 50, 0.5), make("given", 50, 0.5, 0.9)]


def test_measured_difficulty_from_shift_needed_and_achieved(tmp_path):
    sim = FakeSimulator()
    got = measure_persona_difficulty(_personas(), sim, None, seed=0, max_turns=3)
    assert got == pytest.approx({
        "easy": (0.1 + 0.0) / 2,  # 90 -> 100 in one turn
        "stuck": (0.6 + 0.6) / 2,  # 40 stays 40 for three turns
        "slow": (0.5 + 0.35) / 2,  # 50 -> 65
        "given": 0.9,  # the persona's own field wins
    })
    assert "given" not in sim.calls and sim.calls["stuck"] == 3


def test_worse_policy_measures_harder():
    personas = _personas()[:3]
    kind = measure_persona_difficulty(personas, FakeSimulator(), None, 0, 3)
    rude = measure_persona_difficulty(personas, FakeSimulator(), lambda batch: ["whatever"] * len(batch), 0, 3)
    assert all(rude[p.id] > kind[p.id] for p in personas)


def test_difficulty_cache_hits_and_keys(tmp_path):
    cache = tmp_path / "cache.json"
    personas = _personas()
    first = measure_persona_difficulty(personas, FakeSimulator(), None, 0, 3, cache_path=cache)
    sim = FakeSimulator()
    assert measure_persona_difficulty(personas, sim, None, 0, 3, cache_path=cache) == first
    assert sim.calls == {}  # everything came from the cache
    assert len(json.loads(cache.read_text())) == 3  # not the persona with its own difficulty
    sim = FakeSimulator()
    measure_persona_difficulty(personas, sim, None, 1, 3, cache_path=cache)  # another seed
    assert set(sim.calls) == {"easy", "stuck", "slow"}
    sim = FakeSimulator()
    edited = [personas[0].model_copy(update={"initial_emotion": 80})]  # same id, new content
    assert measure_persona_difficulty(edited, sim, None, 0, 3, cache_path=cache)["easy"] == pytest.approx(0.1)
    assert set(sim.calls) == {"easy"}
    cache.write_text("{not json")
    with pytest.raises(InputError, match="cache"):
        measure_persona_difficulty(personas, FakeSimulator(), None, 0, 3, cache_path=cache)


def test_rule_backend_measures_personas():
    personas = load_personas(PERSONAS)
    sim = build_simulator("rule")
    measured = measure_persona_difficulty(personas, sim, None, 0, 6)
    assert all(0 <= d <= 1 for d in measured.values())
    lowered = [p.model_copy(update={"initial_emotion": p.initial_emotion - 20}) for p in personas]
    harder = measure_persona_difficulty(lowered, sim, None, 0, 6)
    assert all(harder[p.id] > measured[p.id] for p in personas)
    dismissive = "Whatever, calm down, it's not a big deal."
    rude = measure_persona_difficulty(personas, sim, lambda batch: [dismissive] * len(batch), 0, 6)
    assert all(rude[p.id] > measured[p.id] for p in personas)


def test_persona_difficulties_from_a_file(tmp_path):
    personas = _personas()
    table = tmp_path / "d.jsonl"
    table.write_text('{"id": "easy", "difficulty": 0.3}\n{"id": "stuck", "difficulty": 0.1}\n')
    config = CurriculumConfig(difficulty_source=str(table))
    with pytest.raises(InputError, match="slow"):
        persona_difficulties(personas, config)
    assert persona_difficulties([personas[0], personas[1], personas[3]], config) == [0.3, 0.1, 0.9]
    table.write_text('{"id": "easy", "difficulty": "hard"}\n')
    with pytest.raises(InputError) as err:
        read_difficulty_file(table)
    assert (err.value.line, err.value.field) == (1, "difficulty")


# --- schedules ---------------------------------------------------------------------------------------------

DIFFS = [0.9, 0.1, 0.5, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 0.0]  # item i; easiest first: 9 1 5 3 7 2 8 4 6 0
EASY_FIRST = [9, 1, 5, 3, 7, 2, 8, 4, 6, 0]


def schedule(name, diffs=DIFFS, seed=0, **kw):
    return CurriculumSchedule(diffs, CurriculumConfig(schedule=name, **kw), seed=seed)


def test_ordered_items_easiest_first_stable():
    assert ordered_items(DIFFS) == EASY_FIRST
    assert ordered_items([0.5, 0.1, 0.5, 0.1]) == [1, 3, 0, 2]


def test_none_shuffles_every_epoch_and_covers_all():
    s = schedule("none")
    epoch0, epoch1 = s.indices(0, 10), s.indices(1, 10)
    assert sorted(epoch0) == sorted(epoch1) == list(range(10))
    assert epoch0 != epoch1 and epoch0 != EASY_FIRST
    assert s.indices(0, 10) == schedule("none").indices(0, 10)  # seeded
    assert s.indices(0, 10) != schedule("none", seed=1).indices(0, 10)
    assert s.indices(1, 4) == epoch0[4:8]  # steps walk through the epoch's permutation


def test_sorted_walks_easy_to_hard_then_restarts():
    s = schedule("sorted")
    assert [i for step in range(5) for i in s.indices(step, 3)] == (EASY_FIRST * 2)[:15]


def test_baby_steps_cumulative_buckets_paced_over_total_steps():
    s = schedule("baby_steps", buckets=4, total_steps=8)  # buckets of 2, 2, 2 and the remaining 4
    expected = {0: 2, 1: 2, 2: 4, 3: 4, 4: 6, 5: 6, 6: 10, 7: 10, 50: 10}
    for step, size in expected.items():
        assert s.unlocked(step) == EASY_FIRST[:size]
        drawn = s.indices(step, 3)
        assert len(drawn) == 3 and set(drawn) <= set(EASY_FIRST[:size])
    assert sorted(s.indices(2, 4)) == sorted(EASY_FIRST[:4])  # without replacement while the pool lasts


def test_competence_pacing():
    diffs = [i / 100 for i in range(100)][::-1]  # item 99 easiest
    s = schedule("competence", diffs, c0=0.1, total_steps=50)
    assert s.unlocked(0) == list(range(99, 89, -1))  # only the easiest c0 share at t = 0
    assert len(s.unlocked(25)) == math.ceil(math.sqrt(25 * 0.99 / 50 + 0.01) * 100)
    assert len(s.unlocked(50)) == len(s.unlocked(80)) == 100  # everything at T and after
    sizes = [len(s.unlocked(t)) for t in range(51)]
    assert sizes == sorted(sizes)
    assert competence(0, 50, 0.1) == pytest.approx(0.1) and competence(50, 50, 0.1) == 1.0
    for t in (0, 7, 30):
        assert set(s.indices(t, 8)) <= set(s.unlocked(t))


def test_adaptive_moves_on_when_success_rate_passes_threshold():
    s = schedule("adaptive", buckets=4, threshold=0.75, window=4)  # buckets of 2, 2, 2, 4
    assert s.unlocked(0) == EASY_FIRST[:2]
    s.indices(0, 2)
    assert not s.record([9, 1, 9, 1], [True, False, True, False])  # 50 %
    s.indices(1, 2)
    assert s.record([9, 1], [True, True])  # the last 4: 3 of 4 = 75 %
    assert s.level == 1 and s.unlocked(1) == EASY_FIRST[:2] and s.unlocked(2) == EASY_FIRST[:4]
    s.indices(2, 2)
    assert not s.record([1, 2, 3], [True, True, True])  # the window restarts on the new level
    assert s.record([4], [True])
    assert s.unlocked(3) == EASY_FIRST[:6]
    for _ in range(3):
        s.record([0, 1, 2, 3], [True] * 4)
    assert s.level == 3 and s.unlocked(100) == EASY_FIRST  # stays at the last level
    assert not schedule("sorted").record([0], [False])


def test_schedules_needing_total_steps_say_so():
    for name in ("baby_steps", "competence"):
        with pytest.raises(RlempError, match="total_steps"):
            schedule(name)


def test_sampler_repeats_like_trl_repeat_sampler():
    s = schedule("sorted")
    sampler = CurriculumSampler(s, batch_size=2, num_steps=2, repeat=3, repeat_count=2)
    a, b, c, d = EASY_FIRST[:4]
    assert list(sampler) == [a, a, a, b, b, b] * 2 + [c, c, c, d, d, d] * 2
    assert len(sampler) == 24
    assert list(sampler)[:3] == [EASY_FIRST[4]] * 3  # the next epoch goes on with the next steps
    sampler.set_epoch(0)  # as a trainer does before each epoch
    assert sampler.position == 0 and list(sampler)[:3] == [a] * 3
    sampler.set_epoch(1)
    assert sampler.position == 2
    sampler.set_epoch(1)  # already inside epoch 1: stays
    assert sampler.position == 2


def _run(sampler, steps, results):
    """Consume ``steps`` whole steps, reporting success for items easier than 0.5 (adaptive)."""
    per_step = sampler.batch_size * sampler.repeat * sampler.repeat_count
    out = []
    it = iter(sampler)
    for _ in range(steps):
        batch = list(itertools.islice(it, per_step))
        out.append(batch)
        if results:
            sampler.schedule.record(batch, [DIFFS[i] < 0.5 for i in batch])
    return out


@pytest.mark.parametrize("name", ["none", "sorted", "baby_steps", "competence", "adaptive"])
def test_state_dict_resumes_at_the_same_position(name):
    config = dict(buckets=3, total_steps=12, c0=0.2, threshold=0.6, window=4)

    def fresh():
        return CurriculumSampler(schedule(name, seed=7, **config), batch_size=3, num_steps=12, repeat=2)

    uninterrupted = _run(fresh(), 12, results=True)
    first = fresh()
    head = _run(first, 5, results=True)
    state = json.loads(json.dumps(first.state_dict()))  # survives JSON, as in a checkpoint
    assert state["position"] == 5
    resumed = fresh()
    resumed.load_state_dict(state)
    assert head + _run(resumed, 7, results=True) == uninterrupted
    if name == "adaptive":
        assert resumed.schedule.level > 0  # the run did move on, and the resume kept it


def test_state_from_another_curriculum_is_refused():
    state = CurriculumSampler(schedule("sorted"), 2, 4).state_dict()
    with pytest.raises(RlempError, match="schedule"):
        CurriculumSampler(schedule("none"), 2, 4).load_state_dict(state)
    with pytest.raises(RlempError, match="items"):
        CurriculumSampler(schedule("sorted", DIFFS[:5]), 2, 4).load_state_dict(state)


def test_turn_off_shuffling():
    from transformers import TrainingArguments
    from trl import GRPOConfig

    grpo = GRPOConfig(output_dir="x", report_to=[], use_cpu=True, bf16=False)
    assert turn_off_shuffling(grpo).shuffle_dataset is False
    assert turn_off_shuffling(TrainingArguments(output_dir="x", report_to=[])).train_sampling_strategy == "sequential"
    assert not CurriculumConfig().orders_data and CurriculumConfig(schedule="sorted").orders_data


# --- resume through a real transformers Trainer ------------------------------------------------------------


class _Items(torch.utils.data.Dataset):
    def __len__(self):
        return len(DIFFS)

    def __getitem__(self, i):
        return {"idx": i, "x": torch.tensor([float(i)])}


class _Model(torch.nn.Module):
    """Records the items it trains on; an item 'succeeds' when it is easier than 0.5."""

    def __init__(self, seen, sampler):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))
        self.seen, self.sampler = seen, sampler

    def forward(self, idx, x):
        batch = idx.tolist()
        self.seen.append(batch)
        self.sampler.schedule.record(batch, [DIFFS[i] < 0.5 for i in batch])
        return {"loss": ((self.w * x - 1) ** 2).mean()}


def _train(out_dir, seen, resume=None, ignore_data_skip=False):
    from transformers import Trainer, TrainingArguments

    sampler = CurriculumSampler(
        CurriculumSchedule(DIFFS, CurriculumConfig(schedule="adaptive", buckets=3, threshold=0.6, window=4), seed=3),
        batch_size=2, num_steps=3)  # epochs of 3 steps: the checkpoint at step 4 lies inside the second

    class CurriculumTrainer(Trainer):
        def _get_train_sampler(self, dataset=None):
            return sampler

    args = TrainingArguments(output_dir=str(out_dir), max_steps=8, per_device_train_batch_size=2, save_steps=4,
                             save_strategy="steps", report_to=[], use_cpu=True, disable_tqdm=True, logging_steps=100,
                             ignore_data_skip=ignore_data_skip, seed=0)
    trainer = CurriculumTrainer(model=_Model(seen, sampler), args=args, train_dataset=_Items(),
                                callbacks=[curriculum_callback(sampler)])
    trainer.train(resume_from_checkpoint=resume)
    return sampler


def test_trainer_checkpoint_saves_and_restores_the_curriculum(tmp_path):
    torch.set_num_threads(1)
    full: list[list[int]] = []
    _train(tmp_path / "full", full)
    saved = load_curriculum_state(tmp_path / "full" / "checkpoint-4")
    assert saved is not None and saved["schedule"]["schedule"] == "adaptive"
    assert len(saved["schedule"]["level_starts"]) > 1  # it moved on before the checkpoint
    resumed: list[list[int]] = []
    sampler = _train(tmp_path / "full", resumed, resume=str(tmp_path / "full" / "checkpoint-4"))
    assert resumed == full[4:]  # the steps after the checkpoint train on the same items
    assert sampler.schedule.state_dict() == load_curriculum_state(tmp_path / "full" / "checkpoint-8")["schedule"]
    with pytest.raises(RlempError, match="ignore_data_skip"):
        _train(tmp_path / "full", [], resume=str(tmp_path / "full" / "checkpoint-4"), ignore_data_skip=True)


# --- command line ------------------------------------------------------------------------------------------


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_cli_dialogues_writes_sorted_jsonl_and_png(tmp_path):
    out = tmp_path / "meld.jsonl"
    result = CliRunner().invoke(app, ["curriculum", "--dialogues", str(DATA / "meld_small.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _lines(out)
    assert [r["id"] for r in rows] == ["1", "0", "2"]
    assert [r["difficulty"] for r in rows] == sorted(r["difficulty"] for r in rows)
    assert (tmp_path / "meld.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for fmt, name in (("esconv", "esconv_small.json"), ("rlemp", "transcripts_small.jsonl")):
        out = tmp_path / f"{fmt}.jsonl"
        args = ["curriculum", "--dialogues", str(DATA / name), "--format", fmt, "--out", str(out)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert len(_lines(out)) == 3


def test_cli_personas_measures_with_the_rule_simulator(tmp_path):
    out, cache = tmp_path / "personas.jsonl", tmp_path / "cache.json"
    args = ["curriculum", "--personas", str(PERSONAS), "--out", str(out), "--cache", str(cache), "--max-turns", "4"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = _lines(out)
    assert len(rows) == 8 and [r["difficulty"] for r in rows] == sorted(r["difficulty"] for r in rows)
    assert len(json.loads(cache.read_text())) == 8
    assert read_difficulty_file(out) == {r["id"]: r["difficulty"] for r in rows}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", "x.jsonl"], "exactly one of"),
        (["--dialogues", "missing.csv", "--out", "x.jsonl"], "missing.csv: file not found"),
        (["--dialogues", "d.txt", "--out", "x.jsonl"], "--format"),
        (["--dialogues", "d.csv", "--format", "xml", "--out", "x.jsonl"], "unknown dialogue format"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text("Utterance,Speaker,Emotion,Dialogue_ID,Utterance_ID\nhi,A,joy,0,0\n")
    result = CliRunner().invoke(app, ["curriculum", *args])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
