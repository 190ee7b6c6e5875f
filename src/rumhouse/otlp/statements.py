"""Database statements without their values: what a span says it ran, with every literal replaced by `?`,
so that parameter values (e-mail addresses, ids, amounts) are never stored and statements of one shape
group together. `IN (1, 2, 3)` becomes `IN (?)`."""

from __future__ import annotations

import re
from functools import lru_cache

_LITERALS = re.compile(
    r"""
    '(?:[^'\\]|\\.|'')*'            # 'strings', with '' or \' inside
    | "(?:[^"\\]|\\.)*"(?=\s*(?:,|\)|$|\s(?:AND|OR|THEN|ELSE|END)\b))   # "strings" where a value goes
    | \b0x[0-9a-fA-F]+\b            # hex
    | (?<![\w.$])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?\b   # numbers not part of a name (t1, $1)
    """,
    re.VERBOSE | re.IGNORECASE,
)
_LISTS = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=10_000)
def sanitize(statement: str) -> str:
    text = _LITERALS.sub("?", statement[:8192])
    text = _LISTS.sub("(?)", text)
    return _SPACES.sub(" ", text).strip()
