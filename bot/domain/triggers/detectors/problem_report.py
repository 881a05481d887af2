"""Something is not working for the customer: a problem report, not a how-to, in seven languages.

"our admins are locked out", "Varios usuarios no pueden exportar los informes", "Onze beheerders
kunnen niet meer inloggen", "the reporting numbers don't match our CRM", "notifications have been
delayed", "die Datenmigration ist immer noch nicht abgeschlossen". A how-to question ("how do I export
a report?", "what does this error code mean?") has no failure in it and does not match; neither does
a failure that is only asked about ("can I undo a failed import?" has "failed", which is why a bare
"fail" needs a subject or a time: "the import is failing", "failed again", "fails every time").

Read by `context_problem` (an account that matters with a real but mild problem) beside the model's
problem labels. Linear regular expression over the customer's visible text.
"""

from __future__ import annotations

import re

_VERBS_EN = (
    r"log ?in|sign ?in|login|access|export|import|upload|download|save|send|see|load|open|connect|sync"
    r"|create|add|invite|use|get in|get into|pay|run|publish|submit|edit|view|reach"
)
_PROBLEM = re.compile(
    r"(?:"
    # English
    rf"\b(?:can'?t|cannot|can not|unable to|could ?n'?t|couldn'?t|no longer able to|not able to|can no longer)"
    rf" (?:\w+ )?(?:{_VERBS_EN})\b"
    r"|\blocked out\b|\bno (?:longer )?(?:have )?access\b|\blost access\b"
    r"|\b(?:isn'?t|aren'?t|is not|are not|doesn'?t|don'?t|does not|do not|stopped|no longer|won'?t|will not)"
    r" (?:\w+ )?(?:work|working|load|loading|arrive|arriving|show|showing|sync|syncing|match|matching"
    r"|update|updating|send|sending|open|opening|save|saving|export|exporting|import|importing|go through)\b"
    r"|\b(?:is|are|keeps?|has been|have been|been|was|were|started|still) (?:\w+ )?(?:failing|crashing|timing out"
    r"|broken|stuck|missing|delayed|slow|lagging|duplicated|wrong|empty|blank|frozen)\b"
    r"|\b(?:fails|failed|crashes|crashed|times out|timed out) (?:again|every time|each time|for|since|when|on|with|halfway)\b"
    r"|\b(?:getting|get|got|keep getting|seeing|shows?|showing|throws?|throwing|returns?|returning) (?:an? |the |some )?(?:\w+ )?errors?\b"
    r"|\bkeeps? (?:\w+ )?(?:logging|kicking|failing|dropping|disconnecting|timing|freezing|crashing|resetting|reverting|duplicating|bouncing)\b"
    r"|\b(?:shows?|showing|has|have|gives?|giving) (?:the |a |us )?wrong\b|\b(?:disappeared|vanished|gone missing)\b"
    r"|\b(?:having|have|had|got|facing|experiencing|run into|running into|ran into) (?:an? |some |the same |serious )?(?:issues?|problems?|trouble)\b"
    r"|\bthere(?:'s| is| are) (?:a |an |some )?(?:bug|bugs|issue|problem|glitch)\b|\bnot responding\b|\bunresponsive\b"
    r"|\bdoes nothing\b|\bwon'?t let (?:me|us)\b|\bcan'?t seem to\b|\b(?:freezes|freezing|hangs|hanging)\b"
    r"|\blost (?:our|my|all|the|some)\b|\btakes? (?:forever|ages|minutes|hours)\b|\b(?:bouncing|going to spam)\b"
    r"|\b(?:delayed|slow|slowly|duplicated?) (?:by|since|all|for|today|this)\b"
    r"|\b(?:not|never) (?:been )?(?:delivered|sent|generated|completed|finished|received|processed)\b"
    r"|\b(?:has|have)(?:n'?t| not) (?:been )?(?:completed|finished|arrived|updated|processed|synced)\b"
    # Spanish
    r"|\bno (?:puedo|pueden|podemos|puede|consigo|consiguen|logro|logran) \w+"
    r"|\bno (?:me |nos |les )?(?:funciona|funcionan|llega|llegan|carga|cargan|aparece|aparecen|sincroniza|cuadra|cuadran)\b"
    r"|\b(?:falla|fallan|fallando|fallido)\b|\bsin acceso\b|\bbloquead[oa]s?\b|\b(?:muy |va |van )lent[oa]s?\b"
    r"|\bda(?:n)? (?:un )?error\b|\bno se (?:carga|cargan|sincroniza|sincronizan|env[ií]a|env[ií]an|guarda|guardan|actualiza|actualizan|abre|abren)\b"
    r"|\b(?:tenemos|tengo|hay) (?:un |unos )?(?:problemas?|errore?s?|fallos?)\b|\bno responde\b|\bse congela\b"
    r"|\b(?:ha |han )?dej(?:[oó]|aron|ado) de funcionar\b|\bse queda (?:cargando|colgad[oa])\b|\bno cuadra"
    # German
    r"|\b(?:kann|können|könnt|kannst) (?:\w+ )?(?:nicht|nicht mehr|keine?n?) (?:\w+ )?"
    r"(?:einloggen|anmelden|exportieren|importieren|hochladen|herunterladen|öffnen|speichern|sehen|zugreifen|senden)\b"
    r"|\b(?:kein|keinen) zugriff\b|\bfunktionier(?:t|en) (?:\w+ )?nicht\b|\bgeh(?:t|en) (?:\w+ )?nicht\b"
    r"|\bschläg(?:t|en) fehl\b|\bfehlgeschlagen\b|\bfehlermeldung\b|\bausgesperrt\b|\b(?:ist|sind) (?:\w+ )?(?:langsam|schlecht|kaputt)\b"
    r"|\bnicht (?:mehr )?(?:abgeschlossen|angekommen|zugestellt|synchronisiert)\b|\bstimm(?:t|en) (?:\w+ )?nicht\b"
    r"|\bkommen (?:\w+ )?nicht an\b|\blädt (?:\w+ )?nicht\b|\bwird (?:\w+ )?nicht (?:angezeigt|synchronisiert|gespeichert|geladen)\b"
    r"|\b(?:haben|habe) (?:ein |einen |massive )?(?:problem|probleme|fehler)\b|\bes gibt (?:einen |ein )?(?:fehler|problem|bug)\b"
    r"|\breagiert (?:\w+ )?nicht\b|\bfriert (?:\w+ )?ein\b|\bhängt\b|\bstürzt(?: \w+){0,3} ab\b|\bfalsche (?:zahlen|daten|werte|beträge)\b|\bverzögert\b|\bdauert ewig\b"
    # French
    r"|\b(?:ne|n') ?(?:peux|peut|peuvent|pouvons|pouvez|arrive|arrivent|arrivons) (?:plus|pas)\b"
    r"|\b(?:ne|n') ?(?:fonctionne|fonctionnent|marche|marchent|charge|chargent|s'affiche|s'affichent) (?:plus|pas)\b"
    r"|\bn'(?:ont|a|avons|ai) plus accès\b|\b(?:plus|pas) d'accès\b|\bbloqué(?:e|s|es)?\b|\béchou"
    r"|\b(?:très |trop )?lent(?:e|s|es)? (?:depuis|aujourd)|\bmessage d'erreur\b|\bune erreur\b"
    r"|\bne se (?:charge|chargent|synchronise|synchronisent|met|mettent) (?:plus|pas)\b|\ba cessé de fonctionner\b"
    r"|\b(?:nous avons|on a|j'ai) (?:un |des )?(?:problèmes?|bugs?|soucis)\b|\bil y a (?:un |des )?(?:bugs?|problèmes?|soucis)\b"
    r"|\bne répond (?:pas|plus)\b|\bplante\b|\bne correspond(?:ent)? (?:plus|pas)\b|\ben retard\b|\bmet (?:des heures|une éternité)\b"
    # Portuguese
    r"|\bnão (?:consigo|conseguem|conseguimos|consegue|funciona|funcionam|carrega|carregam|chega|chegam|aparece|aparecem)\b"
    r"|\bsem acesso\b|\bbloquead[oa]s?\b|\b(?:falha|falhando|falhou)\b|\b(?:muito |está |estão )lent[oa]s?\b"
    r"|\bd(?:á|ão|eu) erro\b|\bnão (?:sincroniza|sincronizam|atualiza|atualizam|abre|abrem|salva|salvam|batem|bate)\b"
    r"|\b(?:estamos com|estou com|temos|tem) (?:um |uns )?(?:problemas?|erros?|bugs?)\b|\bnão responde\b"
    r"|\bparou de funcionar\b|\btravando\b|\batrasad[oa]s?\b"
    # Italian
    r"|\bnon (?:riesco|riescono|riusciamo|riesce|funziona|funzionano|carica|caricano|arriva|arrivano|si apre|si aprono)\b"
    r"|\bsenza accesso\b|\bnon (?:hanno|ho|abbiamo) più accesso\b|\bbloccat[oaie]\b|\b(?:molto |è |sono )lent[oaie]\b"
    r"|\bd(?:à|anno) errore\b|\bnon va\b|\bnon si (?:carica|caricano|sincronizza|sincronizzano|apre|aprono|aggiorna|aggiornano)\b"
    r"|\b(?:abbiamo|ho) (?:un |dei )?(?:problemi|problema|errori|bug)\b|\bc'è (?:un )?(?:errore|bug|problema)\b"
    r"|\bnon risponde\b|\bha smesso di funzionare\b|\bsi blocca\b|\bnon tornano\b|\bin ritardo\b"
    # Dutch
    r"|\b(?:kan|kunnen|kunt|kon|konden) (?:\w+ )?(?:niet|geen) (?:meer )?(?:\w+ )?"
    r"(?:inloggen|exporteren|importeren|uploaden|downloaden|openen|opslaan|zien|versturen|factureren)\b"
    r"|\bwerk(?:t|en) (?:\w+ )?niet\b|\bfoutmelding\b|\bmislukt\b|\bgeblokkeerd\b|\b(?:is|zijn|erg) (?:\w+ )?traag\b"
    r"|\bkomen (?:\w+ )?niet aan\b|\blaadt (?:\w+ )?niet\b|\bwordt (?:\w+ )?niet (?:gesynchroniseerd|opgeslagen|weergegeven|geladen)\b"
    r"|\b(?:we hebben|ik heb) (?:een |wat )?(?:probleem|problemen|fout|storing)\b|\ber is (?:een )?(?:fout|bug|probleem|storing)\b"
    r"|\breageert (?:\w+ )?niet\b|\bloopt (?:\w+ )?vast\b|\bcrasht\b|\bklop(?:t|pen) (?:\w+ )?niet\b|\bvertraagd\b|\bduurt (?:heel |erg )?lang\b"
    r")",
    re.IGNORECASE,
)


