"""What the customer said themselves: the text the model and the phrase rules may judge.

`visible_text()` removes what somebody else wrote or what is not speech at all:

- code blocks (```...```, an unclosed fence runs to the end) and inline `code`;
- quoted lines (`>` or Slack's escaped `&gt;`, nested or not);
- forwarded or replied-to mail ("---------- Forwarded message ---------", "Begin forwarded message:",
  "-----Original Message-----", "On Mon, 3 Nov 2026, Ana wrote:" and their equivalents in the supported
  languages): from the marker to the end of the message;
- reported speech: a quotation after a reporting verb whose speaker is not the customer
  ("one of my customers wrote 'I want a lawyer'", "the error says \"contact support\""), and the rest of
  the line after "<someone> said:" ("my client said: we will sue"). "I said: get me a person" stays:
  the customer is quoting themselves.

Removed spans become a line break, so sentences on either side stay apart. Every pattern is linear in
the input (no nested quantifiers), so a hostile message costs only its length.
"""

from __future__ import annotations

import re

MAX_CHARS = 20_000  # the model reads at most this much of a message; the rest is never customer speech

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
_INLINE_CODE = re.compile(r"`[^`\n]{1,400}`")
_QUOTED_LINE = re.compile(r"^[ \t]*(?:>|&gt;).*$", re.M)
_FORWARD = re.compile(
    r"(?:^|\n)[ \t>]*(?:"
    r"-{2,}\s*(?:forwarded message|original message|mensaje reenviado|mensaje original|"
    r"weitergeleitete nachricht|urspr(?:ü|ue)ngliche nachricht|message transf[ée]r[ée]|message d'origine|"
    r"mensagem encaminhada|mensagem original|messaggio inoltrato|messaggio originale|"
    r"doorgestuurd bericht|oorspronkelijk bericht)\s*-*"
    r"|begin forwarded message:|inicio del mensaje reenviado:|anfang der weitergeleiteten nachricht:|"
    r"d[ée]but du message r[ée]exp[ée]di[ée]\s*:|in[íi]cio da mensagem encaminhada:|"
    r"inizio messaggio inoltrato:|begin doorgestuurd bericht:"
    r"|(?:on|el|am|le|em|il|op)\s[^\n]{4,120}\s(?:wrote|escribi[óo]|schrieb|a [ée]crit|escreveu|ha scritto|schreef)\s?:"
    r")",
    re.I,
)

# Verbs that introduce somebody's words, in the supported languages.
_REPORTING = (
    r"wrote|writes|said|says|say|told (?:me|us)|tells (?:me|us)|asked|asks|emailed|messaged|texted|"
    r"posted|replied|replies|complained|mentioned|shows|showed|reads|put it|goes|"
    r"write|type|types|typed|typing|writing|saying|asking|enter|enters|entering|send|sends|sent|ask|"
    r"escribi[óo]|escribe|escriben|ponen|dijo|dice|dicen|me dijo|nos dijo|pregunt[óo]|preguntan|"
    r"schrieb|schreibt|schreiben|tippen|tippt|sagte|sagt|sagen|meinte|fragte|fragen|"
    r"a [ée]crit|[ée]crit|[ée]crivent|tapent|a dit|dit|disent|m'a dit|nous a dit|a demand[ée]|demandent|"
    r"escreveu|escreve|escrevem|digitam|disse|diz|dizem|perguntou|perguntam|"
    r"ha scritto|scrisse|scrive|scrivono|digitano|ha detto|disse|dice|dicono|ha chiesto|chiedono|"
    r"schreef|schrijft|schrijven|typen|typt|zei|zegt|zeggen|vroeg|vragen"
)
# Subjects that make the words the customer's own ("I said ...", "as we wrote ...").
_SELF = {
    "i",
    "we",
    "yo",
    "nosotros",
    "ich",
    "wir",
    "je",
    "j'ai",
    "nous",
    "eu",
    "nós",
    "io",
    "noi",
    "ik",
    "wij",
    "we've",
    "i've",
    "ya",
    "already",
    "have",
    "had",
    "hab",
    "habe",
    "ho",
    "heb",
    "tengo",
}
_OPEN_CLOSE = {
    '"': '"',
    "\u201c": "\u201d",
    "\u201e": "\u201c",
    "\u00ab": "\u00bb",
    "'": "'",
    "\u2018": "\u2019",
    "\u201a": "\u2018",
}
# A closing mark; a single quote closes only when no letter follows it ("don't" does not close).
_CLOSERS = {
    o: re.compile(re.escape(c) + (r"(?![^\W\d_])" if c in "'\u2019" else "")) for o, c in _OPEN_CLOSE.items()
}

_REPORTED_QUOTE = re.compile(
    r"(?P<verb>\b(?:" + _REPORTING + r"))\b(?:\s+(?:that|que|dass|che|dat|to (?:me|us)|me|us|nos|mir|uns))?"
    r"(?:\s+[^\W\d_][\w\u2019'-]{0,20}){0,2}?"  # "customers often write", "tippen Kunden", "typen vaak"
    r"\s*:?\s*(?P<open>[\"\u201c\u201e\u00ab'\u2018\u201a])",
    re.I,
)
_REPORTED_COLON = re.compile(r"(?P<verb>\b(?:" + _REPORTING + r"))\b\s*:[^\n]*", re.I)
_LAST_WORD = re.compile(r"([^\W\d_][\w'\u2019]{0,30})\s+$")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def _is_self(text: str, verb_start: int) -> bool:
    """Whether the word before a reporting verb makes the words the customer's own ("I said")."""
    m = _LAST_WORD.search(text, max(0, verb_start - 40), verb_start)
    return m is not None and m.group(1).lower() in _SELF


def _drop_reported_quotes(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _REPORTED_QUOTE.finditer(text):
        if m.start() < pos or _is_self(text, m.start()):
            continue
        start = m.end()
        closing = _CLOSERS[m.group("open")].search(text, start)
        line_end = text.find("\n", start)
        if line_end == -1:
            line_end = len(text)
        end = closing.end() if closing and closing.start() <= line_end else line_end
        out.append(text[pos : m.start("verb")])
        out.append("\n")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _drop_reported_colon(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return m.group(0) if _is_self(text, m.start()) else "\n"

    return _REPORTED_COLON.sub(repl, text)


def visible_text(text: str) -> str:
    """The customer's own words in `text` (see the module docstring); "" when nothing is left."""
    if not text:
        return ""
    text = text[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n")
    text = _FENCE.sub("\n", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _QUOTED_LINE.sub("", text)
    forward = _FORWARD.search(text)
    if forward:
        text = text[: forward.start()]
    text = _drop_reported_quotes(text)
    text = _drop_reported_colon(text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    return text.strip()


_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\u2026])[\"'\u201d\u2019)\]]*\s+|\n+")
MAX_SENTENCES = 40


def sentences(text: str) -> list[str]:
    """`text` cut into sentences (at . ! ? and line breaks), trimmed, empty ones dropped."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    parts = [p for p in parts if any(c.isalnum() for c in p)]
    if len(parts) > MAX_SENTENCES:  # a wall of text: keep the first and the last ones
        parts = parts[: MAX_SENTENCES // 2] + parts[-MAX_SENTENCES // 2 :]
    return parts
