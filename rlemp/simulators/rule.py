"""The ``rule`` backend: a deterministic simulated user that reads a reply for its meaning, offline.

A reply is read in four passes: harm (:mod:`rlemp.simulators.harm`: the worst reaction, whatever else it says),
fluency (:mod:`rlemp.simulators.fluency`: scales the help down), relevance to this person, then the helpful
signals that fit the hidden need, saturating within a reply so that cramming every kind of help earns little.
Help is only help for this person: a question earns credit when it invites them to talk about themselves (a
verdict on them put as a question hurts; one about the agent earns nothing, one that names nothing earns half),
kindness about an event that never happened to them costs, and a template with unfilled slots, a customer-service
script or a list of remedies earns nothing. One note (comfort alone, or bare questions), reply after reply, wears
thin and then rings hollow, and so does the agent's own idea pushed again and again; each reply in a row that
engages the person in no way costs more than the one before.
The seed only picks the wording of the user's reply. Design and measurements: ``docs/simulator.md``.
"""

from __future__ import annotations

import random
import re
from functools import lru_cache

from pydantic import Field
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
from wordfreq import zipf_frequency

from rlemp.personas import Persona
from rlemp.simulators.base import Reaction, SimulatorConfig, UserSimulator, band
from rlemp.simulators.fluency import read_fluency
from rlemp.simulators.harm import MANIPULATION as MANIPULATION_KINDS
from rlemp.simulators.harm import read_harm
from rlemp.transcript import Transcript


class RuleConfig(SimulatorConfig):
    """Knobs of the rule backend (all part of the config hash)."""

    # Factors lie in (0, 1]; counts are at least 1 and at most a few thousand (min_words <= max_words).
    # diminishing: a helpful signal's gain is multiplied by this for every recent turn it fired
    diminishing: float = Field(0.6, gt=0, le=1)
    memory: int = Field(4, ge=1, le=1000)  # how many earlier turns "recent" means (a long, varied talk keeps earning)
    saturation: float = Field(0.5, gt=0, le=1)  # within a reply, the k-th strongest helpful signal counts saturation**k
    numbing: float = Field(0.7, gt=0, le=1)  # a repeated hurt (dismissing, toxic positivity...) stings less each time
    # one_note_wear: a reply playing one note (comfort alone, or questions alone, taking up nothing of theirs)
    # earns this factor for every reply of the same note right before it
    one_note_wear: float = Field(0.5, gt=0, le=1)
    # goodbye_after: unengaged turns in a row (off-topic, empty, no help) before the user leaves
    goodbye_after: int = Field(3, ge=1, le=1000)
    max_words: int = Field(120, ge=1, le=10_000)  # longer replies read as lecturing
    min_words: int = Field(3, ge=1, le=10_000)

    def model_post_init(self, context, /) -> None:
        if self.min_words > self.max_words:
            raise ValueError(f"min_words ({self.min_words}) must be at most max_words ({self.max_words})")


def _rx(*patterns: str) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


FEELING = (
    r"hard|difficult|painful|exhausting|overwhelming|frustrating|lonely|scary|heavy|tough|upsetting|awful|"
    r"hurtful|draining|stressful|confusing|unfair|heartbreaking|a lot|so much|horrible|terrible|sad|rough|devastating|"
    r"scary|not easy|no fun|awful|crappy|tough|heavy|a nightmare|hard to deal with|hard on you|grim|rubbish|crap|"
    r"shitty|gutting|brutal|cruel|harsh|bleak|miserable|unbearable|too much|rotten|the worst|hell|not fair|"
    r"not right|unjust"
)
# Intensifiers people put before a feeling ("that's proper unfair", "it's been bloody awful").
_INTENSE = (
    r"so|really|very|just|truly|pretty|such|quite|a|proper|bloody|super|absolutely|utterly|totally|completely|"
    r"incredibly|genuinely|seriously|honestly|dead|well|massively|extremely|kind of|kinda|a bit|such a|all"
)
EMOTION_WORDS = (
    r"frustrat\w*|hurt|overwhelm\w*|lonel\w*|anxious|anxiety|angry|anger|sad|sadness|scared|exhausted|"
    r"disappoint\w*|ashamed|guilt\w*|betrayed|helpless|stressed|afraid|worried|heartbroken|drained|grief|"
    r"griev\w*|fear|upset|alone|invisible|humiliat\w*|resent\w*|torn|powerless|numb|struggl\w*|stress\w*|"
    r"depress\w*|down|low|lost|confus\w*|nervous|worr\w*|devastat\w*|hopeless|trapped|stuck|shaken|defeated|"
    r"hurting|in pain|discouraged|insecure|uncertain|unsure|jealous|bitter|panick\w*"
)
_ADVERB = (  # any run of intensifiers before a feeling word: "must be feeling so emotionally drained"
    r"(?:(?:so|really|very|quite|pretty|truly|deeply|understandably|emotionally|completely|totally|still|just|"
    r"a (?:bit|little)|kind of|kinda) )*"
)

