"""Safe text for Block Kit: untrusted text escaped for mrkdwn and cut to a field's limit. Pure.

Only &, < and > are control characters in Slack's mrkdwn (PLATFORM-FACTS "Block Kit limits"):
escaped, `<!channel>`, `<@U...>` and `<http://x|fake>` show as text.
"""

from __future__ import annotations


def escape(text: str) -> str:
    """Slack's own escaping: only &, < and > are control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending with an ellipsis when cut, never splitting an &entity;."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head + "…"


def safe(text: str, limit: int) -> str:
    """Untrusted text for a mrkdwn field: escaped, one line per paragraph kept, cut to the limit."""
    return cut(escape(text.strip()), limit) or " "


def plain(text: str, limit: int) -> str:
    """Untrusted text for a plain_text field (no mrkdwn parsing there; only length matters)."""
    return cut(text.strip(), limit) or " "
