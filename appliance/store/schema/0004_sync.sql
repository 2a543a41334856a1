-- Operations pushed by desktop clients that worked offline (POST /sync/push).
-- The op_id is the client's; recording it in the operation's own transaction
-- makes a replayed batch return the stored result instead of applying twice.

CREATE TABLE sync_ops (
    op_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    tipo TEXT NOT NULL,
    resultado TEXT NOT NULL CHECK (resultado IN ('applied', 'conflict', 'rejected')),
    respuesta TEXT NOT NULL,
    usuario TEXT,
    fecha TEXT NOT NULL
);