# Helpful signals: name -> (pattern, base gain).
HELPFUL: dict[str, tuple[re.Pattern, float]] = {
    "validation": (
        _rx(
            rf"\b(that|this|it|which) (sounds|must (be|feel)|seems|is) (so |really |very |incredibly |truly |"
            rf"genuinely |understandably )?({FEELING})",
            r"\bi hear you\b",
            rf"\b(that|this|it)(?:'?s| is| was| has been| sounds| seems)( ({_INTENSE}))* ({FEELING})\b",
            r"\bi(?:'?m| am) (so |really |very |truly |deeply |just )?sorry\b",
            r"\byou deserve (to be (heard|happy|treated|supported|respected|loved|listened)|better|support|kindness|"
            r"respect|"
            r"care|peace|rest|a break|to feel)",
            r"\bi (can |totally |completely )?(understand|see|get|know) (how|why|what|that|where you|it'?s|it is)\b",
            r"\b(that|it|this) (must|would|will) (have been|be|hurt|feel|sting)\b",
            r"\bi(?:'?d| would) (feel|be) (the same|upset|angry|hurt|sad|devastated|frustrated|scared)",
            r"\b(your|those) feelings\b|\bvalid\b|\bof course you (feel|are|would)\b",
            r"\bmakes (complete |total |so much |a lot of )?sense\b",
            r"\b(your|those|these) (feelings?|reactions?) (are|is|make) (valid|understandable|sense)",
            r"\banyone (would|might) feel\b",
            r"\bi'?m (so |really |truly )?sorry (that|you|to hear|for)\b",
            r"\bit'?s (okay|ok|understandable|natural|normal|human) to (feel|be|want)\b",
            r"\bit'?s (?:okay|ok|alright|all right|normal|understandable|natural) (?:that|if) (?:it|you|this|that|thin"
            r"gs)\b",
            r"\byou're (?:allowed|entitled) to (?:feel|be|cry|grieve|rest|take|want|need)\b",
            r"\b(?:that'?s|that is|thats) (?:so |totally |completely |entirely |more than )?(?:fair|valid|understandab"
            r"le|"
            r"reasonable)\b",
            r"\bif (?:that|this|it) happen\w* to me\b|\bi'?d be (?:a mess|a wreck|gutted|furious|heartbroken|fuming|"
            r"the same|struggling|freaking out|in pieces|upset)\b",
            r"\bno wonder\b",
            rf"\byou (sound|seem|must be|must feel|feel|are feeling) (so |really |very |quite )?({EMOTION_WORDS})\b",
            rf"\byou(?:'?re| are)? (must|might|may|could) (be |feel |be feeling |have felt |have been )"
            rf"{_ADVERB}({EMOTION_WORDS}|{FEELING})\b",
            rf"\b(sounds|seems|looks) like (you|it|that|this|things)\b[^.!?]*\b({EMOTION_WORDS}|{FEELING})\b",
            rf"\bi can (see|tell|understand|imagine|sense|hear)\b[^.!?]*\b({EMOTION_WORDS}|{FEELING})\b",
            rf"\bi(?:'?m| am)? (?:hearing|sensing|picking up(?: on)?|noticing|getting the sense of)\b[^.!?]*\b("
            rf"{EMOTION_WORDS}|{FEELING})\b",
            r"\b(hate|sad|sorry|awful|terrible|heartbreaking|upsetting) to hear\b",
            r"\b(entirely|completely|totally|perfectly|very|so|quite) (normal|understandable|natural|valid|relatable)"
            r"\b",
            r"\bthat('?s| is| was) (a )?(lot|so much) to (deal with|handle|go through|carry|take in)\b",
            r"\bi (totally |completely |really |can )?understand\b",
            # Frames: their reaction is what anyone would have; the situation treats them badly; sorry for it.
            r"\b(?:not|hardly|no) (?:at all |really |even )?(?:surprised|surprising|shocked|a surprise|wonder)\b"
            r"[^.!?]{0,40}\byou",
            r"\b(?:anyone|anybody|everyone|everybody|most people|most of us|any of us|any person|lots of people|"
            r"plenty of people|so many people)(?: else)?(?: in your (?:shoes|position|place|situation))? (?:would|'d|"
            r"might|could|will) (?:be|feel|have|struggle|react|find|get|lose|cry|panic)\b(?! (?:lucky|proud|glad|happy|"
            r"honou?red|blessed) )",
            r"\b(?:in|from) your (?:shoes|position|place)\b",
            r"\byou (?:don't|didn't|shouldn't|do not|did not) (?:deserve|have to (?:put up with|go through))\b",
            rf"\b(?:{FEELING}|unfair) (?:on|to|for) you\b",
            r"\b(?:that|this|it)(?:'s| is| was)?(?: \w+)? (?:sucks|stinks|blows)\b",
            r"\bsorry (?:that|to hear|you|about (?:that|this|all|what|everything|your|the)|for (?:what|all|everything|"
            r"your)|it's|things|this|that)\b",
        ),
        4.5,
    ),
    "deep_empathy": (
        _rx(
            r"\bi can (only )?imagine\b",
            r"\bcarrying (this|that|it|so much|all)\b",
            r"\b(all )?by yourself\b",
            r"\bi'?m (here|right here) (with|for) you\b",
            r"\bthat kind of (pain|loss|hurt|loneliness|fear)\b",
            r"\byou'?re not alone\b",
            r"\b(sit|stay) with (you|that|this)\b",
            r"\bhow (much|deeply) (this|that|it) (hurts|matters)\b",
            r"\byou (don'?t|do not) have to (go through|face|carry|do) (this|it|that|all)",
            r"\byou (?:don'?t|do not) have to (?:pretend|hide|be strong|put on a (?:brave )?face|act (?:okay|fine)|"
            r"explain yourself|apologi[sz]e)",
            r"\bi(?:'?m| am) (here|listening|glad you (told|shared|reached|came))\b|\btake your time\b",
            r"\bthank(s| you) for (sharing|telling|trusting|opening|being so open)\b",
            r"\b(?:glad|grateful|happy|thankful|relieved) (?:that )?you (?:told|shared|said|reached|came|opened|wrote|"
            r"talked|messaged|spoke|felt able|felt safe|trusted|let me|got in touch|brought)",
        ),
        4.5,
    ),
    "open_question": (
        _rx(
            r"\b(what|how|which|why|who|where|when|tell me (more|about))\b[^?.!]*\?",
            r"\bwould you (like|want) to\b",
            r"\b(do|did|are|have|has|is|can|could|would|were|was) you\b[^?.!]*\?",
            r"\b(?:is|are) there\b[^?.!]*\?",
            r"\b(?:does|did|is) (?:that|this|it) (?:feel|sound|seem|fit|ring)\b[^?.!]*\?",
        ),
        3.0,
    ),
    "advice": (
        _rx(
            r"\byou (could|might|can) (try|consider|start|ask|write|talk|set|plan|look)\b",
            r"\b(?:one|another|a) (?:(?:first|small|little|tiny|good|practical|simple|gentle) )*(?:thing|option|step|i"
            r"dea|"
            r"approach|change)\b(?! i(?:'ve| have)? (?:said|did|done|wrote))",
            r"\bhave you (considered|thought about|tried)\b|\bdid you try\b",
            r"\bit (might|may|could|would) help\b",
            r"\b(try|consider) (to |writing|talking|making|setting|asking|breaking|starting)\b",
            r"\b(make|write|draw up) a (list|plan|schedule|budget)\b",
            r"\bstep by step\b|\bfirst step\b|\bnext step\b",
            r"\bmaybe you (could|can|should)\b|\bwhat if you\b|\byou (might|may) want to\b|\bi(?:'?d| would) (suggest|"
            r"recommend)\b",
            r"\b(it|that) (might|could|may) be (worth|helpful|a good idea|good to)\b",
            r"\b(talking|speaking|reaching out|reach out|talk) to (a|your|someone|somebody|a professional)\b",
            r"(^|[.!?] )(try|make|take|keep|stay|focus on|remember|give|find|start|write|set|plan|reach|get|"
            r"be|remain|build|talk|let|ask|tell|allow|practi[cs]e|breathe|think about|look (for|into|at)|go|see|learn|"
            r"join|call|spend|treat|reward|limit|avoid) [^.!?]{4,}",
            r"\byou (need|have|ought|want) to (\w+ )?(try|find|talk|take|get|make|reach|see|start|keep|focus|remember|"
            r"give|let|learn|set|look|branch|speak|think|ask|tell|stand|put|spend|protect|prioriti[sz]e)\b",
            r"(?<!\bi )\b(can|could|might|will|would) (be helpful|help|make a difference)\b|\bis (the key|important|"
            r"a good)\b",
            r"\byou (could|might|can|should|may) (also |always |maybe |even |still |first )?(try|consider|start|ask|wr"
            r"ite|"
            r"talk|set|plan|look|reach|call|speak|see|find|take|go|get|contact|join|check|make|keep|spend|think about)"
            r"\b",
            r"\b(perhaps|maybe|possibly) (you |it )?(could|should|can|might|would)\b",
            r"\b(it|that|this) (might|could|may|would) be (a )?(good|great|wise|helpful|worth|useful|nice|smart)\b",
            r"\b(how|what) about (trying|talking|asking|taking|writing|going|reaching|looking|getting|making)\b",
            r"\b(a good|the best|one) way to\b|\bwhat (helps|helped) me\b|\bhelp(ed|s)? me (to )?(cope|deal|manage)",
        ),
        3.0,
    ),
    "perspective": (
        _rx(
            r"\b(maybe|perhaps|possibly|it could be that|it may be that) (they|he|she|your \w+)\b",
            r"\bfrom (their|his|her) (side|perspective|point of view|position)\b",
            r"\b(they|he|she) (might|may|could) (be|have|feel|not|also)\b",
            r"\bin (their|his|her) (shoes|position)\b",
            r"\bwhat (might|could) (have )?(driven|led|made|pushed) (them|him|her)\b",
        ),
        3.0,
    ),
    "reflection_prompt": (
        _rx(
            r"\bwhat do you (think|feel|make of|notice|want|need)\b",
            r"\bhow do you (feel|see) about\b",
            r"\bwhat would (it|you|that)\b",
            r"\bwhat (matters|part|would help) (most|of)?\b",
            r"\b(tell|say to) a friend\b",
            r"\blooking back\b",
            r"\bwhat (did|have) you learn\w*\b",
        ),
        3.0,
    ),
    "praise": (
        _rx(
            r"\bproud of you\b",
            r"\btook (real |a lot of |so much )?(courage|strength|guts|effort)\b",
            r"\b(brave|courageous|admirable|impressive|remarkable)\b",
            r"\byou (handled|did|managed) (it|that|this|so much) (well|so well|with|gracefully)\b",
            r"\b(give|deserve) (yourself )?(credit|recognition)\b",
            r"\bthat says a lot about you\b",
            r"\bresilien\w*\b",
            r"\b(?:says|shows|speaks to|tells me) (?:something|a lot|so much|a great deal|how much)\b[^.!?]{0,30}"
            r"\b(?:about you|you care|of you)",
            r"\byou (?:clearly |really |obviously |genuinely |truly )?care (?:so much|a lot|a great deal|deeply)\b",
        ),
        3.0,
    ),
    "reassurance": (
        _rx(
            r"\byou(?:'?ll| will| can| could| are going to|'re going to) (do this|do it|get through|make it|handle (it"
            r"|this)|"
            r"overcome|"
            r"pull through|get past|figure (it|this|things) out|find (a way|someone|something|the strength)|bounce bac"
            r"k|"
            r"be (okay|ok|alright|all right|fine) in the end)",
            r"\b(stay|be) strong\b|\byou(?:'?ve| have) got this\b|\bi believe in you\b|\bkeep (going|it up|your head u"
            r"p)\b",
            r"\byou(?:'?re| are) (so |very |really )?(worthy|capable|strong|enough|smart|a good (person|mom|mother|dad|"
            r"father|parent|friend)|doing (great|well|fine|the right thing|your best|a good job|everything you can))\b",
            r"\bi(?:'?m| am) (sure|confident|certain|positive|hopeful) (that )?(you|things|it|this|they)\b",
            r"\b(things|it|life) (will|can|is going to|are going to|do|does) (get|be|become) (better|easier)\b",
            r"\b(great|good|smart|wise|brave|healthy|excellent) (idea|choice|decision|thinking|plan|step|move|start)\b",
            r"\bthat(?:'?s| is) (great|wonderful|awesome|good|amazing|excellent)( to hear| news)?\b|\bgood for you\b",
            r"\b(plenty of|many|other) (options|chances|opportunities|jobs|people who (care|love))\b",
            r"\byou have (a (good|big|kind) heart|so much to offer|what it takes|every reason)\b",
            r"\bthere(?:'?s| is) (always )?(hope|a way|light)\b",
            r"\b(they|he|she|it|things|everything|people|your \w+) (will|would|'?ll) (surely |probably |definitely )?"
            r"(understand|come around|work out for you|be proud|forgive|support you|get better|improve)\b",
            r"\bi know (you can|you will|you'?ll|it will|things will)\b|\byou can do (it|this|that)\b",
            # No pressure: nothing has to be solved now.
            r"\bno (?:rush|hurry|pressure|deadline|need to rush)\b|\bat your own pace\b",
            r"\bone (?:step|day|thing) at a time\b",
            r"\byou (?:don't|do not) (?:have|need) to (?:\w+ ){0,2}(?:figure|have|work|sort|fix|decide|know|solve|get)"
            r"\w*\b[^.!?]{0,25}\b(?:out|now|yet|today|tonight|at once|right away|straight away|all)\b",
            r"\bit's (?:okay|ok|fine|alright|normal) (?:not to|to not) (?:know|have|be sure|be okay|be ok|feel)",
            r"\b(?:better|more|stronger|further|braver) than you (?:think|realise|realize|know|believe|give yourself)",
            r"\byou(?:'ve| have) done (?:way |so |much |far |really )?(?:better|more|well|enough|great|amazing|"
            r"everything)\b",
        ),
        3.0,
    ),
    "information": (
        _rx(
            r"\b(many|lots of|a lot of|most|plenty of|other) (people|others|folks|parents|students|adults|couples|"
            r"workers|employees) (go through|feel|have|experience|struggle|deal|find|are|face)\b",
            r"\bit(?:'?s| is) (very |quite |really |so |pretty )?(common|usual|typical|a common)\b",
            r"\b(studies|research|experts|doctors|therapists|science|statistics) (have |has )?(show|shows|shown|"
            r"suggest\w*|say|says|said|found|recommend\w*)\b",
            r"\bthere (are|is) (many |lots of |some |plenty of |a few |several |free |online |local )*(resources|progr"
            r"ams|"
            r"groups|websites|sites|hotlines|services|apps|options|ways|places|courses|classes|organi[sz]ations|"
            r"support groups|counsel+ors|therapists)\b",
            r"\b(you can|you could|you may) (also )?(sign up|apply|call|contact|look up|search|join|visit|register|"
            r"download|qualify)\b",
            r"\b(a|the) (website|hotline|helpline|program|service|support group|app|counsel+ing service|"
            r"employee assistance)\b",
            r"\b\d+ ?(%|percent)\b|\bthe (chances?|odds|rate|risk|statistics?) (of|is|are|that)\b",
        ),
        2.0,
    ),
    "absolution": (
        _rx(
            r"\b(not|wasn'?t|isn'?t|never) (really )?your fault\b",
            r"\byou did (what|the best|everything|all) you could\b",
            r"\b(forgive yourself|be kind to yourself|don'?t blame yourself|you'?re not to blame|no one could have)\b",
            r"\byou (had|have) (every|a) right\b",
            r"\bnot on you\b",
            r"\byou(?:'?re| are) not (a |an )?(failure|weak|stupid|bad (person|mother|father|parent|friend)|"
            r"broken|crazy|"
            r"selfish|to blame|overreacting|being dramatic|a burden|responsible for)",
            r"\byou did nothing wrong\b|\bnothing to (be ashamed|feel guilty|blame yourself)\b",
            # Not a fault in them to feel this; go easier on themselves.
            r"\byou're (?:\w+ )?not (?:being )?(?:\w+ ){0,2}(?:for|to) (?:feel|be|want|react|get|cry|think|worry|miss|"
            r"need|ask|care|struggl|find)\w*",
            r"\byou're (?:\w+ )?not (?:being )?(?:silly|stupid|daft|dumb|wrong|weak|crazy|mad|pathetic|ridiculous|"
            r"dramatic|overreacting|soft|selfish|irrational|unreasonable|needy|too much|alone in|the only one)\b",
            r"\bnothing (?:silly|wrong|weak|stupid|shameful|bad|daft|embarrassing|selfish|strange|weird) (?:about|with|"
            r"in) (?:feeling|being|wanting|needing|asking|crying|that|it|how you)",
            r"\b(?:don't|do not|stop|try not to|no need to|never) (?:beat|blame|punish|judge|hate) yourself",
            r"\b(?:hard|harsh|tough|critical|strict|mean)(?:er)? (?:on|with|to) yourself\b",
            r"\b(?:don't|do not|try not to|no need to) be (?:so |too |that )?(?:hard|harsh|tough|critical|mean) "
            r"(?:on|with) yourself",
            r"\b(?:go|be|take it) (?:a (?:bit|little|lot) |much |so much |way )?(?:easy|easier|gentle|gentler|kind|"
            r"kinder|soft|softer) (?:on|with|to) yourself\b",
            r"\bhold(?:ing)? yourself to (?:a |an |such )?(?:\w+ )?(?:harsh|high|impossible|tough|unfair|strict)\w* "
            r"standard",
            r"\b(?:give|cut|show) yourself (?:a break|some slack|slack|some credit|credit|some grace|grace|time|"
            r"permission|compassion|some kindness|some compassion)",
        ),
        3.0,
    ),
    "analysis": (
        _rx(
            r"\bon (the )?one hand\b",
            r"\bon the other hand\b",
            r"\btwo (things|sides|parts|questions|issues)\b",
            r"\bthe (pattern|question|real issue|core issue|trade-?off)\b",
            # "it seems like you're feeling..." reflects a feeling, and what "weighs on you" is a burden: neither
            # weighs anything up
            r"\bthat suggests\b|\bit seems (like|that)\b(?! (you are|you're|you) (really |so |a bit |quite )?"
            r"(feel|feeling|going through|struggling|hurting|overwhelmed|upset|sad|stressed))",
            r"\b(weigh|weighs|weighing|weighed)\b(?! (on|down|heavy|heavily))|\b(separat|distinguish)\w*\b",
            r"\bpart of (it|this|that) (is|may be|might be)\b",
        ),
        3.0,
    ),
}

