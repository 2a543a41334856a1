"""Verified online backups of the shop's database: make, list, retain, delete, restore, and schedule them.

Module by concern: `folder` (names, the manifest, file handling), `create`,
`listing`, `retention` (and deletion), `restore`, and `service` (the schedule
and one operation at a time inside the running server). The engine work (the
page copy, integrity_check, the content hash) is the store's: store.copies.
"""

from ..store.copies import verify_file as verify_backup
from .create import create_backup
from .folder import KINDS, MANIFEST, NAME_RE, BackupFailed, backup_path
from .listing import list_backups, newest_verified
from .restore import restore_backup
from .retention import apply_retention, delete_backup, plan_retention

__all__ = [
    "KINDS",
    "MANIFEST",
    "NAME_RE",
    "BackupFailed",
    "apply_retention",
    "backup_path",
    "create_backup",
    "delete_backup",
    "list_backups",
    "newest_verified",
    "plan_retention",
    "restore_backup",
    "verify_backup",
]
