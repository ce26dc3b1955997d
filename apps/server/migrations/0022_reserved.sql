-- Placeholder so the findings branch (0024) migrates on its own; the merger deletes it when the
-- helper's own 0022 migration lands.
SELECT 1;