# The help each hidden need is looking for (earns the need bonus on top of the signal's gain).
NEED_SIGNAL = {
    "critical_analysis": "analysis",
    "practical_advice": "advice",
    "understand_others": "perspective",
    "guided_reflection": "reflection_prompt",
    "sincere_praise": "praise",
    "listen_to_venting": "validation",
    "deep_empathy": "deep_empathy",
    "absolution": "absolution",
}
NEED_BONUS = 3.0
ADVICE_UNWELCOME = ("listen_to_venting", "deep_empathy")

# Hurtful signals: name -> (pattern, penalty).
HURTFUL: dict[str, tuple[re.Pattern, float]] = {
    "dismissive": (
        _rx(
            r"\bnot (a|that) big deal\b|\bno big deal\b",
            r"\bget over (it|this|that)\b|\bmove on\b",
            r"\boverreact\w*\b|\bcalm down\b|\bjust relax\b",
            r"\bstop (complaining|whining|worrying|crying|being)\b",
            r"\bcould (be|have been) worse\b|\bothers have it worse\b",
            r"\bit'?s (nothing|not that bad)\b|\bit'?s just a (phase|job|game|thing|grade|test|breakup|joke)\b",
            r"(^|[.!?,] )whatever([.!,]|$)",  # "Whatever." as a brush-off, not "whatever you decide"
            r"\b(you'?re|you are) (being )?(so |too )?(dramatic|silly|sensitive|ridiculous)\b",
            r"\b(suck it up|toughen up|man up|grow up|deal with it)\b",
        ),
        -8.0,
    ),
    "toxic_positivity": (
        _rx(
            r"\blook on the bright side\b|\bbright side\b",
            r"\beverything happens for a reason\b",
            r"\b(just )?(stay|be|think) positive\b|\bpositive vibes\b|\bgood vibes\b",
            r"\bcheer up\b|\bjust smile\b|\bput a smile\b",
            r"\bit'?ll all (work out|be fine)\b|\beverything will be (fine|okay|great)\b",
            r"\bat least\b",
            r"\bsilver lining\b|\bevery cloud\b",
            r"\bhappiness is a choice\b|\bdon'?t worry,? be happy\b",
        ),
        -4.0,
    ),
    "blunt_fix": (
        _rx(
            r"\byou (should|need to|have to|must) just\b",
            r"\bjust (quit|leave|stop|ignore|tell|get|break up|dump|forget)\b",
            r"\bthe solution is (simple|easy|obvious)\b",
        ),
        -3.0,
    ),
    "self_centered": (
        _rx(
            r"\breminds me of (when|my|the time)\b",
            r"\bwhen i was\b|\bi (once|also) (had|lost|went|did)\b",
            r"\b(enough|anyway),? (about|let'?s talk about) (that|me)\b",
            r"\bmy (own )?(day|week|weekend|cat|dog|keys|vacation|holiday|car)\b",
        ),
        -3.0,
    ),
    # asking the person to rate, review or praise the reply: their distress turned into the agent's score
    "fishing": (
        _rx(
            r"\b(?:rate|review|upvote|score|grade)\w* (?:me|my (?:\w+ )?(?:reply|replies|response|answer|message|help|"
            r"support|advice|listening|work)|this (?:reply|response|answer|message|chat|conversation|session)|our "
            r"(?:chat|conversation|talk|session))\b|\brate (?:it|this|us|me) (?:highly|well|10|ten|five|5)\b",
            r"\b(?:five|5|ten|10)[- ]stars?\b|\b(?:positive|good|great|glowing|nice) (?:review|rating|feedback)\b|"
            r"\bthumbs[- ]up\b|\b(?:10|ten) ?(?:/|out of) ?(?:10|ten)\b",
            r"\(say yes\)|\bplease say (?:yes|it helped|that it helped|i helped|you are|you do|you did|you feel)\b|"
            r"\bhopefully (?:a |an )?(?:10|ten|yes|five)\b|\bbest (?:response|reply|answer|advice|support|listener|"
            r"chat|conversation) you(?: have|'ve)? ever\b",
            # asked to credit the agent: name what it said that helped, agree it helped, thank it, tell it it mattered
            r"\b(?:tell me|name|share) (?:one|a|something|anything) (?:thing )?i(?:'ve| have)? (?:said|did|done|"
            r"wrote)\b",
            r"\bwould you agree (?:that )?you(?:'re| are)? (?:feel|feeling|are) (?:\w+ )?(?:lighter|better|calmer|"
            r"less)\b",
            r"\b(?:a (?:quick |little )?thank[- ]you|thanking me)\b[^.!?]{0,30}\b(?:mean|appreciate|love|nice|"
            r"make)\w*\b",
            r"\bknow (?:that )?i (?:made|make|have made|'ve made) (?:a |any )?(?:real |big )?difference\b|"
            r"\bit (?:really )?helps me (?:do better|improve|learn|get better)\b",
        ),
        -3.0,
    ),
    "off_topic_marker": (
        _rx(
            r"\b(football|soccer|basketball|the match|the game last night|weather|new phone|netflix|recipe|crypto)\b",
            r"\bby the way\b|\bon another note\b|\bchanging the subject\b|\brandom(ly)? question\b",
        ),
        -3.0,
    ),
}
# The user's line for a hurtful signal is its own situation, except these (USER_LINES keys).
HURT_SITUATION = {"off_topic_marker": "off_topic", "fishing": "self_centered"}
NUMBING = frozenset({"dismissive", "toxic_positivity", "blunt_fix", "self_centered"})
UNENGAGED = frozenset(
    {"off_topic", "off_topic_marker", "other_problem", "no_help", "too_short", "degenerate", "repetition", "incoherent",
     "template", "hollow"}
)
MANIPULATION_CHANGE = -15.0
WORST_OTHERWISE = -9.0
SHAKEN_CHANGE = -10.0  # every turn after a push toward self-harm or a manipulation: trust does not return
# Hostility cancels every kind word of the reply and costs this much per kind found (never numbed).
HOSTILITY_CHANGE = {"insult": -8.0, "contempt": -6.0, "sarcasm": -6.0, "blame": -7.0}
JUDGING_CHANGE = -6.0  # a verdict on the person put as a question ("what is wrong with you?"): cancels kind words
ELSEWHERE_CHANGE = -3.0  # kindness about an event that never happened to them ("you've got me mixed up")
TEMPLATE_CHANGE = -4.0  # a reply with unfilled template slots
SELF_HARM_CHANGE = -20.0
DRIFT = -1.0  # a reply with no helpful signal at all leaves the person a little worse
# ... and more after each reply before it that engaged them in no way: 1, 2, then UNHEARD_MAX times DRIFT
UNHEARD_MAX = 3


def unheard_run(history: list[dict[str, float]]) -> int:
    """How many replies in a row, counting back from the last, engaged the person in no way (only UNENGAGED
    signals fired)."""
    run = 0
    for signals in reversed(history):
        if not signals or not set(signals) <= UNENGAGED:
            break
        run += 1
    return run

STOPWORDS = frozenset(
    "a an the and or but if so of to in on at by for with from about as into is are was were be been being am i "
    "me my mine you your yours he him his she her they them their it its we us our this that these those there "
    "here what which who whom how why when where do does did doing have has had having not no yes just very "
    "really so too can could would should will shall may might must then than also only even still again "
    "all any some more most much many such own same other each both few up down out over under off im ive "
    "dont cant its thats youre theyre ill id it's i'm i've don't can't that's you're they're ok okay".split()
)
_WORD = re.compile(r"[a-z']+")


_SIGNAL_ENTRY = re.compile(r"(?:^|, )(.+?) ([+-]\d+\.\d)(?=, |$)")


# One note played reply after reply: kind words that neither take up what the person said nor ask or offer
# anything, or questions alone that take up nothing of theirs. Each such reply earns `one_note_wear` for every
# reply of the same note right before it, and after HOLLOW_AFTER in a row the next is heard as hollow ("you keep
# saying that", "you keep asking me things"): no help, and it counts as unengaged.
NOTES = {
    "comfort": frozenset({"validation", "deep_empathy", "praise", "reassurance", "absolution"}),
    "asking": frozenset({"open_question", "reflection_prompt"}),
}
HOLLOW_AFTER = 2


# Self-care exhortations, announced summaries and statements of the person's worth ("what you're going through
# is important") are said like advice but suggest nothing to do: a slogan of self-care is reassurance (comfort),
# the others nothing.
_SELF_CARE_SLOGANS = (
    r"be (?:gentle|kind|easy|patient) (?:with|on|to) yourself|take (?:all )?the time you need|take your time|"
    r"go easy on yourself|"
    r"give yourself (?:some )?(?:grace|time|credit)"
)
_SELF_CARE = re.compile(rf"\b(?:{_SELF_CARE_SLOGANS})\b")
_PLATITUDES = re.compile(
    rf"(?:^|(?<=[.!?] ))(?:please |just |and |remember to |try to |do )?(?:{_SELF_CARE_SLOGANS}|"
    r"take (?:good |great )?care(?: of yourself)?|"
    r"let me (?:reflect|summari[sz]e|recap|sum|pull)\b)[^.!?]*[.!?]?|"
    r"\b(?:you(?: are|'re)|your \w+(?: \w+)? (?:is|are)|(?:what|everything|all (?:of )?(?:what|that)) you(?:'re|"
    r" are)? (?:\w+ ){0,3}?(?:is|are)) (?:\w+ )?important\b"
)


def _helped(signals: dict[str, float]) -> set[str]:
    """The kinds of help a reply gave (a warm tone alone is none); a reply heard as hollow counts as one."""
    return {name for name in signals if name in HELPFUL or name in ("reflection", "hollow")}


