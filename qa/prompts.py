"""The short prompts besides the answering turn (``qa.pick``): the follow-up
rewrite, the support judge's and the answer check's strict yes/no questions;
the fixed refusal; the drafted-sentences schema. Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

REFUSAL = "The sources don't answer this."


def sentences_schema(
    keys: Sequence[int], max_sentences: int, min_sentences: int, max_keys: int, max_chars: int | None = None
) -> dict[str, Any]:
    """{sentences: [{passages: [k in keys, 1..max_keys], text}]}: the shape every drafted answer takes."""
    text: dict[str, Any] = {"type": "string"}
    if max_chars:
        text["maxLength"] = max_chars
    return {
        "type": "object",
        "properties": {
            "sentences": {
                "type": "array",
                "minItems": min_sentences,
                "maxItems": max_sentences,
                "items": {
                    "type": "object",
                    "properties": {
                        "passages": {
                            "type": "array",
                            "items": {"type": "integer", "enum": list(keys)},
                            "minItems": 1,
                            "maxItems": max_keys,
                        },
                        "text": text,
                    },
                    "required": ["passages", "text"],
                },
            },
        },
        "required": ["sentences"],
    }


def rewrite_messages(question: str, history: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Messages asking for a standalone version of a follow-up question."""
    turns = []
    for turn in list(history)[-4:]:
        role = "User" if turn.get("role") == "user" else "Assistant"
        turns.append(f"{role}: {str(turn.get('content', ''))[:600]}")
    convo = "\n".join(turns)
    return [
        {
            "role": "system",
            "content": "Rewrite the user's last question so it can be understood without the conversation: "
            "replace pronouns and ellipses with the names and topics they refer to. Keep it one question. "
            "Output only the rewritten question.",
        },
        {"role": "user", "content": f"Conversation:\n{convo}\n\nLast question: {question}\n\nRewritten question:"},
    ]


def judge_messages(claim: str, evidence: str) -> list[dict[str, str]]:
    """A strict yes/no support question for the verification judge."""
    return [
        {
            "role": "system",
            "content": "You check citations. Answer only 'yes' or 'no'. Say 'yes' only if the passage "
            "states the claim (same facts, names and numbers); otherwise 'no'.",
        },
        {"role": "user", "content": f"Passage: {evidence}\n\nClaim: {claim}\n\nDoes the passage support the claim?"},
    ]


def answers_question_messages(question: str, answer: str) -> list[dict[str, str]]:
    """A strict yes/no question: does ``answer`` give what ``question`` asks for?

    Support is checked per sentence elsewhere; this catches the other failure
    of a small model: true sentences from a near-miss passage that leave the
    asked-for fact (the number, name, date, reason) out."""
    return [
        {
            "role": "system",
            "content": "You check answers. Answer only 'yes' or 'no'. Say 'yes' if the answer gives the specific "
            "information the question asks for (the number, name, date, place, reason or description asked). "
            "Say 'no' if it only gives related background and the asked-for information is missing.",
        },
        {
            "role": "user",
            "content": f"Question: {question}\n\nAnswer: {answer}\n\n"
            "Does the answer give the information the question asks for?",
        },
    ]
