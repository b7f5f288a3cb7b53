"""`rlemp validate-simulator`: replaying ESConv supporters through a simulator, Spearman correlations with
bootstrap intervals, the VADER and reply-length baselines, strategy recognition and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from fake_openai_server import FakeOpenAIServer
from test_llm_simulators import count_generate_calls
from rlemp.agreement import (
    Correlation,
    _weighted_spearman,
    spearman_with_ci,
    strategy_recognition,
    survey_agreement,
)
from rlemp.cli import app
from rlemp.errors import RlempError
from rlemp.esconv import read_esconv
from rlemp.esconv_replay import (
    SIGNAL_STRATEGIES,
    beats_baselines,
    dialogue_persona,
    measure_agreement,
    real_contexts,
    replay_dialogues,
)
from rlemp.simulators.base import Reaction, UserSimulator
from test_esconv import ORIGINAL, split_layout

# Five one-turn dialogues built so that every baseline correlation can be computed by hand:
# reply words 2..6; seeker feedback 2,1,4,3,5 (rho 0.8); empathy 1,2,3,5,4 (rho 0.9);
# intensity 5 -> 5,4,3,2,1 (drop 0..4, rho 1.0); relevance constant (undefined).
WORDS = [2, 3, 4, 5, 6]
FEEDBACK = ["2", "1", "4", "3", "5"]
EMPATHY = ["1", "2", "3", "5", "4"]
FINAL_INTENSITY = ["5", "4", "3", "2", "1"]


def baseline_dialogues() -> list[dict]:
    dialogues = []
    for k in range(5):
        reply = " ".join(["okay"] * WORDS[k])
        dialogues.append({
            "emotion_type": "anxiety",
            "problem_type": "job crisis",
            "situation": "I may lose my job.",
            "survey_score": {"seeker": {"initial_emotion_intensity": "5", "final_emotion_intensity": FINAL_INTENSITY[k],
                                        "empathy": EMPATHY[k], "relevance": "3"}},
            "dialog": [
                {"speaker": "seeker", "annotation": {}, "content": "I think I will be fired."},
                {"speaker": "supporter", "annotation": {"strategy": "Others"}, "content": reply},
                {"speaker": "seeker", "annotation": {"feedback": FEEDBACK[k]}, "content": "Right."},
            ],
        })
    return dialogues


def lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class StepUser(UserSimulator):
    """A transparent simulated user: +10 for a reply containing "good", -3 otherwise; a question mark fires
    ``open_question``. It records the last user line it saw before each reaction."""

    backend = "steps"
    version = "1"

    def __init__(self, config=None):
        super().__init__(config)
        self.seen: list[str] = []

    def react(self, transcript, agent_reply):
        self.seen.append(transcript.turns[-1].user if transcript.turns else transcript.opening)
        return Reaction(user="simulated line", change=10.4 if "good" in agent_reply else -3, rationale="",
                        signals=("open_question",) if "?" in agent_reply else ())


# --- statistics ---------------------------------------------------------------------------------------------


def test_spearman_with_ci_exact_rho_seeded_interval_and_undefined_cases():
    c = spearman_with_ci([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], resamples=500, seed=3)
    assert c.rho == pytest.approx(0.8) and c.n == 5
    assert c.low <= c.rho <= c.high <= 1.0
    assert spearman_with_ci([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], resamples=500, seed=3) == c
    assert spearman_with_ci([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], resamples=500, seed=4) != c
    assert spearman_with_ci([1, 2, 3], [4, 4, 4]) == Correlation(None, None, None, 3)
    assert spearman_with_ci([1, 2], [1, 2]).rho is None
    assert str(spearman_with_ci([1, 2, 3], [1, 1, 1])) == "n/a (n=3)"


def test_bootstrap_weights_rank_like_the_written_out_resample():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=30).astype(float)  # many ties
    y = x + rng.integers(0, 3, size=30)
    weights = rng.integers(0, 3, size=(6, 30)).astype(float)
    expected = [spearmanr(np.repeat(x, w.astype(int)), np.repeat(y, w.astype(int))).statistic for w in weights]
    assert _weighted_spearman(x, y, weights) == pytest.approx(expected)


def test_cluster_bootstrap_resamples_whole_dialogues():
    x, y = list(range(12)), [0, 1, 3, 2, 5, 4, 6, 8, 7, 9, 11, 10]
    singletons = spearman_with_ci(x, y, clusters=[f"{i:02d}" for i in range(12)], resamples=400)
    assert singletons == spearman_with_ci(x, y, resamples=400)  # one item per cluster: the plain bootstrap
    pairs = spearman_with_ci(x, y, clusters=[i // 2 for i in range(12)], resamples=400)
    assert pairs.rho == singletons.rho and (pairs.low, pairs.high) != (singletons.low, singletons.high)


def test_survey_agreement_for_scores_from_any_source(tmp_path):
    path = tmp_path / "esconv.json"
    path.write_text(json.dumps(baseline_dialogues()), encoding="utf-8")
    dialogues = read_esconv(path)
    result = survey_agreement({d.id: float(w) for d, w in zip(dialogues, WORDS)}, dialogues, resamples=200)
    assert result["empathy"].rho == pytest.approx(0.9)
    assert result["emotion_intensity_drop"].rho == pytest.approx(1.0)
    assert result["relevance"].rho is None and result["relevance"].n == 5
    partial = survey_agreement({"0": 1.0, "1": 2.0, "3": 3.0}, dialogues, resamples=200)
    assert partial["empathy"].n == 3 and partial["empathy"].rho == pytest.approx(1.0)
    with pytest.raises(RlempError, match="name no ESConv dialogue"):
        survey_agreement({"17": 1.0}, dialogues)


def test_beating_the_baselines_means_a_higher_rho_than_each():
    def c(rho):
        return Correlation(rho, None, None, 10)

    assert beats_baselines(c(0.3), [c(0.1), c(0.2)]) is True
    assert beats_baselines(c(0.15), [c(0.1), c(0.2)]) is False
    assert beats_baselines(c(0.3), [c(0.1), c(None)]) is None


def test_strategy_recognition_precision_and_recall_per_label():
    turns = [
        (["open_question", "validation"], ["Question"]),
        (["open_question"], ["Question", "Question"]),  # counted once per turn
        (["advice", "dislike:whatever"], ["Reflection of feelings"]),
        ([], ["Providing Suggestions"]),
    ]
    result = strategy_recognition(turns, SIGNAL_STRATEGIES)
    q, r, s = result["Question"], result["Reflection of feelings"], result["Providing Suggestions"]
    assert (q.predicted, q.labelled, q.both, q.precision, q.recall) == (2, 2, 2, 1.0, 1.0)
    assert (r.predicted, r.labelled, r.both, r.precision, r.recall) == (1, 1, 0, 0.0, 0.0)
    assert (s.predicted, s.labelled, s.precision, s.recall) == (1, 1, 0.0, 0.0)
    assert result["Information"].precision is None and result["Information"].recall is None


# --- replay ---------------------------------------------------------------------------------------------------


LONG = {
    "problem_type": "Problems with friends",
    "emotion_type": "sadness",
    "situation": "My friends ignore me.",
    "survey_score": {"seeker": {"initial_emotion_intensity": "2"}},
    "dialog": [{"speaker": "seeker", "annotation": {}, "content": "Nobody answers my messages."}]
    + [turn for k in range(8) for turn in (
        {"speaker": "supporter", "annotation": {"strategy": "Question"}, "content": f"good {k}?"},
        {"speaker": "seeker", "annotation": {}, "content": f"seeker says {k}"},
    )],
}


def test_replay_feeds_real_turns_keeps_going_after_the_end_and_shows_the_real_seeker(tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps([LONG, {**LONG, "dialog": LONG["dialog"][:1]}]), encoding="utf-8")
    user = StepUser()
    replay = replay_dialogues(user, read_esconv(path), initial_emotion="intensity")
    assert replay.counts["skipped_no_supporter_turn"] == 1
    (result,) = replay.results
    assert result.hidden_need == "understand_others" and result.initial_emotion == 50  # 70 - 10 x intensity 2
    # 50 + 10 x 5 reaches 100 at turn 5: success, but all 8 real turns are judged; +10.4 counts as +10
    assert result.ended == {"outcome": "success", "turn": 5}
    assert [t.change for t in result.turns] == [10] * 8
    assert [t.emotion for t in result.turns] == [60, 70, 80, 90, 100, 100, 100, 100]
    assert result.scores["total_change"] == 80 and result.final_emotion == 100
    assert user.seen == ["Nobody answers my messages."] + [f"seeker says {k}" for k in range(7)]
    assert result.turns[0].signals == ["open_question"] and result.turns[0].simulated_user == "simulated line"


def test_dialogue_persona_choices(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps([LONG, {**LONG, "problem_type": "moving house"}]), encoding="utf-8")
    d, other = read_esconv(path)
    assert dialogue_persona(d).hidden_need == "understand_others"  # problem type matched case-insensitively
    assert dialogue_persona(d, "absolution").hidden_need == "absolution"
    assert dialogue_persona(d).initial_emotion == 40
    assert dialogue_persona(d).first_message == "Nobody answers my messages."
    assert dialogue_persona(d).scenario == "My friends ignore me."
    assert dialogue_persona(other).hidden_need == "deep_empathy"
    with pytest.raises(RlempError, match="unknown hidden need"):
        dialogue_persona(d, "hugs")


# --- the command ----------------------------------------------------------------------------------------------


def test_command_on_the_original_layout_writes_every_file(tmp_path):
    path = tmp_path / "ESConv.json"
    path.write_text(json.dumps(baseline_dialogues()), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["validate-simulator", "--esconv", str(path), "--backend", "rule",
                                      "--resamples", "200", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 dialogues, 5 turns" in result.output
    turns = lines(out / "turns.jsonl")
    assert [(t["dialogue"], t["turn"], t["feedback"], t["strategies"]) for t in turns] == [
        (str(k), 1, int(FEEDBACK[k]), ["Others"]) for k in range(5)
    ]
    assert [t["reply_words"] for t in turns] == WORDS
    assert all(isinstance(t["change"], int) and -10 <= t["change"] <= 10 for t in turns)
    dialogues = lines(out / "dialogues.jsonl")
    assert [(d["empathy"], d["relevance"], d["initial_emotion_intensity"], d["final_emotion_intensity"])
            for d in dialogues] == [(int(EMPATHY[k]), 3, 5, int(FINAL_INTENSITY[k])) for k in range(5)]
    assert all(d["final_emotion"] == 40 + d["total_change"] for d in dialogues)
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["layout"], summary["dialogues"], summary["turns_with_feedback"]) == ("json", 5, 5)
    words = summary["dialogue_level"]["reply_words"]
    assert words["empathy"]["rho"] == pytest.approx(0.9)
    assert words["emotion_intensity_drop"]["rho"] == pytest.approx(1.0)
    assert words["relevance"]["rho"] is None
    assert summary["turn_level"]["reply_words"]["rho"] == pytest.approx(0.8)
    assert summary["beats_baselines"]["relevance"] is None  # undefined for a constant survey field
    assert summary["beats_baselines"]["emotion_intensity_drop"] in (False, None)  # length has rho 1.0 there
    vader = [t["vader"] for t in turns]
    expected = spearmanr(vader, [int(f) for f in FEEDBACK]).statistic if np.ptp(vader) else None
    assert summary["turn_level"]["vader"]["rho"] == (pytest.approx(expected) if expected is not None else None)
    report = (out / "report.md").read_text()
    assert "baseline: reply length (words) | +0.80" in report and "## Strategy recognition" in report


def test_command_groups_supporter_utterances_and_aligns_feedback(tmp_path):
    path = tmp_path / "ESConv.json"
    path.write_text(json.dumps(ORIGINAL), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["validate-simulator", "--esconv", str(path), "--resamples", "100",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    turns = lines(out / "turns.jsonl")
    assert all("flr" not in t for t in turns)  # no FLR scorer given
    assert [(t["dialogue"], t["turn"], t["reply"], t["strategies"], t["feedback"]) for t in turns] == [
        ("0", 1, "Hello, how are you?", ["Question"], None),
        ("0", 2, "That sounds stressful. What happened?", ["Reflection of feelings", "Question"], 4),
        ("0", 3, "You could ask your manager.", ["Providing Suggestions"], 2),
        ("0", 4, "Take care.", ["Others"], None),
        ("1", 1, "You will get through this.", ["Affirmation and Reassurance"], 3.5),
    ]
    assert [t["reply_words"] for t in turns] == [4, 5, 5, 2, 5]
    first, second = lines(out / "dialogues.jsonl")
    assert (first["hidden_need"], first["turns"], first["emotion_intensity_drop"], first["empathy"]) == (
        "practical_advice", 4, 3, 5)
    assert (second["hidden_need"], second["empathy"], second["initial_emotion_intensity"]) == (
        "listen_to_venting", None, 3)
    summary = json.loads((out / "summary.json").read_text())
    assert "flr" not in summary["dialogue_level"] and summary["flr_beats_baselines"] is None
    assert summary["turns_with_feedback"] == 3 and summary["by_strategy"]["Question"]["turns"] == 2
    assert summary["by_strategy"]["Question"]["mean_feedback"] == 4  # rated turns carrying the label: just one


def test_command_on_the_split_layout_has_no_turn_level_figures(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(split_layout(d)) + "\n" for d in baseline_dialogues()), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["validate-simulator", "--esconv", str(path), "--limit", "4",
                                      "--hidden-need", "deep_empathy", "--initial-emotion", "intensity",
                                      "--resamples", "100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["layout"], summary["dialogues"], summary["turns_with_feedback"]) == ("jsonl", 4, 0)
    assert summary["turn_level"]["change"] == {"rho": None, "low": None, "high": None, "n": 0, "p_value": None}
    assert {d["hidden_need"] for d in lines(out / "dialogues.jsonl")} == {"deep_empathy"}
    assert {d["initial_emotion"] for d in lines(out / "dialogues.jsonl")} == {20}  # intensity 5
    assert "no turn-level figure" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--hidden-need", "hugs"], "unknown hidden need 'hugs'"),
        (["--initial-emotion", "warm"], "--initial-emotion"),
        (["--backend", "oracle"], "unknown simulator backend"),
    ],
)
def test_command_rejects_bad_options(tmp_path, args, message):
    path = tmp_path / "e.json"
    path.write_text(json.dumps(baseline_dialogues()), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-simulator", "--esconv", str(path), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_command_bad_file_is_one_line_naming_file_record_and_field(tmp_path):
    data = baseline_dialogues()
    data[3]["dialog"][2]["annotation"]["feedback"] = "6"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-simulator", "--esconv", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}: field '[3].dialog[2].annotation.feedback': expected a rating 1-5, got '6'" in " ".join(
        result.output.split())
    only_seekers = tmp_path / "seekers.jsonl"
    only_seekers.write_text(json.dumps({"dialog": [{"speaker": "usr", "text": "hi"}]}) + "\n", encoding="utf-8")
    args = ["validate-simulator", "--esconv", str(only_seekers), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "no dialogue could be replayed" in result.output


def test_measure_agreement_reports_strategies_only_with_signals(tmp_path):
    path = tmp_path / "long.json"
    path.write_text(json.dumps([LONG]), encoding="utf-8")
    replay = replay_dialogues(StepUser(), read_esconv(path))
    agreement = measure_agreement(replay, resamples=100)
    assert agreement.signals_seen
    question = agreement.strategies["Question"]
    assert (question.labelled, question.predicted, question.both) == (8, 8, 8)


def test_command_with_the_openai_backend_replays_over_http(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(split_layout(d)) + "\n" for d in baseline_dialogues()), encoding="utf-8")
    with FakeOpenAIServer() as server:
        config = tmp_path / "sim.json"
        config.write_text(json.dumps({"model": "fake", "base_url": server.base_url, "cache_dir": None,
                                      "backoff_s": 0.001, "timeout_s": 5}), encoding="utf-8")
        args = ["validate-simulator", "--esconv", str(path), "--backend", "openai", "--simulator-config",
                str(config), "--resamples", "100", "--out", str(tmp_path / "out")]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert server.stats()["completions"] == 5
        turns = lines(tmp_path / "out" / "turns.jsonl")
        assert all(-4 <= t["change"] <= 8 and t["signals"] == [] for t in turns)
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["backend"] == "openai" and summary["strategies"] is None
    assert "reports no signals" in (tmp_path / "out" / "report.md").read_text()


def test_dialogues_the_backend_fails_on_are_dropped_and_counted(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(split_layout(d)) + "\n" for d in baseline_dialogues()), encoding="utf-8")
    with FakeOpenAIServer("--fault-rate", "1", "--faults", "500") as server:
        from rlemp.simulators import build_simulator

        sim = build_simulator("openai", {"model": "fake", "base_url": server.base_url, "cache_dir": None,
                                          "backoff_s": 0.001, "timeout_s": 5, "max_retries": 0})
        replay = replay_dialogues(sim, read_esconv(path))
    assert replay.results == [] and replay.counts["simulator_failures"] == 5


def test_hf_backend_is_asked_once_per_round_for_every_open_dialogue(tmp_path, tiny_model_dir):
    from rlemp.simulators import build_simulator

    path = tmp_path / "mixed.json"
    path.write_text(json.dumps(baseline_dialogues() + [LONG]), encoding="utf-8")
    sim = build_simulator("hf", {"model": str(tiny_model_dir), "max_new_tokens": 8, "max_retries": 0})
    sizes = count_generate_calls(sim)
    replay = replay_dialogues(sim, read_esconv(path))
    assert sizes == [6] + [1] * 7  # round 1: all six dialogues at once; then only the 8-turn one is open
    # a random tiny model writes no valid reaction: every turn is a counted change-0 fallback
    assert replay.counts["fallback_turns"] == 13 == len(replay.turns)
    assert all(t.fallback and t.change == 0 and t.signals == [] for t in replay.turns)


def test_real_contexts_are_the_real_conversation_before_each_supporter_turn():
    opens_with_supporter, opens_with_seeker = read_esconv_list(ORIGINAL)
    assert real_contexts(opens_with_supporter) == [
        [],
        [{"role": "assistant", "content": "Hello, how are you?"},
         {"role": "user", "content": "Not great. I might lose my job."}],
        [{"role": "assistant", "content": "Hello, how are you?"},
         {"role": "user", "content": "Not great. I might lose my job."},
         {"role": "assistant", "content": "That sounds stressful. What happened?"},
         {"role": "user", "content": "Layoffs were announced. I am scared."}],
        [{"role": "assistant", "content": "Hello, how are you?"},
         {"role": "user", "content": "Not great. I might lose my job."},
         {"role": "assistant", "content": "That sounds stressful. What happened?"},
         {"role": "user", "content": "Layoffs were announced. I am scared."},
         {"role": "assistant", "content": "You could ask your manager."},
         {"role": "user", "content": "Maybe."}],
    ]
    assert real_contexts(opens_with_seeker) == [[{"role": "user", "content": "She left me."}]]


def read_esconv_list(records):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ESConv.json"
        path.write_text(json.dumps(records), encoding="utf-8")
        return read_esconv(path)


def test_command_scores_every_real_turn_with_flr_beside_the_simulator(tmp_path, tiny_model_dir):
    from rlemp.rewards.flr import FollowUpLikelihood, load_scorer

    path = tmp_path / "ESConv.json"
    path.write_text(json.dumps(baseline_dialogues() + ORIGINAL), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["validate-simulator", "--esconv", str(path), "--resamples", "200",
                                      "--flr-model", str(tiny_model_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "mean FLR vs empathy" in result.output
    flr = FollowUpLikelihood(*load_scorer(tiny_model_dir))
    dialogues = read_esconv(path)
    expected, means = [], []
    for dialogue in dialogues:
        values = flr.score(real_contexts(dialogue), [t.text for t in dialogue.supporter_turns()])
        expected += values
        means.append(sum(values) / len(values))
    turns = lines(out / "turns.jsonl")
    assert len(turns) == len(expected) == 10
    assert [t["flr"] for t in turns] == pytest.approx(expected, abs=1e-4)
    assert [r["flr"] for r in lines(out / "dialogues.jsonl")] == pytest.approx(means, abs=1e-4)
    summary = json.loads((out / "summary.json").read_text())
    rated = [(m, d.survey.empathy) for m, d in zip(means, dialogues) if d.survey.empathy is not None]
    assert summary["dialogue_level"]["flr"]["empathy"]["rho"] == pytest.approx(
        spearmanr(*zip(*rated)).statistic, abs=1e-6)
    assert summary["flr_model"] == str(tiny_model_dir)
    assert set(summary["flr_beats_baselines"]) == {"empathy", "relevance", "emotion_intensity_drop", "feedback"}
    assert "FLR of the real replies" in (out / "report.md").read_text()