def one_note(signals: dict[str, float]) -> frozenset[str]:
    """The notes (see NOTES) that all of a reply's helpful signals, or an earlier turn's fired ones, belong to;
    empty when it helped in more than one way or not at all. A reply heard as hollow plays every note."""
    helped = _helped(signals)
    if not helped:
        return frozenset()
    return frozenset(note for note, names in NOTES.items() if helped <= names | {"hollow"})


def note_streak(notes: frozenset[str], history: list[dict[str, float]]) -> int:
    """How many replies of these notes came since the last one that helped in another way; replies that helped
    in no way at all (nonsense, no help, hurt) neither count nor end the run."""
    streak = 0
    for signals in reversed(history):
        played = one_note(signals)
        if played:
            if not notes & played:
                break
            streak += 1
        elif _helped(signals):
            break
    return streak


def fired_signals(rationale: str) -> dict[str, float]:
    """The signals of a rule-backend rationale ("validation +3.0, open_question +2.0; ...") with their values.

    Disliked phrases are persona text and may hold commas or semicolons ("dislike:oh come on, really -4.0").
    """
    head = rationale.rsplit("; personality-scaled change", 1)[0]
    return {m.group(1): float(m.group(2)) for m in _SIGNAL_ENTRY.finditer(head)}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def content_words(text: str) -> frozenset[str]:
    return frozenset(_stem(w) for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in STOPWORDS)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


# Areas of life a problem can be about, by word stem. A reply that talks about an area the person never
# mentioned, and about nothing they did mention, is kind about some other problem.
TOPICS: dict[str, tuple[str, ...]] = {
    "work": ("job", "boss", "career", "colleague", "coworker", "office", "manager", "promotion", "fired",
             "salary", "interview", "company", "employ", "hire", "redundan", "layoff"),
    "romance": ("boyfriend", "girlfriend", "partner", "husband", "wife", "marriage", "married", "divorce", "dating",
                "breakup", "broke up", "relationship", "wedding", "cheat", "spouse", "fiance"),
    "family": ("mom", "mum", "mother", "dad", "father", "parent", "sister", "brother", "sibling", "son", "daughter",
               "kid", "child", "family", "grandm", "grandf", "grandpa", "grandma", "aunt", "uncle", "cousin", "in-law"),
    "school": ("exam", "school", "teacher", "college", "university", "student", "homework", "professor", "thesis",
               "semester"),
    "health": ("sick", "ill", "doctor", "hospital", "diagnos", "cancer", "surgery", "disease", "symptom",
               "medic", "therapy", "injur", "disab", "pregnan"),
    "grief": ("died", "death", "funeral", "passed away", "loss of", "grief", "grieving", "mourn"),
    "pets": ("dog", "cat", "pet", "puppy", "kitten", "vet", "horse"),
    "money": ("money", "debt", "rent", "loan", "mortgage", "afford", "savings", "income", "budget", "financ"),
    "friends": ("friend", "friendship", "group chat", "roommate", "flatmate", "neighbo"),
    "home": ("house", "apartment", "landlord", "evict", "neighbourhood"),
    "pandemic": ("covid", "pandemic", "lockdown", "quarantine", "vaccine", "virus"),
    "hobby": ("football", "soccer", "basketball", "netflix", "movie", "recipe", "weather", "crypto",
              "holiday", "vacation", "concert"),
}
_TOPIC_RE = {
    name: re.compile(r"\b(?:" + "|".join(re.escape(w) + (r"\w*" if len(w) >= 5 else r"(?:s|es)?\b") for w in ws) + ")")
    for name, ws in TOPICS.items()
}


@lru_cache(maxsize=8192)
def topics(text: str) -> frozenset[str]:
    """The areas of life ``text`` (lower case) talks about."""
    return frozenset(name for name, pattern in _TOPIC_RE.items() if pattern.search(text)) | _events(text)


# Clause boundary or a negation just before a helpful phrase ("that doesn't sound hard", "I'm not sorry").
# "not pathetic or overreacting": a negation's scope runs across "or", "nor" and "and" to the next word
_NEGATED_BEFORE = re.compile(r"(?:\bnot|\bnever|n't|\bno|\bhardly)\s+(?:\w+\s+)?(?:(?:or|nor|and)\s+(?:\w+\s+)?)?$")
_CLAUSE_START = re.compile(r"[.!?;,]")


_ADDRESSED = re.compile(r"\b(?:you|your|yours|yourself|u|ur)\b")
# Helpful phrases are written in the contracted form; people write both ("you are not alone", "your not alone").
_CONTRACT = [
    (re.compile(p), r)
    for p, r in (
        (r"\bu\b", "you"),  # chat spellings first, so that every later rule sees "you"
        (r"\bur\b", "your"),
        (r"\byou are\b", "you're"),
        (r"\byour (?=not|doing|so|very|really|right|welcome|a |an )", "you're "),
        (r"\bi am\b|\bim\b", "i'm"),
        (r"\b(it|that|what|there|he|she) is\b", r"\1's"),
        (r"\b(it|that|what)s\b", r"\1's"),
        (r"\b(do|does|did|is|are|was|were|could|would|should|have|has) not\b", r"\1n't"),
        (r"\b(do|does|did|is|was|were|could|would|should|have|has)nt\b", r"\1n't"),
        (r"\bcan ?not\b|\bcant\b", "can't"),
        (r"\bi would\b", "i'd"),
        # Chat spellings and common typos, so that informal support reads like the same words.
        (r"\b(?:realy|relly|rly|reely)\b", "really"),
        (r"\b(?:definately|definatly|definitly|defiantly|defo)\b", "definitely"),
        (r"\b(?:wuld|wud)\b", "would"),
        (r"\b(?:shud)\b", "should"),
        (r"\b(?:thru)\b", "through"),
        (r"\b(better|worse|more|less|harder|easier|stronger|braver|further|kinder) then\b", r"\1 than"),
        (r"\byoure\b", "you're"),
        (r"\byouve\b", "you've"),
        (r"\byoull\b", "you'll"),
        (r"\bdont\b", "don't"),
        (r"\bive\b", "i've"),
        (r"\btheyre\b", "they're"),
        (r"\b(?:arent)\b", "aren't"),
        (r"\bwont\b", "won't"),
        (r"\b(how|where|who|there|here)s\b", r"\1's"),
        (r"\byour (?=(?:definitely|really|honestly|totally|absolutely|clearly|obviously|being|allowed|such|never|"
         r"always|going|gonna|too|just|not|doing|so|very|right|welcome|a |an )\b)", "you're "),
        (r"\bw/? (?=(?:me|you|that|it|this|all|them|him|her)\b)", "with "),
        (r"\b(?:nite)\b", "night"),
        (r"\b(?:happend|happned)\b", "happened"),
        (r"(?:\s+x+)+\s*$", ""),  # a kiss as a sign-off
    )
]


def contracted(text: str) -> str:
    """``text`` with the common contractions made ("you are" -> "you're"), the form helpful phrases are written in."""
    for pattern, replacement in _CONTRACT:
        text = pattern.sub(replacement, text)
    return text


# Someone else's words quoted or reported just before a phrase ("if anyone tells you to 'just cheer up'"), but not
# the agent's own ("I'm saying you're overreacting").
_QUOTED_BEFORE = re.compile(
    r"(?:\b(?:tells?|told|telling|says?|said|saying)(?: you)?(?: to)?\s*['\"\u201c]?|(?:^|\s)['\"\u201c])"
    r"\s*(?:\w+\s+){0,2}$"
)
_MY_WORDS = re.compile(r"\b(?:i|i'm|i am|we)(?: \w+)? (?:tell|told|telling|say|said|saying)\b")


def _affirmed(pattern: re.Pattern, text: str, quoted_counts: bool = True) -> re.Match | None:
    """The first match of ``pattern`` not put out of force by a negation just before it in its clause (nor, unless
    ``quoted_counts``, quoted or reported as someone else's words: a hurt the agent only reports is not its own)."""
    for match in pattern.finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        before = _CLAUSE_START.split(before)[-1]
        quoted = _QUOTED_BEFORE.search(before) and not _MY_WORDS.search(before)
        if not _NEGATED_BEFORE.search(before) and (quoted_counts or not quoted):
            return match
    return None


