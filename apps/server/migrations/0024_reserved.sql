-- Placeholder so the attestation branch (0026) migrates on its own; the merger deletes it when the
-- helper's own 0024 migration lands.
SELECT 1;
