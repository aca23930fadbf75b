"""The refusal the answer path shows: the fixed sentence, or one saying why (a name no source holds),
with the retrieved passages (``refusal``); and a partial answer, a refusal that also quotes the chosen
sentence most about the question (``partial``, still ``refused``: it is not the answer). Pure: records,
``qa.citations``, ``qa.compose`` and ``qa.verify``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qa import compose, prompts
from qa.citations import number_citations
from qa.commit import Commitment
from qa.records import Answer, Evidence
from qa.turn import Turn
from qa.verify import check_answer


def refusal(turn: Turn, said: str = "") -> Answer:
    """The fixed refusal (or ``said``, one naming why), with the closest passages."""
    return Answer(
        question=turn.question,
        standalone_question=turn.standalone,
        answer=said or prompts.REFUSAL,
        refused=True,
        sentences=(),
        citations=(),
        retrieved=turn.hits,
    )


def partial(refused: Answer, related: int, shortlist: Sequence[Evidence], commitments: Sequence[Commitment]) -> Answer:
    """``refused`` also quoting the chosen sentence ``related`` (1-based in ``shortlist``), the one most
    about the question, after the refusal's lead (``compose.refusal_lead``); ``refused`` as it is when that
    sentence fails its check."""
    ev = shortlist[related - 1]
    sentences, citations = number_citations(
        check_answer([(ev.text, (related,))], shortlist, None, frozenset(), [related])[0],
        [e.hit for e in shortlist],
    )
    if not sentences:
        return refused
    text = f"{compose.refusal_lead(commitments, prompts.REFUSAL)} The closest they come: {sentences[0].text} [1]"
    renumbered = tuple(replace(c, n=i) for i, c in enumerate(citations, start=1))
    return replace(refused, answer=text, related=tuple(sentences), citations=renumbered)