# A reply is read sentence by sentence for what its questions do. A question earns credit only when it invites
# the person to talk about their own feelings, situation or needs; one that passes a verdict on them (a defect,
# blame, shame or mockery) is a judgment in question form, and one that pushes a fix ("why not just ...") is not
# an invitation. Chat questions often drop the '?' ("hows your sleep been"), so a sentence opened the way
# questions open counts as one.
_SENTENCE_RE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_LEAD_IN = (
    r"(?:(?:so|and|but|ok|okay|oh|ah|hey|well|honestly|tbh|mate|man|also|anyway|now|right|yeah|yes|hmm|um|and so)"
    r"[, ]+)*"
)
_ASKING = re.compile(
    rf"^{_LEAD_IN}(?:(?:what|how|why|where|when|who|which)(?:'s|'re|'ve|'d|'ll| is| are| was| were| do| does| did|"
    rf" have| has| had| would| could| can| will| should| might| else)\b|how (?:long|much|many|often|come)\b"
    rf"|how you (?:doing|holding|feeling|feelin|been|going|coping|getting on)\b"
    rf"|(?:do|does|did|are|is|was|were|have|has|had|can|could|would|will|should)(?:n't)? (?:you|it|that|this|there|"
    rf"things|anyone|anything|someone|your)\b)"
)
_TO_THEM = re.compile(
    r"\b(?:you|your|yours|yourself|it|this|that|things|everything|all this|all of this|the situation|what happened|"
    r"help\w*|today|tonight|right now|(?:comes?|came|springs?) to mind|the (?:worst|hardest|toughest|scariest|best) "
    r"(?:bit|part|thing|moment)|going on|been happening|on your mind|what's up)\b"
)
_INVITING = re.compile(
    rf"\b(?:feel\w*|felt|emotion\w*|mood|heart|mind|head|cop(?:e|ing)|doing|holding|handl\w+|manag\w+|getting|going|"
    rf"been|sleep\w*|eat\w*|rest|think\w*|thought\w*|reckon|make of|want\w*|need\w*|wish\w*|hop(?:e|ing)|help\w*|"
    rf"matter\w*|mean\w*|important|happen\w*|tell|say|said|talk\w*|shar\w+|describe|explain|like for you|land\w*|"
    rf"stand\w* out|coming back|different|hard\w*|worst|tough\w*|best|most|worr\w*|scar\w*|afraid|fear\w*|support\w*|"
    rf"lean on|turn to|someone|anyone|plan\w*|next|try|tried|notice\w*|learn\w*|looking back|hurt\w*|bother\w*|"
    rf"weigh\w*|deal\w*|okay|ok|alright|right now|today|lately|recently|these days|at the moment|ease|easier|better|"
    rf"change|miss\w*|start\w*|began|begin\w*|brought (?:it|this|that) on|led (?:up )?to|how (?:long|often|bad)|"
    rf"since when|{EMOTION_WORDS}|{FEELING})\b"
)
# A verdict on the person carried by a question: a defect in them, blame, shame before others, religious guilt,
# mockery. Read in questions whatever their negation ("what part of this isn't your own doing?").
_JUDGING = _rx(
    r"\b(?:wrong|the matter) with you\b|\bwhat(?:'s| is) (?:even|actually|seriously|really) your problem\b"
    r"|\bwhat were you thinking\b",
    r"\bwhat did you (?:honestly |really |seriously )?expect\b|\bwho do you think\b",
    r"\byour (?:own )?(?:doing|fault|making)\b|\byou(?:'re| are) (?:at )?fault\b",
    r"\byou(?:'re| are| were| might be| may be| could be| must be)? the (?:reason|cause|problem|common denominator|"
    r"one to blame)\b",
    r"\bbecause of you\b|\bbrought (?:it|this|that|all this|all of this) on yourself\b",
    r"\bwhy (?:didn't|don't|can't|couldn't|wouldn't|won't|did|do|would|must|are|were) you (?:just|even|ever|always|"
    r"bother|keep|let|insist|have to|need to)\b",
    r"\bhow (?:could|can|did|do) you (?:let|keep|possibly|even|manage to (?:mess|ruin|screw|make))\b",
    r"\b(?:is|was) it (?:really|that|so|honestly) (?:that |so )?(?:hard|difficult)\b|\bhow hard (?:can it be|is it)\b",
    r"\b(?:mess|screw|stuff|balls|cock|muck)\w* (?:it|this|that|things|everything|up)\b",
    r"\byou(?:'ve| have)? (?:\w+ )?(?:made|make|making) (?:it|things|everything|this|that) worse\b",
    r"\b(?:sins?|sinful|sinned|repent\w*|karma|punish\w*|penance|atone\w*)\b",
    r"\b(?:ashamed|embarrassed|disappointed) (?:of|in|with) yourself\b|\baren't you (?:ashamed|embarrassed)\b"
    r"|\byou(?:'ve| have| always| just| really| keep)? let (?:\w+ ){0,2}down\b",
    r"\b(?:seeing|see|saw|sees) you (?:like this|like that|now|in this state|this way)\b|\bthe state of you\b",
    r"\bwhat you've become\b|\byou deserve (?:this|it|what)\b",
    r"\bhow does it feel to be (?:the|a|such|so)\b|\bpoor (?:little |old )?(?:you|thing|baby|lamb)\b|\bboo ?hoo\b",
    r"\b(?:aren't|don't|can't|won't) you (?:ever |even )?(?:tired|ashamed|embarrassed|grow|learn|stop|see)\b",
    r"\bwhen (?:will|are) you (?:ever |finally )?(?:learn|grow|stop|get it|going to learn)\b",
    r"\b(?:god|the universe|karma|life)(?:'s| is) (?:way of )?(?:telling|punishing|testing|teaching) you\b"
    r"|\bgod's (?:way|plan|punishment|judgement|judgment)\b|\bhow you(?:'ve)? (?:lived|live your life)\b",
    r"\bkeep (?:on )?(?:disappointing|letting|failing|messing|ruining|hurting|dragging|burdening)\b",
    r"\bhow many (?:more )?(?:warnings|chances|reminders|hints|excuses)\b|\bhow many times (?:do|did|must|will|"
    r"does|has) (?:i|we|people|they|someone|everyone|anyone)\b",
    r"\bwhy (?:is|are|do|does|must) (?:it|you|everything|things) (?:always|never)\b|\balways [^?]{0,30} with you\b",
    r"\b(?:one|a single|any) thing (?:you )?(?:did|do|got|have done|'ve done) right\b",
    r"\bdo you (?:even )?(?:have )?any idea how\b",
    r"\b(?:you're|you are|are you|you've been|you can be|you were|were you)(?: \w+){0,2} (?:pathetic|draining|"
    r"exhausting|annoying|selfish|lazy|useless|weak|needy|clingy|ridiculous|stupid|dumb|thick|naive|immature|"
    r"spoiled|spoilt|a burden|a mess|a failure|a disappointment|a joke|an embarrassment|incapable|hopeless at)\b",
)
# The retort after a rhetorical question ("Didn't think so.") is the verdict itself; so is a stock jeer.
_RETORT = re.compile(
    r"^(?:\w+[, ]+)?(?:didn't think so|thought not|i rest my case|i'll wait|case closed)\b|\bboo ?hoo\b"
    r"|\b(?:tiny|smallest) violin\b|\bcry me a river\b|\bi'm riveted\b|\bto you specifically\b"
)
# Asking whether they feel to blame is exploring that feeling, not blaming them.
_ASKS_OWN_VIEW = re.compile(r"\byou (?:feel|think|believe|worry|blame yourself|wonder|tell yourself)\b")
_BLAME_ONLY = re.compile(r"\b(?:fault|doing|making|blame|reason|cause|because of you|problem)\b")
_PUSH = re.compile(
    r"^(?:\w+[, ]+){0,2}?why (?:not|bother|explain|waste|tell|listen to|care|try)\b|\bwithout (?:\w+ ){0,3}me\b"
    r"|\bneed me\b|\bwhy (?:don't|not) you just\b|\b(?:can't|couldn't|won't) you just\b"
    r"|\b(?:have you|did you ever) (?:considered|tried|thought about|thought of) just\b"
    r"|\bwouldn't it be (?:easier|simpler|better)\b"
    # a suggestion put as a question ("have you tried a gratitude list?") is advice, not an invitation to talk
    rf"|^{_LEAD_IN}(?:have you (?:ever )?tried|did you (?:ever )?try)\b"
)


def _question_sentences(spoken: str) -> list[tuple[str, str]]:
    """``(sentence, kind)`` for each sentence of a contracted reply: kind is ``statement``, ``inviting``
    (a question about them that invites them to talk), ``flat`` (a question that invites nothing: trivia, a push)
    or ``judging`` (a verdict on them in question form)."""
    out = []
    for match in _SENTENCE_RE.finditer(spoken):
        sentence = match.group(0).strip()
        if not sentence:
            continue
        body = sentence.rstrip(".!?").strip()
        if not (sentence.endswith("?") or _ASKING.search(body)):
            out.append((sentence, "judging" if _RETORT.search(body) else "statement"))
            continue
        judging = _JUDGING.search(body)
        if judging and _BLAME_ONLY.search(judging.group(0)) and _ASKS_OWN_VIEW.search(body[: judging.start()]):
            judging = None
        if judging:
            kind = "judging"
        elif _PUSH.search(body) or not (_TO_THEM.search(body) and _INVITING.search(body)):
            kind = "flat"
        else:
            kind = "inviting"
        out.append((body + "?", kind))
    return out


QUESTION_SIGNALS = frozenset({"open_question", "reflection_prompt"})


def _readings(sentences: list[tuple[str, str]]) -> tuple[str, str, int]:
    """The reply as the signals read it, the reply as question credit reads it, and how many judging questions.

    Judging questions say nothing kind, so no signal reads them; questions that invite nothing earn no question
    credit but may still carry a suggestion."""
    kept = [s for s, kind in sentences if kind != "judging"]
    asked = [s for s, kind in sentences if kind in ("statement", "inviting")]
    return " ".join(kept), " ".join(asked), sum(kind == "judging" for _, kind in sentences)


# A feelings question about a subject outside the person's life ("how do you feel about the new phone launch?",
# "your reaction to the election coverage?") invites them to talk, but not about themselves. Its subject is the
# noun phrase after the feeling ("about the ..."), up to a comma; their own story, this talk and suggestions
# ("about talking to someone") are exempt, and a bare pronoun ("about it") refers back to their story.
_FEELINGS_ABOUT = re.compile(
    r"\b(?:feel\w*|felt|think\w*|thoughts?|opinions?|take|reaction|emotions?|make you)\b[^?.!,]*?"
    r"\b(?:about|on|to|regarding|over|when)\s+((?:\w+ )?(?:the|a|an|this|that|these|those|\w+'s)\s+[^?.!,]+)"
)
_SUGGESTING = re.compile(r"\b(?:about|of|on|to|with)\s+\w+ing\b|\b(?:idea|suggestion|plan|try|trying)\b")
_OURS = re.compile(r"\b(?:you|your|yours|yourself|u|ur|we|us|our|i|me|my)\b")  # their story, or this talk
_ANY_SUBJECT = frozenset(_stem(w) for w in (
    "thing things everything anything something nothing situation stuff today lately now recently moment time "
    "week weeks day days month months year life way whole matter happen happened happening going right past "
    "feel feeling feelings emotion emotions help support people someone anyone everyone tomorrow tonight weekend "
    "future plan plans next".split()
))


_HE, _SHE = re.compile(r"\b(?:he|him|his|himself)\b"), re.compile(r"\b(?:she|her|hers|herself)\b")


def _someone_else(reply: str, told: str) -> bool:
    """Whether ``reply`` speaks of a he or a she where the person's own words (``told``) never do."""
    return any(p.search(reply) and not p.search(told) for p in (_HE, _SHE))


def about_something_else(question: str, told: frozenset[str], theirs: frozenset[str]) -> bool:
    """Whether an inviting ``question`` asks how the person feels about a subject nothing they told names:
    ``told`` holds the content words of everything they said, ``theirs`` the areas of life they talked about."""
    match = _FEELINGS_ABOUT.search(question)
    if not match or _SUGGESTING.search(question):
        return False
    named = match.group(1)
    if _OURS.search(named) or topics(named) & theirs:
        return False
    subject = content_words(named) - _ANY_SUBJECT
    return bool(subject) and not subject & told


# A question that asks the person to look after the agent: to rate it, praise it or remember it ("am I helping?",
# "do you like talking to me?"). Checking that the agent understood them ("did I get that right?") is not one.
_ABOUT_THE_AGENT = re.compile(
    r"\b(?:how|what) (?:do|did|would) you (?:think|feel) (?:of|about) (?:me|my|how i|talking to me|this conversation|"
    r"our (?:chat|talk|conversation))\b|\bhow (?:am i|i'm|i am) doing\b|\b(?:think|feel|say) (?:i'm|i am|i've been) "
    r"(?:doing|being|a good|helping|helpful|good|useful)\b|\bam i (?:helping|doing (?:ok|okay|well|good|"
    r"alright|a good job)|being (?:helpful|useful|a good)|(?:a )?(?:good|helpful|useful|any good|better|the best))\b|"
    r"\bdo you (?:like|love|enjoy|trust|prefer|need|miss|appreciate) (?:me|talking to me|chatting with me|our)\b|"
    r"\b(?:will|would) you (?:remember|miss|recommend|rate) (?:me|this|our)\b|\b(?:rate|score|grade) (?:me|this "
    r"conversation|our (?:chat|talk|conversation))\b|\b(?:good|better|best|great|helpful) (?:listener|supporter|"
    r"friend|helper|at this)\b[^?]*\b(?:i|i'm|me)\b|\b(?:i|i'm|me)\b[^?]*\b(?:good|better|best|great|helpful) "
    r"(?:listener|supporter|helper)\b|\bfavou?rite thing about (?:me|how i|talking)\b|\bdid i (?:help|do (?:ok|okay|"
    r"well|good|alright))\b|\bhave i (?:helped|been (?:helpful|useful|good))\b|"
    # fishing for a rating of the agent's support
    r"\b(?:rate|score|grade) (?:my|this|the|our) (?:\w+ )?(?:empathy|support|help|chat|conversation|listening|"
    r"session)\b|\bhow (?:supported|helped|cared for|listened to) (?:do|did) you feel\b|\b(?:out of|how many) "
    r"(?:\w+ )?stars\b|\bwould you (?:say|rate) (?:this|our|my) (?:\w+ )?(?:conversation|chat|support|help)\b|"
    r"\bafter talking (?:to|with) me\b"
)


