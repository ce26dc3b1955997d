-- Placeholder so the identity branch (0025) migrates on its own; the merger deletes it when another
-- helper's 0024 migration lands.
SELECT 1;
