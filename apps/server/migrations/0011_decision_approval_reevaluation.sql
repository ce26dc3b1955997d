-- An approval re-evaluates its decision as of the approval (docs/authorization.md §5): what that
-- re-evaluation found is kept with the decision, and an approval it refused leaves the decision
-- denied with the status `invalidated`.
ALTER TABLE verification_events DROP CONSTRAINT verification_events_status_check;
ALTER TABLE verification_events ADD CONSTRAINT verification_events_status_check
  CHECK (status IN ('allowed', 'denied', 'pending', 'approved', 'rejected', 'expired', 'withdrawn', 'invalidated'));
ALTER TABLE verification_events ADD COLUMN approval_reasons jsonb;
GRANT UPDATE (approval_reasons) ON verification_events TO {{app_role}};
