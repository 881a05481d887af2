"""Failed resolution attempts: customer turns, after an answer, saying it did not help.

Per message, a turn like "that didn't help", "still not working", "same error", "ya lo probé",
"funktioniert immer noch nicht" is a hit; the trigger fires when `attempts` such turns follow an
AI (or agent) answer in the conversation. A problem stated before any answer is not an attempt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.domain.model import Evidence, FiredTrigger
from bot.domain.triggers.analysis import Hit
from bot.domain.triggers.detectors.base import ConversationView, Detector, MessageInput, fired, head
from bot.domain.triggers.spec import DetectorKind, Family, TriggerSpec
from bot.domain.triggers.values import Param, ParamKind

_FAILED = re.compile(
    r"\b(?:"
    # English
    r"(?:did|does|do|has|have)(?:n'?t| not) (?:help|work|fix|solve|change|do anything)"
    r"|(?:that|this|it)(?:'s| is| was) not (?:it|working|the problem|what i)"
    r"|still (?:not|isn'?t|doesn'?t|won'?t|can'?t|cannot|broken|failing|the same|getting|happening|seeing|stuck|down)"
    r"|(?:same|identical) (?:error|problem|issue|thing|message|result)"
    r"|no (?:luck|change|difference|joy)"
    r"|nothing (?:changed|works|worked|happens|happened)"
    r"|(?:already|i) (?:tried|did|done) (?:that|this|it|those|all|everything)"
    r"|already tried|tried (?:that|this|it|everything) already"
    r"|(?:not|never) (?:fixed|solved|resolved)"
    r"|doesn'?t (?:work|help) either"
    r"|(?:made|makes) no difference|did(?:n'?t| not) make (?:a|any) difference|did(?:n'?t| not) do anything"
    r"|(?:does|did)(?:n'?t| not) seem to (?:help|work|fix)|tried (?:it )?(?:again|twice|three times|several times|\d+ times)"
    r"|(?:same|identical) (?:thing|result|problem|error) (?:again|here)|didn'?t change anything"
    # Spanish
    r"|no (?:me )?(?:ha )?(?:ayud[oó]|funcion[oó]|sirvi[oó]|resolvi[oó]|funciona|sirve)"
    r"|sigue (?:sin|igual|fallando|dando)|ya (?:lo )?(?:prob[eé]|intent[eé]|hice)"
    r"|no (?:me )?ha (?:servido|funcionado|ayudado|resuelto|cambiado)|nada de lo que|lo hice y nada|y nada\b"
    r"|tampoco (?:funciona|funcion[oó]|sirve|sirvi[oó])|no cambi[aó] nada|(?:el )?mismo (?:error|problema)"
    # German
    r"|(?:hat|hilft|half) (?:nicht|nichts|leider nicht)|funktioniert (?:immer noch|weiterhin|trotzdem) nicht"
    r"|immer noch (?:nicht|kaputt|das gleiche|derselbe|dasselbe)|schon (?:probiert|versucht|gemacht)"
    r"|schon mehrfach|mehrfach (?:gemacht|probiert|versucht)|bringt nichts|(?:hat )?nichts gebracht|ohne erfolg"
    r"|nichts (?:geändert|passiert)|klappt (?:immer noch |trotzdem |leider )?nicht|(?:gleiche|gleicher|gleiches|selbe) (?:fehler|problem)"
    # French
    r"|(?:ça|ca|cela) (?:ne )?(?:marche|fonctionne|aide) (?:toujours )?pas"
    r"|n'a (?:pas|rien) (?:aidé|aide|marché|marche|fonctionné|changé|résolu)"
    r"|toujours (?:pas|le même|la même|rien)|déjà (?:essayé|fait)"
    r"|(?:ça|ca|cela) n'a rien changé|rien n'a changé|sans succès|(?:même|meme) (?:erreur|problème|chose)"
    r"|(?:fait|essayé|essayée|réinstallée?|redémarré)\W+rien\b|j'ai (?:déjà )?(?:tout )?essayé"
    # Portuguese
    r"|não (?:ajudou|funcionou|resolveu|adiantou)|continua (?:sem|igual|com o mesmo)|já (?:tentei|fiz)"
    r"|não (?:mudou nada|deu certo)|também não (?:funcionou|funciona|resolveu|adiantou)|e nada\b|nada mudou"
    r"|tentei (?:várias vezes|de novo|novamente|tudo)|(?:o )?mesmo (?:erro|problema)"
    # Italian
    r"|non (?:ha )?(?:aiutato|funzionato|risolto)|ancora (?:non|lo stesso|la stessa)|(?:ho )?già (?:provato|fatto)"
    r"|non (?:è )?cambiato (?:nulla|niente)|niente da fare|ancora niente|(?:stesso|stessa) (?:errore|problema)"
    r"|non funziona ancora|anche (?:così|questo|questa) non|continua a (?:non|dare)"
    # Dutch
    r"|(?:helpt|hielp|werkt|werkte) (?:nog steeds |nog altijd )?niet|nog steeds (?:niet|kapot|hetzelfde)"
    r"|al (?:geprobeerd|gedaan)"
    r"|lukt (?:het )?(?:nog steeds |nog altijd |ook )?niet|(?:zelfde|hetzelfde) (?:probleem|fout|foutmelding)"
    r"|schiet (?:echt )?niet op|geen verschil|niets veranderd|heeft niet geholpen|werkt ook niet"
    r")",
    re.IGNORECASE,
)


def says_it_failed(text: str) -> str:
    """The words that say an attempt failed, or ""."""
    found = _FAILED.search(text)
    return found.group(0) if found else ""


class FailedAttempts(Detector):
    kind = DetectorKind.FAILED_ATTEMPTS
    family = Family.BEHAVIORAL
    params = {"attempts": Param(ParamKind.INT, 1, 50, per_segment=True)}

    def scan(self, spec: TriggerSpec, msg: MessageInput) -> Iterable[Hit]:
        words = says_it_failed(msg.raw)
        return [Hit(spec.id, head(msg.raw), words)] if words else ()

    def fire(self, spec: TriggerSpec, segment: str, view: ConversationView) -> FiredTrigger | None:
        need = spec.param("attempts", segment)
        found = view.hits.get(spec.id, ())
        if len(found) < need:
            return None
        before_any_answer = set()  # customer turns before the first answer are the problem, not attempts
        for m, a in view.conv:
            if a.role != "customer":
                break
            before_any_answer.add(m.ref)
        ev = [
            Evidence(quote=h.quote, message_ref=m.ref, detail=f"“{h.detail}”")
            for m, h in found
            if m.ref not in before_any_answer
        ]
        if len(ev) < need:
            return None
        n = len(ev)
        ev = [
            Evidence(
                quote=e.quote,
                message_ref=e.message_ref,
                score=float(n),
                threshold=float(need),
                detail=f"{n} failed attempt{'s' if n != 1 else ''}: {e.detail}",
            )
            for e in ev
        ]
        return fired(spec, segment, ev)
