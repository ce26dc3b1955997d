-- Placeholder in the retention helper's branch only, so that 0024 is in sequence: the merge takes the
-- privacy helper's 0023_personal_data.sql instead of this file.
SELECT 1;
