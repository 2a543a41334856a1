-- The shop's own data ("Datos del taller"), printed on tickets and used in messages to
-- customers: one row, always present, every field null until the owner fills it in.
-- `id` is fixed so the row is updated like any other record (version, change log).

CREATE TABLE taller (
    id TEXT PRIMARY KEY CHECK (id = 'taller'),
    nombre TEXT,
    direccion TEXT,
    telefono TEXT,
    rfc TEXT,
    regimen_fiscal TEXT,
    garantia TEXT,
    pie_ticket TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    actualizado_en TEXT
);
INSERT INTO taller (id) VALUES ('taller');
