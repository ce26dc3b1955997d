-- Placeholder so that 0023 follows a 0022 on this branch; the anchor helper's 0022_audit_anchoring.sql
-- replaces it at merge (delete this file then).
SELECT 1;
