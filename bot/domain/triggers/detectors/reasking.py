"""The customer says they are asking again, in seven languages ("again", "I'm asking if", "yes or no",
"Ich frage zum dritten Mal", "Pergunto de novo", "Je reformule", "sì o no", "nogmaals"), or that
this is a new question after an answer they took ("ok, and how do I ...?", "thanks. can I also ...?",
"gracias, ¿y ...?", "danke, noch eine Frage", "merci, et ...").

Used by the repeated-question detector as the dialogue's own word that a question is a repetition,
or is not one; on its own it fires nothing. Linear regular expressions over the customer's visible
text.
"""

from __future__ import annotations

import re

_ASKING_AGAIN = re.compile(
    r"(?:"
    # English
    r"\bagain\b|\bstill\b|\bi (?:already |just )?asked\b|\bi(?:'m| am) (?:asking|not asking)\b"
    r"|\bmy question (?:is|was)\b|\bnot what i (?:asked|meant|said)\b|\b(?:once|one) more time\b"
    r"|\bfor the (?:second|third|fourth|fifth|last|\d+(?:st|nd|rd|th)) time\b|\byes or no\b|\bor not\b"
    r"|\bi repeat\b|\blet me (?:rephrase|repeat|ask)\b|\bto rephrase\b|\brephras"
    r"|\b(?:didn'?t|did not|haven'?t|have not|never) (?:really )?answer"
    r"|\banswer (?:my|the) question\b|\bsimple question\b|\bkeep (?:ignoring|avoiding|dodging)\b"
    # Spanish
    r"|\botra vez\b|\bde nuevo\b|\bnuevamente\b|\bvuelvo a preguntar\b|\bpregunt(?:o|é|e|aba)\b"
    r"|\bno (?:me )?(?:has|han|habéis|ha) (?:respondido|contestado)\b|\b(?:segunda|tercera) vez\b"
    r"|\bsí o no\b|\bsi o no\b|[,\s]o no\s*[?.!]|\brepito\b|\breformulo\b"
    # German
    r"|\bnoch ?(?:ein)?mal\b|\berneut\b|\bich frage\b|\bzum (?:zweiten|dritten|vierten|x-ten|\d+\.) mal\b"
    r"|\bja oder nein\b|\boder nicht\b|\bnicht gefragt\b|\b(?:meine|die) frage (?:war|ist)\b"
    r"|\bkeine antwort\b|\bnicht beantwortet\b|\bimmer noch\b"
    # French
    r"|\bencore une fois\b|\bà nouveau\b|\bde nouveau\b|\bje (?:répète|reformule|redemande|repose)\b"
    r"|\bj'ai (?:déjà )?demandé\b|\bce n'est pas ce que\b|\bma question (?:est|était)\b|\boui ou non\b"
    r"|\bou pas\b|\bou non\b|\bpour la (?:deuxième|troisième|\d+e) fois\b|\bpas répondu\b|\btoujours\b"
    # Portuguese
    r"|\bde novo\b|\bnovamente\b|\bmais uma vez\b|\bpergunt(?:o|ei)\b|\bsim ou não\b|\bou não\b"
    r"|\bpela (?:segunda|terceira) vez\b|\bminha pergunta (?:é|era)\b|\bnão respondeu\b"
    r"|\breformulando\b|\bdá ou não dá\b|\bainda\b"
    # Italian
    r"|\bdi nuovo\b|\bancora una volta\b|\bun'altra volta\b|\bnuovamente\b|\b(?:ri)?chiedo\b"
    r"|\bho (?:già )?chiesto\b|\bsì o no\b|\bper la (?:seconda|terza) volta\b|\bla mia domanda\b"
    r"|\bnon (?:mi )?(?:hai|avete|ha) risposto\b|\bripeto\b|\briformulo\b|\bo no\b"
    # Dutch
    r"|\bnogmaals\b|\bopnieuw\b|\bnog (?:een )?keer\b|\bnog eens\b|\bik vraag\b|\bgevraagd\b"
    r"|\bja of nee\b|\bof niet\b|\bvoor de (?:tweede|derde) keer\b|\bmijn vraag\b|\bgeen antwoord\b"
    r"|\bniet beantwoord\b|\bnog steeds\b"
    r")",
    re.IGNORECASE,
)


def says_asked_again(text: str) -> str:
    """The words saying the question is asked again, or ""."""
    found = _ASKING_AGAIN.search(text[:4_000])
    return found.group(0).strip(" ,") if found else ""


# An answer taken, then another question: an acknowledgement at the start (not followed by "but"), or
# a word that adds a question ("also", "another question", "and ..." at the start).
_ACK = (
    r"ok|okay|thanks|thank you|thx|great|perfect|cool|got it|nice|gracias|perfecto|vale|genial|danke|super"
    r"|prima|perfekt|merci|parfait|d'accord|obrigad[oa]|ótimo|perfeito|beleza|grazie|perfetto|ottimo"
    r"|bedankt|dank je|top|prima|mooi"
)
_FOLLOW_UP = re.compile(
    rf"^\W*(?:(?:{_ACK})\b(?![\s,.!]*(?:but|pero|aber|mais|mas|ma|maar)\b)"
    r"|(?:and|also|y|e|und|et)\b(?!\W*(?:again|otra vez|de nuevo|noch|encore|de novo|di nuovo|nog)))"
    r"|\b(?:also|as well|another question|one more (?:question|thing)|además|también|otra pregunta"
    r"|auch noch|noch eine frage|eine weitere frage|aussi|une autre question|também|outra pergunta"
    r"|anche|un'altra domanda|ook nog|nog een vraag)\b",
    re.IGNORECASE,
)


def says_new_question(text: str) -> bool:
    """True when the customer took the answer and asks something else ("ok, and how do I ...?")."""
    return bool(_FOLLOW_UP.search(text[:1_000])) and not says_asked_again(text)
