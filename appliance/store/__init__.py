"""Database access: the only package that knows which database engine is used.

Domain modules receive a `Tx` (an open transaction) and run SQL through it with
`?` placeholders; they never import an engine module. Backups copy, check and
restore whole databases through `copies` and `Database.paused_writes()`.
"""

from .database import Database, DatabaseLocked, PausedWrites
from .migrations import SchemaTooNew
from .tx import Actor, CommitFailed, IntegrityError, StoreError, Tx

__all__ = [
    "Actor",
    "CommitFailed",
    "Database",
    "DatabaseLocked",
    "IntegrityError",
    "PausedWrites",
    "SchemaTooNew",
    "StoreError",
    "Tx",
]
