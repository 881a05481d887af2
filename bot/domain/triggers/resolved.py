"""The customer says the problem is solved ("thanks, that worked", "c'est fait", "hat geklappt").

English is read on the normalised words (contractions expanded, typos of key words corrected); the
six other languages on the customer's visible text, lower case. A negated closing ("no funcionó",
"ça ne marche pas", "non ha funzionato", "werkt nu niet") is not one. Used to reset the turn count,
end a repeated-question run, keep a closing message out of the frustration trend and the business
context's problem reports.
"""

from __future__ import annotations

import re

_ENGLISH = re.compile(
    r"(?<!not )(?<!no )\b(?:that|it|this) (?:worked|works|fixed it|solved it|did it|did the trick|helped)\b"
    r"|\b(?:problem|issue) (?:is )?(?:solved|resolved|fixed)\b|(?<!not )\b(?:working|works) now\b"
    r"|\ball (?:good|sorted|set)\b|^(?:ok |okay |great |perfect |awesome |cool )?(?:thanks|thank you)(?: so much| a lot)?(?: !| .)*$"
    r"|\b(?:got it|perfect|great|awesome|brilliant) (?:,? )?(?:thanks|thank you)\b"
)
_ENGLISH_WORDS = frozenset(
    ["worked", "works", "fixed", "solved", "resolved", "sorted", "thanks", "thank", "helped", "trick", "good", "set", "now", "did"]
)
_OTHERS = re.compile(
    r"(?:"
    # French
    r"\bc'est (?:fait|bon|réglé|résolu|ok)\b|(?<!ne )(?<!n')\bça (?:a )?(?:marché|fonctionné)\b"
    r"|(?<!ne )\bça (?:marche|fonctionne) (?:maintenant|à nouveau|de nouveau)\b(?! pas| plus)"
    r"|\bproblème (?:est )?résolu\b|\btout est (?:bon|ok|en ordre|réglé)\b|\b(?:parfait|super|génial),? merci\b"
    # Spanish
    r"|(?<!no )\bya funciona\b|(?<!no )\bfuncionó\b|(?<!no )\bahora funciona\b|\b(?:ya )?(?:quedó|está) (?:resuelto|solucionado)\b"
    r"|\b(?:listo|perfecto|genial),? gracias\b|\btodo (?:bien|en orden|correcto|listo)\b|\bsolucionado\b"
    # German
    r"|\b(?:klappt|funktioniert) (?:jetzt|wieder)\b(?! nicht)|\bhat (?:geklappt|funktioniert)\b|\berledigt\b|\bgelöst\b"
    r"|\b(?:passt|perfekt|super|alles klar),? danke\b"
    # Portuguese
    r"|(?<!não )\bdeu certo\b|(?<!não )\bfuncionou\b|\b(?:já )?(?:está|ficou) (?:resolvido|certo)\b|\bresolvido\b"
    r"|\btudo certo\b|\b(?:perfeito|ótimo|beleza),? obrigad[oa]\b|(?<!não )\bagora funciona\b"
    # Italian
    r"|(?<!non )\b(?:ora|adesso) funziona\b(?! ancora)|(?<!non )\bha funzionato\b|(?<!non )\brisolto\b"
    r"|\btutto (?:ok|a posto|risolto)\b|\b(?:perfetto|fatto|ottimo),? grazie\b"
    # Dutch
    r"|\bwerkt (?:nu|weer)\b(?! niet)|(?<!niet )\bgelukt\b(?! niet)|(?<!niet )\bopgelost\b|\balles (?:goed|in orde)\b"
    r"|\b(?:perfect|top|super),? bedankt\b"
    r")",
    re.IGNORECASE,
)


def says_resolved(norm_text: str, norm_words: frozenset[str] | set[str], visible: str) -> bool:
    """True when the message says the problem is solved (see the module docstring)."""
    if not _ENGLISH_WORDS.isdisjoint(norm_words) and _ENGLISH.search(norm_text):
        return True
    return bool(_OTHERS.search(visible[:2_000]))
