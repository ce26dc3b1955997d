-- Placeholder in the retention helper's branch only, so that 0024 is in sequence: the merge takes the
-- anchor helper's 0022_audit_anchoring.sql instead of this file.
SELECT 1;
