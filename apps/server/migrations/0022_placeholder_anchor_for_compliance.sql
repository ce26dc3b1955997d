-- THROW-AWAY (deleted at merge; the real file of this number comes from another session-11 helper):
-- the shapes the shared brief fixes, so the compliance checks can be tested before they land.
ALTER TABLE audit_checkpoints ADD COLUMN IF NOT EXISTS tsa_token bytea NULL;
ALTER TABLE audit_checkpoints ADD COLUMN IF NOT EXISTS tsa_status text NOT NULL DEFAULT 'none';
ALTER TABLE audit_checkpoints ADD COLUMN IF NOT EXISTS witnessed_at timestamptz NULL;
