"""The word-trigram model behind the fluency check: training, scoring, storage, the shipped counts, the CLI."""

from __future__ import annotations

import gzip
import math

import pytest
from typer.testing import CliRunner

from rlemp.cli import app
from rlemp.simulators import ngram
from rlemp.simulators.ngram import TrigramModel, read_goemotions, sentences, shipped_model

TEXTS = [
    "I am so sorry you are going through this.",
    "I am here for you and I am listening.",
    "That sounds so hard, I am sorry.",
    "You are not alone in this.",
] * 3


def test_sentences_lower_case_words_and_placeholders():
    assert sentences("I'm [NAME]. Hi {name}!") == [["i'm", "someone"], ["hi", "someone"]]
    assert sentences("...") == []


def test_words_in_their_usual_order_score_below_the_same_words_scrambled():
    model = TrigramModel.train(TEXTS, min_count=2)
    ordered = "I am so sorry you are going through this."
    scrambled = "Sorry through so you this am going I are."
    assert model.salad(ordered) < 0 < model.salad(scrambled)
    assert model.salad("") == 0.0


def test_kneser_ney_trigram_probability_by_hand():
    model = TrigramModel.train(["a b c.", "a b c.", "a b d."], min_count=1)
    # history "a b" was seen 3 times with 2 distinct next words; "a b c" twice.
    lower = model._p_bigram("b", "c")
    assert model._p_trigram("a", "b", "c") == pytest.approx((2 - 0.75) / 3 + 0.75 * 2 / 3 * lower)
    # bigram "b c" twice out of 3 "b" histories with 2 distinct next words; continuation of "c": 1 left neighbour.
    continuation = (1 + 0.5) / (model.bigram_types + 0.5 * model.types)
    assert lower == pytest.approx((2 - 0.75) / 3 + 0.75 * 2 / 3 * continuation)
    gains = model.context_gains(["a", "b", "c"])
    assert len(gains) == 4  # three words and the sentence end
    assert gains[2] == pytest.approx(math.log(model._p_trigram("a", "b", "c")) - math.log(model._p_unigram("c")))


def test_save_and_load_round_trip_byte_for_byte(tmp_path):
    model = TrigramModel.train(TEXTS)
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    model.save(first)
    TrigramModel.load(first).save(second)
    assert first.read_bytes() == second.read_bytes()
    assert TrigramModel.load(first).salad("I am sorry.") == model.salad("I am sorry.")


def test_shipped_counts_separate_english_from_word_salad():
    model = shipped_model()
    for fluent in ("That sounds really hard, I'm sorry you're going through this.", "omg thats so rough",
                   "Have you been able to talk to anyone about it?"):
        assert model.salad(fluent) < 0.3, fluent
    for salad in ("Hard you sounds feel the is that really, of heart your is okay been.",
                  "The worry you with me how is day your going been?"):
        assert model.salad(salad) > 0.6, salad


def test_a_changed_shipped_file_is_refused(tmp_path, monkeypatch):
    changed = tmp_path / "model.json.gz"
    changed.write_bytes(gzip.compress(b"{}"))
    monkeypatch.setattr(ngram, "FLUENCY_MODEL", changed)
    shipped_model.cache_clear()
    try:
        with pytest.raises(ngram.RlempError, match="sha256"):
            shipped_model()
    finally:
        shipped_model.cache_clear()


def write_goemotions(folder, lines):
    folder.mkdir()
    for split in ("train", "dev", "test"):
        (folder / f"{split}.tsv").write_text("".join(f"{text}\t27\tid{i}\n" for i, text in enumerate(lines)))


def test_build_fluency_model_command_writes_what_training_gives(tmp_path):
    write_goemotions(tmp_path / "ge", TEXTS)
    out = tmp_path / "model.json.gz"
    result = CliRunner().invoke(app, ["build-fluency-model", "--goemotions", str(tmp_path / "ge"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    expected = tmp_path / "expected.json.gz"
    TrigramModel.train(read_goemotions(tmp_path / "ge")).save(expected)
    assert out.read_bytes() == expected.read_bytes()


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "train.tsv: file not found"),
    (lambda d: write_goemotions(d, ["123 456", "!!!"]), "hold no English words"),
])
def test_build_fluency_model_bad_input_is_one_line(tmp_path, setup, message):
    setup(tmp_path / "ge")
    result = CliRunner().invoke(app, ["build-fluency-model", "--goemotions", str(tmp_path / "ge"),
                                      "--out", str(tmp_path / "m.json.gz")])
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "m.json.gz").exists()
