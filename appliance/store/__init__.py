"""Database access. The only package that knows which database engine is used.

Domain modules receive a `Tx` (an open transaction) and run SQL through it with
`?` placeholders; they never import an engine module.
"""

from .sqlite import Actor, CommitFailed, Database, DatabaseLocked, IntegrityError, SchemaTooNew, Tx

__all__ = ["Actor", "Database", "Tx", "DatabaseLocked", "IntegrityError", "CommitFailed", "SchemaTooNew"]
