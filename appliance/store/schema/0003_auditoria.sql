-- The audit trail: who did what, when and from where. One row per change (written
-- in the change's own transaction) and per security event (logins, lock-outs).
-- `campos` holds the names of the fields that changed, never their values, so no
-- password hash or device passcode can end up here.

CREATE TABLE auditoria (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fecha TEXT NOT NULL,
    usuario_id TEXT,
    usuario TEXT,
    ip TEXT,
    accion TEXT NOT NULL,
    entidad TEXT,
    entidad_id TEXT,
    campos TEXT NOT NULL DEFAULT '[]'
);
-- Only the per-record lookup is indexed: every write pays for each index, while
-- filters by user or action are the owner's occasional question, answered by
-- walking the newest rows first until a page is full.
CREATE INDEX auditoria_entidad ON auditoria (entidad_id);