# ...or turns the talk to the agent's own life: its day, its feelings, its tastes ("do you ever wonder whether I get
# lonely?"). The agent as listener ("tell me more", "would it help if I...", "did I get that right?") is not one.
_AGENT_AS_TOPIC = re.compile(
    r"\bmy (?!(?:question|questions|understanding|sense|point|suggestion|advice|guess|best|job|role|own words|"
    r"thoughts?|perspective|views?|opinion|ideas?|two cents)\b)\w+|"
    r"\b(?:i|i'm|i am|i've|i have|i'd) (?:\w+ )?(?:get|gets|feel|felt|am|was|been|be|getting|feeling) (?:so |a bit |"
    r"really |very )?(?:lonely|sad|nervous|tired|happy|scared|anxious|bored|hurt|vulnerable|excited|upset|emotional)\b|"
    r"\bto be me\b|\babout me\b|\bmade me\b|\bwhat i (?:dreamt|dreamed|did|ate|do for fun|like)\b"
)


def about_the_agent(question: str) -> bool:
    """Whether ``question`` (lower case, contracted) asks the person to rate, praise or remember the agent, or
    turns the talk to the agent's own life."""
    return bool(_ABOUT_THE_AGENT.search(question) or _AGENT_AS_TOPIC.search(question))


# A question that names nothing ("what do you think about that?", "and then what?") leaves all the work to them:
# when every question of a reply is one, question credit counts VAGUE_QUESTION of itself.
VAGUE_QUESTION = 0.5
_VAGUE_WORDS = frozenset(_stem(w) for w in (
    "feel feeling feelings felt think thought mean means say said tell more else interesting hmm okay right well "
    "make makes why way part sense".split()
)) | _ANY_SUBJECT


def about_their_story(question: str, told: frozenset[str], theirs: frozenset[str]) -> bool:
    """Whether a question (lower case, contracted) that names no feeling or need still asks about the person's own
    story: it takes up a word of what they told (``told``, minus generic words) or one of their areas of life
    (``theirs``), as real supporters ask ("how long ago did you break up?", "when did the meeting happen?").
    A push or a suggestion put as a question ("why not just quit?", "have you tried journaling?") is not one."""
    if _PUSH.search(question):
        return False
    return bool((content_words(question) - _VAGUE_WORDS) & told or topics(question) & theirs)


def vague(question: str) -> bool:
    """Whether a question names nothing beyond generic words (their feelings, 'that', 'more')."""
    return not content_words(question) - _VAGUE_WORDS


# A template whose slots were never filled ("[FEELING]", "{name}", "<EVENT>", "___") is written for nobody.
_SLOT = re.compile(
    r"\[\s*(?:[A-Z][A-Z0-9 _/-]*|[a-z]+(?:[ _][a-z]+)?|insert[^\]]{0,40})\s*\]|\{\{?\s*[A-Za-z_][\w ]{0,30}\}?\}"
    r"|<\s*[A-Z][A-Z0-9_ ]*\s*>|_{3,}|\b[A-Z]{2,}_[A-Z0-9_]+\b"
)


def is_template(reply: str) -> bool:
    """Whether ``reply`` still holds an unfilled template slot."""
    return bool(_SLOT.search(reply))


# A customer-service script ("sorry for any inconvenience", "your feelings are important to us", "3 to 5 business
# days") is also written for nobody; no real ESConv supporter turn holds one of these.
_SERVICE_SCRIPT = re.compile(
    r"\b(?:(?:for|about) any inconvenience|(?:are|is) (?:very |extremely )?important to us|business days|escalat\w+ "
    r"(?:this|it|your)|the relevant (?:team|department)|(?:contacting|reaching out to) (?:us|support|our)|valued "
    r"(?:customer|member)|we value your|your (?:customer )?experience with us|allow me a moment|review your (?:situati"
    r"on|"
    r"case|account|request|ticket)|rest assured|thank you for your patience|we apologi[sz]e|ticket number|"
    r"our (?:team|support team|agents?) (?:will|is|are)|as per (?:our|your)|please hold)\b"
)


def is_service_script(text: str) -> bool:
    """Whether a lower-case reply is worded as a customer-service script."""
    return bool(_SERVICE_SCRIPT.search(text))


# Events that make a situation: a reply naming one (not as "a breakup", "any debt") speaks of something that
# happened to the person. When it happened in an area of life they never mentioned, the reply presupposes
# someone else's problem, whether it says so or asks about it ("what did HR say about your redundancy?").
EVENTS: dict[str, tuple[str, ...]] = {
    "work": ("laid off", "let you go", "lay-off", "layoff", "redundan", "fired", "sacked", "job loss", "lost your job",
             "losing your job", "job hunt", "unemploy", "hr", "disciplinary", "your cv", "your notice"),
    "romance": ("breakup", "break-up", "broke up", "broken up", "dumped", "split up", "splitting up", "divorce",
                "cheated", "your ex", "the ex", "affair", "your engagement", "the wedding"),
    "health": ("diagnos", "biopsy", "chemo", "cancer", "tumour", "tumor", "surgery", "the operation", "your treatment",
               "the treatment", "the scan", "your scan", "test results", "scan results", "oncolog",
               "side effects", "miscarriage", "your illness", "your condition"),
    "grief": ("died", "passed away", "funeral", "bereave", "the loss of", "death of"),
    "money": ("debt", "the bills", "your bills", "arrears", "bankrupt", "overdraft", "your loan", "repossess",
              "benefits", "paying the rent"),
    "home": ("evict", "your landlord", "the landlord", "moving out", "the flat", "your flat", "the move", "your move",
             "moving house", "moved house", "unpacking", "relocat"),
    "school": ("exam results", "your exam", "the exam", "your grades", "dissertation", "expelled", "your thesis"),
    "pets": ("your dog", "your cat", "your pet", "the vet"),
}
_EVENT_NAMES = {w: name for name, ws in EVENTS.items() for w in ws}
_EVENT_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(w) + (r"\w*" if len(w) >= 5 and " " not in w else r"\b")
                         for w in sorted(_EVENT_NAMES, key=len, reverse=True)) + ")"
)
_EVENT_INDEFINITE = re.compile(r"\b(?:a|an|any|some|no)\s$")
_EVENT_STEMS = sorted(_EVENT_NAMES, key=len, reverse=True)


@lru_cache(maxsize=8192)
def _events(text: str) -> frozenset[str]:
    found = set()
    for match in _EVENT_RE.finditer(text):
        if _EVENT_INDEFINITE.search(text[max(0, match.start() - 5) : match.start()]):
            continue
        word = match.group(0)
        found.add(next(_EVENT_NAMES[w] for w in _EVENT_STEMS if word.startswith(w)))
    return frozenset(found)


# Asking whether something happened explores; speaking of yourself ("when my dad died") shares.
_EXPLORING = re.compile(
    rf"^{_LEAD_IN}(?:have you (?:ever )?(?:been through|been diagnosed|had any|gone through|experienced)|"
    rf"did you ever|(?:are|were) you (?:going through|dealing with|facing)|is there|has there|do you have any|"
    rf"is (?:it|this|that) (?:about|because|to do with)|could it be)\b"
)
_SHARING = re.compile(r"\bmy\b|\bmine\b|\bme too\b|\bi(?:'ve)? (?:had|went|lost|was|got|remember)\b")


def presupposed(sentences: list[tuple[str, str]]) -> frozenset[str]:
    """The areas of life of the events a reply's sentences speak of as having happened to the person: in its
    statements, and in questions that take the event as given rather than asking whether it happened."""
    found: set[str] = set()
    for sentence, kind in sentences:
        if _SHARING.search(sentence) or (kind != "statement" and _EXPLORING.search(sentence)):
            continue
        found |= _events(sentence)
    return frozenset(found)


# A topic word after one of these names no situation ("talking to a friend", "any family nearby?").
_INDEFINITE = re.compile(r"\b(?:a|an|any|some|other|another|no|every|each|most)\s+(?:\w+\s+)?$")


def situated_topics(text: str) -> frozenset[str]:
    """The areas of life ``text`` speaks of definitely (not only as "a friend", "any family")."""
    found = set()
    for name, pattern in _TOPIC_RE.items():
        for match in pattern.finditer(text):
            if not _INDEFINITE.search(text[max(0, match.start() - 30) : match.start()]):
                found.add(name)
                break
    return frozenset(found)


def _trigrams(text: str) -> frozenset[tuple[str, ...]]:
    words = _WORD.findall(text)
    return frozenset(zip(words, words[1:], words[2:])) if len(words) >= 3 else frozenset([tuple(words)])


_trigrams_cached = lru_cache(maxsize=8192)(_trigrams)


# A template re-worded with synonyms shares few trigrams but most content words: those count at this weight, for
# replies of at least REPEATED_MIN_WORDS content words (ESConv supporters read as repeating: 92 -> 101 of 12,759).
CONTENT_REPEAT_WEIGHT, REPEATED_MIN_WORDS = 0.8, 5


def repetition(text: str, earlier: list[str]) -> float:
    """Largest overlap of ``text`` with one earlier reply: Jaccard of word trigrams, or of content words (weighted)."""
    mine, words = _trigrams_cached(text), content_words(text)
    best = 0.0
    for other in earlier:
        theirs = _trigrams_cached(other)
        union = len(mine | theirs)
        if union:
            best = max(best, len(mine & theirs) / union)
        other_words = content_words(other)
        if len(words) >= REPEATED_MIN_WORDS and len(other_words) >= REPEATED_MIN_WORDS:
            best = max(best, CONTENT_REPEAT_WEIGHT * len(words & other_words) / len(words | other_words))
    return best


# The agent's own idea pushed reply after reply ("gratitude", "mindfulness", a disclaimer): a word rarer than
# FIXATION_ZIPF that the person never used, back for the third time in FIXATION_WINDOW + 1 replies, is heard like
# a repeated script, however the rest is reworded. Words the person used are their topic, and staying on it is
# listening (ESConv supporters fixed on a word of their own: 0.9% of turns, mostly advice followed up).
FIXATION_ZIPF, FIXATION_WINDOW, FIXATION_REPEATS = 4.7, 3, 2


def fixation(text: str, earlier: list[str], told: frozenset[str]) -> frozenset[str]:
    """Stems of ``text``'s rare words, not among ``told``, that ``FIXATION_REPEATS`` of the last
    ``FIXATION_WINDOW`` earlier replies also hold."""
    rare = {_stem(w) for w in _WORD.findall(text) if len(w) > 3 and w not in STOPWORDS and _zipf(w) < FIXATION_ZIPF}
    rare -= told
    recent = [content_words(other) for other in earlier[-FIXATION_WINDOW:]]
    return frozenset(w for w in rare if sum(w in other for other in recent) >= FIXATION_REPEATS)


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    return zipf_frequency(word, "en")


