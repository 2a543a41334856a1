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
CREATE INDEX auditoria_entidad ON auditoria (entidad, entidad_id);
CREATE INDEX auditoria_usuario ON auditoria (usuario);
CREATE INDEX auditoria_accion ON auditoria (accion);
