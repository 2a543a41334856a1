-- What an audited override was: a sale at another price than the catalogue's, a
-- discount, with its amounts (JSON). Field values never go here: only what the
-- owner must be able to check about money.
ALTER TABLE auditoria ADD COLUMN detalle TEXT;
