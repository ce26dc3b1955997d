-- 0017 notifications: email notifications (docs/notifications.md). Each person chooses, per
-- organization and kind, immediate mail, a daily digest or nothing; events schedule one notification
-- per person, event and kind (a repeated event schedules nothing new); a sender mails the immediate
-- ones with retries, and an hourly job mails each person's digest once a day at their hour.

-- A person's choices in one organization; a kind not named in `preferences` has its default.
CREATE TABLE notification_settings (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- { "<kind>": { "delivery": "immediate" | "digest" | "off", "minSeverity": null | "low" | … } }
  preferences      jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(preferences) = 'object'),
  digest_hour_utc  smallint NOT NULL DEFAULT 8 CHECK (digest_hour_utc BETWEEN 0 AND 23),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
ALTER TABLE notification_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_settings
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON notification_settings TO {{app_role}};

-- One notification per person, event and kind. `payload` is what the mail shows (the event's data and
-- names read when it was scheduled; never a secret).
CREATE TABLE notifications (
  id               text PRIMARY KEY CHECK (id ~ '^ntf_[0-9a-z]{26}$'),
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  event_id         text NOT NULL,
  kind             text NOT NULL CHECK (kind IN ('approval_requested', 'capability_requested', 'webhook_disabled', 'alert')),
  mode             text NOT NULL CHECK (mode IN ('immediate', 'digest')),
  payload          jsonb NOT NULL,
  -- pending: to send (immediate: when next_attempt_at is due; digest: with the next digest);
  -- sent; failed: given up after the last attempt; cancelled: the person left, or is disabled.
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- Immediate: when the next attempt is due (a sender's claim moves it ahead, so a crashed sender's
  -- claim lapses). Null for digest items and once final.
  next_attempt_at  timestamptz,
  last_error       text CHECK (last_error IS NULL OR length(last_error) <= 500),
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  UNIQUE (user_id, event_id, kind)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending' AND mode = 'immediate';
CREATE INDEX notifications_digest ON notifications (organization_id, user_id, created_at) WHERE status = 'pending' AND mode = 'digest';
ALTER TABLE notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notifications
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT, UPDATE ON notifications TO {{app_role}};

-- The digests sent: at most one per person, organization and UTC day.
CREATE TABLE notification_digests (
  organization_id  text NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  day              date NOT NULL,
  items            integer NOT NULL CHECK (items > 0),
  sent_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id, day)
);
ALTER TABLE notification_digests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_digests
  USING (organization_id = aim_current_org_id()) WITH CHECK (organization_id = aim_current_org_id());
GRANT SELECT, INSERT ON notification_digests TO {{app_role}};

-- The sender's and the digest job's look across organizations (ids only).
CREATE FUNCTION aim_notifications_due_organizations() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT n.organization_id FROM notifications n
          WHERE n.status = 'pending' AND n.mode = 'immediate' AND n.next_attempt_at <= now() $$;
REVOKE ALL ON FUNCTION aim_notifications_due_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_notifications_due_organizations() TO {{app_role}};

CREATE FUNCTION aim_notification_digest_organizations() RETURNS TABLE (organization_id text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
  AS $$ SELECT DISTINCT n.organization_id FROM notifications n WHERE n.status = 'pending' AND n.mode = 'digest' $$;
REVOKE ALL ON FUNCTION aim_notification_digest_organizations() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION aim_notification_digest_organizations() TO {{app_role}};
