-- THROW-AWAY (deleted at merge; the real file of this number comes from another session-11 helper):
-- the shapes the shared brief fixes, so the compliance checks can be tested before they land.
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS legal_hold_at timestamptz NULL;
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS legal_hold_reason text NULL;
ALTER TABLE organizations ADD COLUMN IF NOT EXISTS decision_retention_days integer NULL;
