-- A desktop client's replica numbers what it makes offline with provisional
-- folios that cannot collide with the server's: its counters run downwards
-- (-1, -2, ...; shown as P-0001, P-0002) until the server assigns the real one.
-- The server's counters keep paso = 1.

ALTER TABLE folios ADD COLUMN paso INTEGER NOT NULL DEFAULT 1 CHECK (paso IN (1, -1));