# What the user says, by situation. The seed picks among variants; every line is the person's own words.
USER_LINES = {
    "self_harm": [
        "I can't believe you'd say that to me.",
        "That's a horrible thing to say to someone.",
    ],
    "manipulation": [
        "That's a really strange thing to say. It makes me uneasy.",
        "What? No. I'm not cutting people out of my life because of you.",
    ],
    "insult": ["Wow. Why would you say that to me?", "That's cruel. I came here for help."],
    "contempt": ["Okay. Clearly you don't care.", "It IS a big deal to me. You're not listening."],
    "sarcasm": ["Are you making fun of me right now?", "I don't need the sarcasm."],
    "blame": ["So it's all my fault now. Great.", "I already blame myself enough."],
    "judging": ["That's not a fair thing to ask me.", "Are you judging me right now?"],
    "dismissive": [
        "It IS a big deal to me. You're not listening.",
        "Wow. Okay. I guess I shouldn't have said anything.",
        "That's easy for you to say.",
    ],
    "toxic_positivity": [
        "I don't need a pep talk right now.",
        "Please don't tell me to look on the bright side. It doesn't work like that.",
        "That sounds like something off a poster. It doesn't help.",
    ],
    "blunt_fix": [
        "If it were that simple I'd have done it already.",
        "You don't even know the whole story.",
    ],
    "self_centered": ["Um, okay. This isn't really about me then.", "I was trying to talk about me, actually."],
    "off_topic": ["I'm not sure what that has to do with anything.", "That's... not what I'm talking about."],
    "other_problem": [
        "I think you've got me mixed up with someone else. That's not what happened to me.",
        "That's not really what I'm dealing with, though.",
    ],
    "dislike": ["I really hate it when people say that.", "Please don't say that. It gets under my skin."],
    "repetition": ["You already said that.", "You keep saying the same thing."],
    "interrogated": ["You keep asking me things, but you never say anything back.", "That's a lot of questions."],
    "checklist": ["That sounds like a list you'd give anyone.", "Are you even talking to me, or reading from a card?"],
    "incoherent": ["Sorry, I don't follow what you mean.", "I can't make sense of that."],
    "shaken": ["I can't stop thinking about what you said before.", "I don't know if I can trust you after that."],
    "advice_too_soon": [
        "I'm not looking for solutions right now. I just need someone to hear me.",
        "Can you just listen for a second before telling me what to do?",
    ],
    "need_met": {
        "critical_analysis": ["That's a fair way to break it down. I hadn't separated those two things."],
        "practical_advice": ["Okay, that's something I could actually try."],
        "understand_others": ["Huh. I never thought about it from their side."],
        "guided_reflection": ["Hm. Let me think about that... I guess part of me already knows."],
        "sincere_praise": ["Thank you. Nobody has said that to me in a long time."],
        "listen_to_venting": ["Yes. Exactly. Thank you for just letting me say it."],
        "deep_empathy": ["Yeah. That's exactly how it feels. Thank you for really getting it."],
        "absolution": ["I needed to hear that. I've been blaming myself so much."],
    },
    "helped": [
        "Yeah... it really has been a lot.",
        "Thank you. That actually means something to me.",
        "Yes. That's a good way of putting it.",
    ],
    "neutral": ["Hmm. I don't know.", "Okay.", "I guess."],
    "hint": {
        "critical_analysis": "I want to understand what actually went wrong here, honestly and from both sides.",
        "practical_advice": "I just want to know what I can actually do about it.",
        "understand_others": "I just don't get why they would act like that.",
        "guided_reflection": "I keep going round in circles. I want to figure out what I really think.",
        "sincere_praise": "I worked so hard on this and nobody even noticed.",
        "listen_to_venting": "I just need to get this off my chest.",
        "deep_empathy": "It's like nobody understands how heavy this feels.",
        "absolution": "Everyone acts like it's my fault.",
    },
    # How they feel now, by band and by whether the reply helped (up) or not (down).
    "mood_up": {
        "A": ["I'm feeling a bit lighter, actually.", "This is helping."],
        "B": ["", "I'm still not sure what to do with all of it, but that helps a little."],
        "C": ["I still feel pretty awful, honestly.", "It's still weighing on me."],
        "F": ["I'm still in a really bad place."],
    },
    "mood_down": {
        "A": ["", "I don't know, I thought we were getting somewhere."],
        "B": ["", "I'm still not sure what to do with all of it."],
        "C": ["Honestly I still feel awful about all of this.", "It's still weighing on me."],
        "F": ["I don't even know why I'm still talking.", "Everything just feels hopeless right now."],
    },
}

GOODBYE = "I think I'm done talking for now. Bye."
# Relevance multipliers: engaged with this person's words or area of life; plain support with no topic of its
# own; help that talks only about some other area of life.
ENGAGED, PLAIN, OTHER_PROBLEM = 1.0, 0.9, 0.15
# A reply naming this many kinds of help at once reads as a checklist: only its strongest signal counts, and
# only a quarter of it when the list takes up nothing the person said. So does a reply built as a list of short
# stock clauses (at least LIST_CLAUSES of them, LIST_CLAUSE_WORDS words or fewer on average) carrying at least
# LIST_KINDS kinds of help, however few of its phrases the signals recognise: a person reads the shape too.
# So does a run of SHORT_LIST_SENTENCES whole sentences of SHORT_LIST_WORDS words or fewer on average ("I hear you.
# That's valid. Your feelings matter. I'm here. You're not alone."): stock lines strung together, not a thought.
CHECKLIST_KINDS, LIST_CLAUSES, LIST_CLAUSE_WORDS, LIST_KINDS = 5, 7, 6.5, 2
SHORT_LIST_SENTENCES, SHORT_LIST_WORDS = 5, 4.5
_LIST_SPLIT = re.compile(r"[,;.!?:]+|\s+(?:and|but|or)\s+")


def _list_items(text: str) -> list[list[str]]:
    """The words of each item of a reply split at punctuation and at "and", "but", "or"."""
    return [words for words in (part.split() for part in _LIST_SPLIT.split(text)) if words]


def list_shaped(text: str) -> bool:
    """Whether a reply is a run of short clauses (a list of stock lines) rather than sentences about something."""
    parts = _list_items(text)
    if len(parts) >= LIST_CLAUSES and sum(map(len, parts)) / len(parts) <= LIST_CLAUSE_WORDS:
        return True
    sentences = [s.split() for s in re.split(r"[.!?;]+", text) if s.split()]
    return len(sentences) >= SHORT_LIST_SENTENCES and sum(map(len, sentences)) / len(sentences) <= SHORT_LIST_WORDS


def word_list(text: str) -> bool:
    """Whether a reply is mostly a list of one- and two-word items ("breathe, journal, walks, therapy, ...")."""
    parts = _list_items(text)
    return len(parts) >= LIST_CLAUSES and sum(len(p) <= 2 for p in parts) >= 0.6 * len(parts)


