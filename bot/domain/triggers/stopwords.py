"""Function words of the seven supported languages (en, es, de, fr, pt, it, nl), for `terms.py`.

Words that say nothing about *what* a message asks: articles, pronouns, auxiliaries, question words,
politeness, and the words of re-asking itself ("again", "noch einmal", "de novo"), so that "how do I
move my projects?" and "again: is there any way to get my projects over?" share `project`, not
"how" or "my". One set for all languages (a message's language is not always known, and the lists
barely collide); lower case, accents kept (the stemmers expect them).
"""

from __future__ import annotations

_EN = """
a an the and or but if so then than that this these those there here it its it's i i'm i've i'd i'll me my
mine we we're our ours us you you're your yours he she him her his they them their what which who whom
whose how why when where whether is are was were be been being am do does did doing done have has had
having can could would should will shall may might must not no nor don't doesn't didn't can't cannot won't
isn't aren't wasn't weren't haven't hasn't any some all each every of to in on at by for with from into
onto about over under again still yet already also too very really just only even more most much many
one get got gets getting way want wants wanted need needs like please thanks thank hello hi hey okay ok
sure right well now yes yeah asking asked ask know tell told say said instead other another different new
same actual actually anyone someone something anything nothing nobody everyone let there's what's
possible able there way ways tried try trying
"""
_ES = """
el la los las un una unos unas lo al del de y o u pero si no ni que qué quien quién cual cuál cuales como
cómo cuando cuándo donde dónde por para con sin en sobre entre hasta desde más menos muy ya aún todavía
también esto esta este estos estas eso esa ese esos esas hay mi mis tu tus su sus nuestro nuestra nos
les le me te se yo tú él ella ellos ellas usted ustedes es son era ser estar está están estoy tengo tiene
tienen puedo puede pueden podemos quiero quiere otra otro otros otras vez veces pregunto pregunta sí
gracias hola favor nuevo nueva mismo misma cosa algo nada hacer hago hace
"""
_DE = """
der die das den dem des ein eine einen einem einer eines und oder aber doch nicht kein keine keinen ist
sind war waren bin bist sein habe hat haben hatte ich du er es wir ihr sie mein meine meinen meinem meiner
dein unser unsere unseren ihr ihre ihren wie was wann wo warum wer welche welcher welches mit für auf aus
bei nach von vom zu zum zur dass ob noch einmal nochmal mal frage fragen schon auch nur sehr bitte danke
hallo kann können kannst möchte möchten will wollen soll sollen also bis gibt mich mir uns euch dieser
diese dieses diesen jetzt immer wieder dritten zweiten andere anderen neue neuen gleiche geht man
"""
_FR = """
le la les l un une des du de d et ou mais si ne n pas plus est sont suis es êtes ai as avons avez ont
mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs que qu qui quoi quel quelle quels quand
comment pourquoi où avec pour sans dans sur par en au aux ce cet cette ces c ça cela ceci je j tu il elle
on nous vous ils elles me m te t se s peut peux pouvez pouvons veux voudrais faut fait faire encore déjà
aussi très merci bonjour oui non reformule redemande répète tous tout toute toutes autre autres nouveau
nouvelle même est-ce y a
"""
_PT = """
o a os as um uma uns umas do da dos das de em no na nos nas ao à e ou mas se não sim que quem qual quais
como quando onde porque por para com sem mais menos muito já ainda também isso isto esse essa este esta
meu minha meus minhas nosso nossa seu sua seus suas eu você vocês ele ela eles elas é são está estão
estou era ser ter tem tenho posso pode podem quero quer outra outro outros vez vezes novo nova novamente
pergunto pergunta obrigado obrigada olá mesmo mesma dá dar faço fazer
"""
_IT = """
il lo la i gli le un uno una di del dello della dei degli delle a al allo alla ai agli alle da dal in nel
nella con su per tra fra e o ma se non sì che chi cui quale quali come quando dove perché più meno molto
già ancora anche questo questa questi queste quello quella mio mia miei mie tuo tua nostro nostra suo
sua io tu lui lei noi voi loro è sono sei era essere ho hai ha abbiamo avete hanno posso può possiamo
voglio vuole altra altro altri volta volte nuovo nuova chiedo chiesto grazie ciao stesso stessa quindi
fare faccio
"""
_NL = """
de het een en of maar als niet geen wel is zijn ben bent was waren heb hebt heeft hebben had ik je jij u
hij zij ze wij we jullie mijn mij me onze ons uw jouw zijn haar hun wat wie welke hoe wanneer waar waarom
met zonder voor van naar op in aan bij uit om te tot dat dit deze die er hier daar kan kunnen kun wil
willen wilt moet moeten mag nog weer opnieuw nogmaals keer vraag vragen dank bedankt hallo ook heel erg
andere nieuw nieuwe zelfde hetzelfde doen
"""

STOPWORDS: frozenset[str] = frozenset(
    word for block in (_EN, _ES, _DE, _FR, _PT, _IT, _NL) for word in block.split()
)