def says_problem(text: str) -> str:
    """The words that report something not working, or ""."""
    found = _PROBLEM.search(text[:4_000])
    return found.group(0) if found else ""


# How far it reaches or how long it lasts: more than one person, or since a time, or again.
_REACH = re.compile(
    r"(?:"
    r"(?:our|all|several|multiple|many|some of (?:our|the)|none of (?:our|the)|most of (?:our|the)) "
    r"(?:\w+ )?(?:users|admins|administrators|team|teams|staff|agents|managers|customers|employees|people|members|reps)\b"
    r"|\b(?:users|admins|everyone|everybody|nobody|no one|the whole (?:team|company|org))\b|\b(?:we|we're|our|us)\b"
    r"|\b(?:podemos|pueden|nosotros|tenemos|estamos|wir|nous|conseguimos|conseguem|nós|temos|riusciamo|riescono"
    r"|noi|abbiamo|wij|kunnen|hebben)\b"
    r"|\b(?:a few|half|some|any|none) of (?:our|the|us)\b|\bfor everyone\b|\bthis week\b|\blast (?:night|week)\b"
    r"|\b(?:just|only) (?:started|signed up|joined|onboarded|launched)\b|\b(?:launch|go-live|deadline)\b|\bhours\b"
    r"|\bsince\b|\ball (?:week|day|morning)\b|\bfor (?:days|hours|weeks|a week|two|three|\d+)\b|\btoday\b"
    r"|\bthis morning\b|\byesterday\b|\bagain\b|\bstill\b|\bevery time\b|\bkeeps?\b|\bafter the (?:update|release)\b"
    r"|\b(?:varios|varias|todos|todas|nuestros|nuestras|usuarios|nadie|ning[uú]n)\b|\bdesde\b|\bhoy\b|\bayer\b"
    r"|\botra vez\b|\btodav[ií]a\b|\bsigue\b|\b(?:algunos|algunas|la mitad)\b|\besta semana\b|\bhace (?:d[ií]as|horas|una semana)\b"
    r"|\b(?:mehrere|alle|unsere|unser|benutzer|nutzer|mitarbeiter|niemand|keiner)\b|\bseit\b|\bheute\b|\bgestern\b"
    r"|\bwieder\b|\bimmer noch\b|\b(?:einige|manche)\b|\bdiese woche\b"
    r"|\b(?:certains|certaines|quelques)\b|\bcette semaine\b|\b(?:plusieurs|nos|tous|utilisateurs|personne)\b|\bdepuis\b|\baujourd'hui\b|\bhier\b|\bencore\b|\btoujours\b"
    r"|\b(?:alguns|algumas)\b|\besta semana\b|\bh[aá] (?:dias|horas)\b|\b(?:v[aá]rios|v[aá]rias|nossos|nossas|todos|usu[aá]rios|ningu[eé]m)\b|\bhoje\b|\bontem\b|\bde novo\b|\bainda\b"
    r"|\b(?:alcune|questa settimana)\b|\b(?:diversi|alcuni|nostri|nostre|tutti|utenti|nessuno)\b|\boggi\b|\bieri\b|\bstamattina\b|\bancora\b"
    r"|\bdi nuovo\b|\bda (?:ieri|stamattina|giorni|settimane)\b"
    r"|\b(?:sommige|een paar|deze week|al dagen)\b|\b(?:meerdere|onze|alle|gebruikers|niemand)\b|\bsinds\b|\bvandaag\b|\bgisteren\b|\bweer\b|\bnog steeds\b"
    r")",
    re.IGNORECASE,
)


def says_reach(text: str) -> str:
    """The words saying the problem reaches more than one person, has lasted, or is back; or ""."""
    found = _REACH.search(text[:4_000])
    return found.group(0) if found else ""
