"""Is a reply written in English sentences? A score in [0, 1] that scales the help a reader can take from it.

Five cheap checks, none tied to particular phrases: invented words (``wordfreq``; a typo of a common word is not
one), broken sentences, phrase salad (runs of content words without glue words), word order English does not use
(a word-trigram model, :mod:`rlemp.simulators.ngram`) and decoration (emoji posters, shouting). Thresholds and
their measured rates: ``docs/simulator.md``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from wordfreq import zipf_frequency

from rlemp.simulators.ngram import shipped_model

INVENTED_BELOW = 1.5
COMMON_FROM = 3.0  # a word this frequent (zipf) one edit away makes a rare word a typo
# A reply holding an invented word gives a reader half as much (one is enough to read as a put-on; more also
# lower the invented share's factor); a decorated reply (emoji, shouting) keeps DECORATED_FACTOR of it.
INVENTED_FACTOR, DECORATED_FACTOR, DECORATION_SYMBOLS = 0.5, 0.3, 3
# The trigram salad score scales the help down linearly from SALAD_FROM (0.4% of real ESConv supporter turns
# score above it) to nothing at SALAD_TO (none of them, and 1.6% of a small model's broken replies).
SALAD_FROM, SALAD_TO = 0.45, 0.8

FUNCTION_WORDS = frozenset(
    "a an the and or but if so because as than that this these those there here of to in on at by for with from "
    "about into over after before under through up down out off i me my mine you your yours he him his she her "
    "they them their it its we us our is are was were be been being am do does did have has had will would can "
    "could should shall may might must not no never what which who whom whose how why when where all any some "
    "every each both just very too also only even still then again really yourself myself itself one ok okay yes "
    "yeah please u ur r im ive id thats whats dont cant wont ya thru rn tbh omg idk".split()
)
# Words that glue content words into a sentence: function words and the commonest structural words.
GLUE = FUNCTION_WORDS | frozenset(
    "like something anything everything nothing someone anyone everyone else right now more less lot little way "
    "well thing things while though although yet since until unless whether without between around maybe perhaps "
    "let get got going kind part much many two first last next back out ever let's it's that's what's there's "
    "you're i'm i've don't can't didn't isn't wasn't doesn't won't i'd you'd you've they're we're".split()
)
_AUX = (
    "is are was were be been being am do does did done doing have has had having will would can could should shall may "
    "might must need needs needed get gets got go goes went gone going"
)
_VERBS = (
    "feel feels felt sound sounds seem seems seemed hear heard know knew think thought want wanted try tried make made "
    "take took give gave tell told say said said see saw look looks looked help helps helped let keep kept talk talked "
    "listen understand understood imagine mean means meant hope hoped wish deserve deserves matter matters care cares "
    "happen happens happened come came leave left lose lost find found believe believed like love hate hurt hurts "
    "happen stay stayed start started stop stopped ask asked work worked live lived call called remember forgive "
    "blame blamed worry worried cry sorry thank thanks wonder carry carrying handle handled manage managed agree "
    "miss missed share shared put consider write wrote plan pay reach rest breathe sleep eat decide decided notice "
    "struggle struggling deal dealt cope coping grieve face"
)
# Chat spellings of a pronoun or "what"/"that" with its verb ("im", "whats"): each holds the sentence's verb.
_CHAT_CONTRACTIONS = (
    "im ive id ill whats thats its dont cant wont youre theyre hes shes isnt wasnt didnt doesnt arent theres heres lets"
)
VERBS = frozenset((_AUX + " " + _VERBS + " " + _CHAT_CONTRACTIONS).split())
# A greeting or a sound of sympathy ("hey.", "oof.", "aw man.") stands as a sentence of its own in chat.
INTERJECTIONS = frozenset(
    "hey hi hello hiya oh ah aw aww oof ugh ooh wow hmm mm ok okay yeah yes no sorry thanks man mate dear".split()
)
# Words an English sentence does not end on (a sentence cut off mid-phrase).
DANGLING = frozenset("the a an my your their our of and or but because if than very".split())
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_CAPS = re.compile(r"\b[A-Z]{2,}\b")
_ACRONYMS = frozenset({"OK", "TV", "HR", "ADHD", "PTSD", "OCD", "USA", "UK"})  # capitals that are not shouting
_INNER_PUNCTUATION = re.compile(r"[,;:()\-]")


@dataclass(frozen=True)
class Fluency:
    score: float  # 1.0 fluent English, 0.0 nothing a reader can take in
    invented: float  # share of invented words
    broken: float  # share of broken sentences (no verb, cut off, stuttering, phrase salad)
    salad: float = 0.0  # the word-trigram salad score (about -0.3 plain English, above 0.45 salad)


@lru_cache(maxsize=65536)
def is_invented(word: str) -> bool:
    """Rare in English and no typo of a common word: "plimpish" is invented, "frusterating" is a typo."""
    return zipf_frequency(word, "en") < INVENTED_BELOW and not _is_typo(word)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _is_typo(word: str) -> bool:
    """Whether one deletion, swap, substitution or insertion of a letter turns ``word`` into a common word
    (real supporters' typos: "anythign", "probelm", "depresed", "teh"; 3% of ESConv supporter turns hold one)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    edits = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    if len(word) >= 5:  # a short word is one edit from many common words: only a swap counts as its typo
        edits |= {a + b[1:] for a, b in splits if b}
        edits |= {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
        edits |= {a + c + b for a, b in splits for c in _LETTERS}
    return any(len(e) > 2 and zipf_frequency(e, "en") >= COMMON_FROM for e in edits - {word})


def decorated(reply: str) -> bool:
    """A poster, not a message: three or more emoji or pictographs, or three or more words shouted in capitals
    making up a third of the reply."""
    if sum(unicodedata.category(c) == "So" for c in reply) >= DECORATION_SYMBOLS:
        return True
    shouted = [w for w in _CAPS.findall(reply) if w not in _ACRONYMS]
    return len(shouted) >= DECORATION_SYMBOLS and len(shouted) >= len(_WORD.findall(reply.lower())) / 3


def _has_verb(words: list[str]) -> bool:
    return any(w in VERBS or w.endswith(("ed", "ing", "s", "n't")) or "'" in w for w in words)


def _broken(words: list[str], ends_with_question: bool, punctuated: bool = False) -> bool:
    if len(words) < 4:
        return False
    if len(words) >= 8 and not _has_verb(words):
        return True
    if words[-1] in DANGLING and not ends_with_question:
        return True
    if any(a == b for a, b in zip(words, words[1:])):
        return True
    fours = Counter(zip(words, words[1:], words[2:], words[3:]))
    if fours and max(fours.values()) >= 3:
        return True
    pairs = list(zip(words, words[1:]))
    content_pairs = sum(a not in GLUE and b not in GLUE for a, b in pairs) / len(pairs)
    return len(words) >= 8 and content_pairs >= 0.34 and not punctuated


# "A lot is a lot", "that feeling is a feeling", "you feel what you feel": a sentence that says its subject is
# itself. An echo of the end of an earlier sentence of the same reply ("It's hard. It's hard.") says nothing either.
_TAUTOLOGY = re.compile(
    r"\b(\w+) (?:is|are|was|were) (?:a |an |the |just )?\1(?= (?:you|i|and|but|for|to)\b|$)|\bwhat (\w+) \2\b"
)
_FEEL_WHAT_YOU_FEEL = re.compile(r"\byou(?:'re| are)? (\w+) what you(?:'re| are)? \1\b")


def _says_nothing(sentence: str, earlier: list[str]) -> bool:
    words = " ".join(_WORD.findall(sentence))
    if any((m.group(1) or m.group(2)) not in FUNCTION_WORDS for m in _TAUTOLOGY.finditer(words)) or (
        _FEEL_WHAT_YOU_FEEL.search(words)
    ):
        return True
    return len(words.split()) >= 2 and any(f" {' '.join(_WORD.findall(e))}".endswith(f" {words}") for e in earlier)


def read_fluency(reply: str, known: frozenset[str] = frozenset()) -> Fluency:
    """Score ``reply``; ``known`` holds lower-case words of the conversation that are never invented."""
    text = reply.lower().replace("\u2019", "'")
    words = _WORD.findall(text)
    if not words:
        return Fluency(0.0, 0.0, 1.0)
    invented_words = sum(is_invented(w) and w not in known for w in words if len(w) > 1)
    invented = invented_words / len(words)
    sentences = [s for s in (m.group(0).strip() for m in _SENTENCE.finditer(text)) if _WORD.search(s)]
    sentence_words = [_WORD.findall(s) for s in sentences]
    broken = [_broken(ws, s.endswith("?"), bool(_INNER_PUNCTUATION.search(s)))
              for s, ws in zip(sentences, sentence_words)]
    broken = [b or _says_nothing(s, sentences[:i]) for i, (s, b) in enumerate(zip(sentences, broken))]
    greetings = [set(ws) <= INTERJECTIONS for ws in sentence_words]
    fragments = [len(ws) <= 3 and not _has_verb(ws) and not g for ws, g in zip(sentence_words, greetings)]
    # a string of one-word "sentences", greetings aside
    if len(sentences) >= 3 and sum(fragments) > (len(sentences) - sum(greetings)) / 2:
        broken = [b or f for b, f in zip(broken, fragments)]
    broken_share = sum(broken) / len(broken) if broken else 1.0
    score = max(0.0, 1.0 - 2.5 * invented) * INVENTED_FACTOR ** min(invented_words, 1) * (1.0 - broken_share)
    salad = shipped_model().salad(reply)
    score *= min(1.0, max(0.0, (SALAD_TO - salad) / (SALAD_TO - SALAD_FROM)))
    if decorated(reply):
        score *= DECORATED_FACTOR
    return Fluency(round(score, 3), round(invented, 3), round(broken_share, 3), round(salad, 3))
