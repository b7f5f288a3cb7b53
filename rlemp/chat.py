"""Chat conventions shared by rollouts, rewards and evaluation: the system prompts and the thinking template.

RLVER trains in two modes: a plain reply, or ``<think>...</think>`` followed by the reply. Thoughts are kept
in the transcript (``Turn.agent_thoughts``) but never reach the simulated user.
"""

from __future__ import annotations

import re

SYSTEM_PROMPT = (
    "You are a warm, emotionally intelligent listener. Reply to the person in a few sentences: "
    "understand how they feel and what they need, and respond to that."
)
THINKING_SYSTEM_PROMPT = SYSTEM_PROMPT + (
    " First think about their feelings and hidden need inside <think> </think>, then write your reply."
)
_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.DOTALL)


def system_prompt(thinking: bool) -> str:
    return THINKING_SYSTEM_PROMPT if thinking else SYSTEM_PROMPT


def split_thoughts(text: str) -> tuple[str | None, str]:
    """``(thoughts, reply)``: thoughts from a leading ``<think>...</think>`` block, else None.

    An unclosed ``<think>`` keeps nothing for the user (the whole text was thinking); text before a lone
    ``</think>`` is thinking too.
    """
    match = _THINK.match(text)
    if match:
        return match.group(1).strip(), text[match.end():].strip()
    stripped = text.strip()
    if stripped.startswith("<think>"):
        return stripped[len("<think>"):].strip(), ""
    if "</think>" in stripped:  # the template's "<think>" was the prompt's, or the model dropped it
        thoughts, _, reply = stripped.partition("</think>")
        return thoughts.strip(), reply.strip()
    return None, stripped
