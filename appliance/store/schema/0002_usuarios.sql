-- Staff accounts. Passwords are argon2 hashes; token_version is part of every
-- token issued, so raising it logs the user out everywhere (revocation,
-- password change). Usernames are stored case-folded.

CREATE TABLE usuarios (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    nombre TEXT NOT NULL,
    rol TEXT NOT NULL CHECK (rol IN ('dueno', 'tecnico', 'mostrador')),
    password_hash TEXT NOT NULL,
    activo INTEGER NOT NULL DEFAULT 1,
    token_version INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    creado_en TEXT NOT NULL,
    actualizado_en TEXT NOT NULL
);
CREATE UNIQUE INDEX usuarios_username ON usuarios (username);
