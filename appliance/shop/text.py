"""Search text: accent- and case-insensitive matching that every engine can run.

Rows keep a `busqueda` column with their searchable words folded by
`search_text`; a query is split into words folded the same way, and a row
matches when it contains every word (`LIKE ... ESCAPE '\\'`).
"""

from __future__ import annotations

import unicodedata


class _FoldTable(dict):
    """str.translate's table for folded text, filled per character on first sight.

    Combining marks (the accents NFKD splits off) are dropped; control characters
    become spaces: a NUL would end the LIKE pattern early and match every row.
    A table instead of a per-character generator: it runs inside str.translate.
    """

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        mapped = None if unicodedata.combining(char) else " " if unicodedata.category(char) == "Cc" else char
        self[code] = mapped
        return mapped


_FOLD = _FoldTable()


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKD", value.casefold()).translate(_FOLD)


def fold(value: str) -> str:
    """`value` without case or accents: for comparing and sorting Spanish text ("Álvaro" before "Beto")."""
    return _fold(value)


def search_text(*parts: object) -> str:
    """Folded searchable text of a row; phone numbers also appear as bare digits."""
    words = []
    for part in parts:
        if part is None or part == "":
            continue
        part = str(part)
        words.append(part)
        digits = "".join(ch for ch in part if ch.isdigit())
        if digits and digits != part:
            words.append(digits)
    return _fold(" ".join(words))


def like_patterns(query: str) -> list[str]:
    """One LIKE pattern per word of the query (at most 8 words)."""
    patterns = []
    for word in _fold(query).split()[:8]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        patterns.append(f"%{escaped}%")
    return patterns


def search_clause(column: str, query: str | None) -> tuple[str, list[str]]:
    """SQL condition (starting with ' AND') and parameters for a text search on `column`."""
    if not query:
        return "", []
    patterns = like_patterns(query)
    sql = "".join(f" AND {column} LIKE ? ESCAPE '\\'" for _ in patterns)
    return sql, patterns
