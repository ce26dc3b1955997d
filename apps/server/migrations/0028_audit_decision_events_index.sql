-- The compliance check decisions_recorded (docs/compliance.md) matches a period's decisions with their
-- decision.allow/deny/pending audit events. This partial index holds only those events (a tenth of a
-- busy chain), with every column the match reads, so the match is one hash join over an index-only scan
-- instead of reading every audit page the decision events are spread over (measured: 9.3 s → see
-- bench/compliance.mjs at a million decisions in ten million events).
CREATE INDEX audit_events_decision_events ON audit_events (organization_id, target_id, occurred_at)
  WHERE target_type = 'decision' AND action IN ('decision.allow', 'decision.deny', 'decision.pending');