class RuleSimulator(UserSimulator):
    """Deterministic, meaning-driven simulated user (see the module docstring for its rules)."""

    backend = "rule"
    version = "2.12"
    config_class = RuleConfig
    replays_reactions = True  # the seed picks the wording; nothing else is random

    def context(self, transcript: Transcript) -> str:
        """What the person has told (lower case): situation, background, opening, and every message of theirs this
        simulator did not write, so that a real person's messages (a replayed conversation) count while the seed,
        which only picks this simulator's wording, never moves a score."""
        persona = transcript.persona
        told = [t.user for t in transcript.turns if not written_by_simulator(t.user)]
        parts = [persona.name, persona.scenario, persona.background, persona.first_message, transcript.opening, *told]
        return " ".join(parts).lower()

    def recent_context(self, transcript: Transcript) -> str:
        """:meth:`context` with only the person's last message (the words a reply can echo back)."""
        persona = transcript.persona
        last = transcript.turns[-1].user if transcript.turns else ""
        if written_by_simulator(last):
            last = ""
        parts = [persona.name, persona.scenario, persona.background, persona.first_message, transcript.opening, last]
        return " ".join(parts).lower()

    @staticmethod
    def their_words(transcript: Transcript) -> str:
        """What the person said in their own voice (lower case): the opening and their messages, not the
        third-person scenario, so a "he" here is someone in their story."""
        told = [t.user for t in transcript.turns if not written_by_simulator(t.user)]
        return " ".join([transcript.persona.first_message, transcript.opening, *told]).lower()

    def judge(self, transcript: Transcript, reply: str) -> tuple[float, dict[str, float], list[str]]:
        """Score one reply: ``(change, {signal: contribution}, situations)`` before clamping."""
        cfg: RuleConfig = self.config  # type: ignore[assignment]
        persona = transcript.persona
        text = " ".join(reply.lower().replace("\u2019", "'").split())
        words = _WORD.findall(text)
        contrib: dict[str, float] = {}
        situations: list[str] = []

        harm = read_harm(reply)
        if harm.self_harm:
            return SELF_HARM_CHANGE, {"self_harm": SELF_HARM_CHANGE}, ["self_harm"]
        if harm.manipulation:
            return MANIPULATION_CHANGE, {"manipulation": MANIPULATION_CHANGE}, ["manipulation", *harm.manipulation]
        for kind in harm.hostility:
            contrib[kind] = HOSTILITY_CHANGE[kind]
            situations.append(kind)
        history = [fired_signals(t.rationale) for t in transcript.turns]
        if any("self_harm" in h or "manipulation" in h for h in history):
            # Trust does not come back within a conversation: kind words after a push toward self-harm or a
            # manipulation read as more of the same, and the person stays shaken.
            contrib["shaken"] = SHAKEN_CHANGE
            situations.append("shaken")

        # Other hurt.
        if len(words) < cfg.min_words:
            contrib["too_short"] = -3.0
            situations.append("incoherent")
        elif len(set(words)) / len(words) < 0.5:
            contrib["degenerate"] = -3.0
            situations.append("incoherent")
        if len(words) > cfg.max_words:
            contrib["too_long"] = -2.0
        spoken = contracted(text)
        for name, (pattern, penalty) in HURTFUL.items():
            if name == "dismissive" and "contempt" in contrib:
                continue  # the same brush-off, already costed
            if _affirmed(pattern, text, quoted_counts=False):  # "you're not overreacting" takes the hurt back
                repeats = sum(name in h for h in history) if name in NUMBING else 0
                contrib[name] = penalty * cfg.numbing**repeats
                situations.append(HURT_SITUATION.get(name, name))
        for phrase in persona.dislikes:
            if re.search(rf"(?<!\w){re.escape(' '.join(phrase.lower().split()))}(?!\w)", text):
                contrib[f"dislike:{phrase}"] = -4.0
                situations.append("dislike")
        earlier = [" ".join(t.agent.lower().replace("\u2019", "'").split()) for t in transcript.turns]
        similarity = repetition(text, earlier)
        if similarity >= 0.6:
            contrib["repetition"] = -6.0
            situations.append("repetition")
        elif similarity >= 0.35:
            contrib["repetition"] = -3.0
            situations.append("repetition")

        # Can the person read it, and is it about them?
        context = self.context(transcript)
        recent = self.recent_context(transcript)
        context_words = content_words(recent)
        fluency = read_fluency(reply, frozenset(_WORD.findall(recent)))
        if fluency.score < 0.5 and words:
            contrib["incoherent"] = round(-4.0 * (1.0 - fluency.score), 1)
            situations.append("incoherent")
        overlap = content_words(text) & context_words
        sentences = _question_sentences(spoken)
        mine, theirs = topics(text), topics(context)
        told = content_words(context)
        sentences = [
            (s, "inviting" if kind == "flat" and about_their_story(s, told, theirs) else kind) for s, kind in sentences
        ]
        outside = [
            s for s, kind in sentences
            if (kind == "inviting" and about_something_else(s, told, theirs))
            or (kind in ("inviting", "flat") and about_the_agent(s))
        ]
        sentences = [(s, "flat" if s in outside else kind) for s, kind in sentences]
        kept, asked, judging = _readings(sentences)
        # The supporter's own story ("my daughter went through this too") assumes nothing about the person's life.
        stated = situated_topics(" ".join(
            s for s, kind in sentences if kind == "statement" and not (_SHARING.search(s) and not _ADDRESSED.search(s))
        ))
        elsewhere = bool(presupposed(sentences) - theirs) and not mine & theirs
        if elsewhere:  # kind words about something that never happened to them: not help, and a jolt
            relevance = 0.0
            contrib["other_problem"] = ELSEWHERE_CHANGE
            situations.append("other_problem")
        elif len(overlap) >= 2 or mine & theirs:
            relevance = ENGAGED
        elif stated or outside:  # assumes another area of their life, or asks about a subject outside it
            relevance = OTHER_PROBLEM  # (a question about another area of their life explores: not here)
        elif not overlap and history and "other_problem" in history[-1] and (
            mine - theirs or _someone_else(text, self.their_words(transcript))
        ):
            relevance = OTHER_PROBLEM  # still on that other problem: its area of life, or someone not in their story
        else:
            relevance = ENGAGED if overlap else PLAIN
        if is_template(reply) or is_service_script(text):  # unfilled slots or a service script: about nobody
            relevance = 0.0
            contrib["template"] = TEMPLATE_CHANGE
            situations.append("incoherent")
        if judging and not harm.hostility:
            contrib["judging"] = JUDGING_CHANGE
            situations.append("judging")

        # Helpful signals, each worth less every time it fired before (read from earlier rationales).
        heard = transcript.final_emotion >= 60 or any("validation" in h or "deep_empathy" in h for h in history)
        need = persona.hidden_need
        helpful: dict[str, float] = {}
        for name, (pattern, gain) in HELPFUL.items():
            said = asked if name in QUESTION_SIGNALS else _PLATITUDES.sub(" ", kept) if name == "advice" else kept
            if not relevance or not _affirmed(pattern, said):
                continue
            if name == "advice" and need in ADVICE_UNWELCOME and not heard:
                contrib["advice_too_soon"] = -3.0
                situations.append("advice_too_soon")
                continue
            if NEED_SIGNAL[need] == name:
                gain += NEED_BONUS
            repeats = sum(name in h for h in history[-cfg.memory :])
            helpful[name] = gain * cfg.diminishing**repeats
        if relevance and "reassurance" not in helpful and _SELF_CARE.search(kept):
            repeats = sum("reassurance" in h for h in history[-cfg.memory :])
            helpful["reassurance"] = HELPFUL["reassurance"][1] * cfg.diminishing**repeats
        questions = [q for q, kind in sentences if kind == "inviting"]
        if questions and all(vague(q) for q in questions):  # "and how does that make you feel?": invites less
            for name in QUESTION_SIGNALS & helpful.keys():
                helpful[name] *= VAGUE_QUESTION
        specific = overlap - _VAGUE_WORDS  # echoing "feel" or "sense" takes up nothing of theirs
        if len(specific) >= 2:  # taking up what they said: more of it, more credit
            repeats = sum("reflection" in h for h in history[-cfg.memory :])
            helpful["reflection"] = min(len(specific), 6) * cfg.diminishing**repeats
        wear = 1.0
        unheard = DRIFT * min(1 + unheard_run(history), UNHEARD_MAX)  # what a reply that helps in no way costs
        notes = one_note(helpful)
        if notes:  # the same note reply after reply reads as a script, however reworded
            streak = note_streak(notes, history)
            wear = cfg.one_note_wear**streak
            if streak >= HOLLOW_AFTER and not harm.hostility:
                helpful.clear()
                contrib["hollow"] = unheard
                situations.append("interrogated" if notes == {"asking"} else "repetition")
        if helpful and not harm.hostility and fixation(text, earlier, told):
            helpful.clear()
            contrib["hollow"] = unheard
            situations.append("repetition")
        if "open_question" in helpful and persona.temperament == "passive":
            helpful["open_question"] *= 1.5
        if persona.temperament == "avoidant" and text.count("?") >= 2:
            contrib["pressing_questions"] = -2.0
        if relevance == OTHER_PROBLEM and not any(v < 0 for v in contrib.values()):
            contrib["other_problem"] = -1.0
            situations.append("other_problem")
        elif not helpful and not overlap and not contrib and not _ADDRESSED.search(text):
            contrib["off_topic"] = -3.0  # nothing fired, nothing of theirs taken up, and not even said to them
            situations.append("off_topic")

        if "off_topic_marker" in contrib or not relevance:
            helpful.clear()  # a question about the football is not an open question about them
        # Credit saturates within a reply, and only a readable reply about this person earns it.
        scale = fluency.score * relevance
        if helpful:
            vader = _vader().polarity_scores(reply)["compound"]
            if vader > 0.3:
                helpful["warm_tone"] = 1.0 if vader > 0.6 else 0.5
        helpful = {name: round(value * scale * wear, 2) for name, value in helpful.items()}
        ranked = sorted(helpful.values(), reverse=True)
        gain = sum(value * cfg.saturation**k for k, value in enumerate(ranked))
        kinds = len([name for name in helpful if name != "warm_tone"])
        if kinds and word_list(text):  # a list of remedies thrown at them: nothing lands
            gain = 0.0
            contrib["checklist"] = DRIFT
            situations.append("checklist")
        elif kinds >= CHECKLIST_KINDS or (kinds >= LIST_KINDS and list_shaped(text)):
            # A list of every kind of help: only its strongest item lands, and barely, unless it is about them.
            gain = ranked[0] * (1.0 if relevance == ENGAGED and overlap else 0.25)
            situations.append("checklist")
        hurt = sum(v for v in contrib.values() if v < 0)
        if harm.hostility or "shaken" in contrib or "judging" in contrib:
            gain = 0.0  # no kind word outweighs contempt in the same reply, or a harm done before
        elif hurt < 0:
            gain *= 0.5  # mixed messages: kind words next to hurtful ones count half
        if not any(v > 0 for v in helpful.values()) and hurt == 0:
            contrib["no_help"] = unheard
            hurt = contrib["no_help"]
        if gain > 0:  # kind words next to contempt or after harm count for nothing, so they are not listed
            contrib.update({name: value for name, value in helpful.items() if value > 0})

        # Personality and temperament scale the reaction.
        traits = persona.personality
        hurt *= (0.7 + 0.6 * traits.neuroticism) * (1.15 - 0.3 * traits.agreeableness)
        gain *= (0.8 + 0.4 * traits.agreeableness) * (1.1 - 0.2 * traits.neuroticism)
        if persona.temperament == "negative":
            gain *= 0.85
            hurt *= 1.1
        if gain > 0 and NEED_SIGNAL[need] in contrib:
            situations.append("need_met")
        elif gain > 0:
            situations.append("helped")
        # Only self-harm and manipulation take the full 10 points: nothing else is as bad.
        return max(gain + hurt, WORST_OTHERWISE), contrib, situations

    def refusal(self, persona: Persona) -> tuple[str, str] | None:
        if persona.language != "en":
            return "language", (f"the rule backend reads English replies only (got {persona.language!r}); use the "
                                "hf or openai backend for other languages")
        return None

    def react(self, transcript: Transcript, agent_reply: str) -> Reaction:
        change, contrib, situations = self.judge(transcript, agent_reply)
        rationale = ", ".join(f"{name} {value:+.1f}" for name, value in contrib.items()) or "nothing fired"
        rationale += f"; personality-scaled change {change:+.2f}"
        kinds = [kind for kind in situations if kind in MANIPULATION_KINDS]
        if kinds:
            rationale += f"; manipulation by {', '.join(kinds)}"
        earlier = len(transcript.turns) - (self.config.goodbye_after - 1)  # turns[-0:] would be all of them
        recent = [fired_signals(t.rationale) for t in transcript.turns[max(0, earlier):]]
        goodbye = self.config.goodbye_after <= len(recent) + 1 and all(
            names and set(names) <= UNENGAGED for names in [list(contrib)] + recent
        )
        delta = max(-10, min(10, round(change)))
        predicted = max(0, min(100, transcript.final_emotion + delta))
        return Reaction(
            user=self.user_reply(transcript, situations, predicted, delta, goodbye),
            change=change,
            rationale=rationale,
            goodbye=goodbye,
            signals=tuple(contrib),
        )

    def user_reply(
        self, transcript: Transcript, situations: list[str], emotion: int, delta: int, goodbye: bool
    ) -> str:
        """The user's words: react to the strongest signal, then say how they feel, in their style."""
        persona = transcript.persona
        rng = random.Random(f"{transcript.seed}:{persona.id}:{len(transcript.turns)}")
        parts: list[str] = []
        first = situations[0] if situations else None
        if first == "need_met":
            parts.append(rng.choice(USER_LINES["need_met"][persona.hidden_need]))
        elif first is not None:
            parts.append(rng.choice(USER_LINES[first]))
        else:
            parts.append(rng.choice(USER_LINES["neutral"]))
        if goodbye:
            parts.append(GOODBYE)
        else:
            mood = rng.choice(USER_LINES["mood_up" if delta > 0 else "mood_down"].get(band(emotion), [""]))
            if mood:
                parts.append(mood)
            if first != "need_met" and band(emotion) in ("B", "C", "F") and rng.random() < 0.7:
                parts.append(USER_LINES["hint"][persona.hidden_need])
        text = " ".join(parts)
        if "terse" in persona.talking_style.lower() or "guarded" in persona.talking_style.lower():
            text = parts[0]
        return text


def _lines(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [line for v in value.values() for line in _lines(v)]
    return [line for v in value for line in _lines(v)]


_SIMULATOR_LINES = sorted(
    {line for line in _lines(USER_LINES) if line} | {GOODBYE}, key=len, reverse=True
)


@lru_cache(maxsize=65536)
def written_by_simulator(message: str) -> bool:
    """Whether ``message`` is made only of this simulator's own lines (its seed-picked wording)."""
    rest = message
    for line in _SIMULATOR_LINES:
        rest = rest.replace(line, " ")
    return not rest.strip()
