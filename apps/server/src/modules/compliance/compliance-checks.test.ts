import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { forEachTarget } from '../../testing/targets.js';
import { createTestApp, type TestApp } from '../../testing/test-app.js';
import { seedOrganization, type SeededOrganization } from '../../testing/people-fixtures.js';
import { ago, DAY, id, insertAgent, insertAgentKey, insertAuditEvent, insertDecision, MINUTE, runCheck, tamperEvent } from '../../testing/compliance-fixtures.js';
import type { Period } from './catalogue/check-types.js';

/**
 * Each check: unknown without evidence, pass with it, and fail once the evidence is broken. The
 * evidence is real rows; nothing about a check's answer is set by the test but the rows.
 */
forEachTarget('compliance checks', (target) => {
  let t: TestApp;
  let owner: pg.Client;
  const fresh = async (): Promise<SeededOrganization> => seedOrganization(t, 'C');
  // Up to the next whole millisecond: a row written in the current one (microseconds in PostgreSQL) is inside.
  const lastHour = (): Period => ({ from: ago(60 * MINUTE), to: new Date(Date.now() + 1) });
  before(async () => {
    t = await createTestApp(target, { env: { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_PRINCIPAL_MAX: '100000' } });
    owner = await t.owner();
  });
  after(() => t?.close());

  /** Triggers off, as someone with the database owner's access would (checkpoints are append-only too). */
  const asIntruder = async (sql: string, params: unknown[]) => {
    await owner.query('begin');
    try {
      await owner.query("set local session_replication_role = 'replica'");
      await owner.query(sql, params);
      await owner.query('commit');
    } catch (error) {
      await owner.query('rollback');
      throw error;
    }
  };
  const expect = (r: { status: string; summary: string; evidence: unknown }, status: string) => assert.equal(r.status, status, `${r.summary} ${JSON.stringify(r.evidence)}`);

  describe('access', () => {
    it('agents_owned: unknown, pass, then fail when an owner leaves', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'agents_owned', lastHour()), 'unknown');
      await insertAgent(owner, o.organizationId, o.as.member.userId);
      const pass = await runCheck(t, o.organizationId, 'agents_owned', lastHour());
      expect(pass, 'pass');
      assert.equal(pass.evidence.counts.agents, 1);
      const orphan = await insertAgent(owner, o.organizationId, null);
      const fail = await runCheck(t, o.organizationId, 'agents_owned', lastHour());
      expect(fail, 'fail');
      assert.deepEqual(fail.evidence.samples.map((s) => s.agentId), [orphan]);
    });

    it('access_reviews_completed: unknown, fail without a review, pass after one, fail with a pending item', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'access_reviews_completed', lastHour()), 'unknown');
      const agentId = await insertAgent(owner, o.organizationId, o.as.admin.userId);
      const capabilityId = id('cap');
      await owner.query(`insert into capabilities (id, organization_id, name, risk_level) values ($1, $2, 'files:write', 'high')`, [capabilityId, o.organizationId]);
      await owner.query(`insert into capability_grants (id, organization_id, agent_id, capability_id, granted_by_type, created_at) values ($1, $2, $3, $4, 'system', $5)`, [id('grt'), o.organizationId, agentId, capabilityId, ago(DAY)]);
      expect(await runCheck(t, o.organizationId, 'access_reviews_completed', lastHour()), 'fail');
      const reviewId = id('arv');
      await owner.query(
        `insert into access_reviews (id, organization_id, name, scope, status, deadline, auto_revoke, created_by, created_at, completed_at) values ($1, $2, 'Q4', '{"kind":"high_risk_grants"}', 'completed', now(), false, $3, $4, $5)`,
        [reviewId, o.organizationId, o.as.admin.userId, ago(5 * DAY), ago(DAY)],
      );
      const itemId = id('ari');
      await owner.query(
        `insert into access_review_items (id, organization_id, review_id, subject_type, subject_id, snapshot, reviewer_user_id, reviewer_reason, decision, decided_by, decided_at) values ($1, $2, $3, 'grant', 'grt_x', '{}', $4, 'owner', 'certified', $4, $5)`,
        [itemId, o.organizationId, reviewId, o.as.admin.userId, ago(DAY)],
      );
      const pass = await runCheck(t, o.organizationId, 'access_reviews_completed', lastHour());
      expect(pass, 'pass');
      assert.equal(pass.evidence.samples[0]?.reviewId, reviewId);
      await owner.query(`update access_review_items set decision = 'pending', decided_by = null, decided_at = null where id = $1`, [itemId]);
      expect(await runCheck(t, o.organizationId, 'access_reviews_completed', lastHour()), 'fail');
    });

    it('high_risk_approval: fail without a policy, pass with one, fail when a high-risk action was allowed outright', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'high_risk_approval', lastHour()), 'fail');
      const res = await t.app.inject({
        method: 'POST', url: '/api/v1/policies', headers: { ...o.as.admin.apiKey, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'approve high risk', type: 'require_approval', mode: 'enforce', config: { minRisk: 'high' } }),
      });
      assert.equal(res.statusCode, 201, res.body);
      const agentId = await insertAgent(owner, o.organizationId, o.as.admin.userId);
      await insertDecision(owner, o.organizationId, agentId, 'high', 'pending', true);
      const pass = await runCheck(t, o.organizationId, 'high_risk_approval', lastHour());
      expect(pass, 'pass');
      assert.equal(pass.evidence.counts.approvedByPeople, 1);
      const bypass = await insertDecision(owner, o.organizationId, agentId, 'critical', 'allow', true);
      const fail = await runCheck(t, o.organizationId, 'high_risk_approval', lastHour());
      expect(fail, 'fail');
      assert.ok(fail.evidence.samples.some((s) => s.decisionId === bypass));
    });

    it('admin_strong_sign_in: fails on setup-link sessions and admins without a passkey, passes with a passkey and no such session', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'admin_strong_sign_in', lastHour()), 'fail');
      const before = { from: ago(10 * DAY), to: ago(5 * DAY) };
      expect(await runCheck(t, o.organizationId, 'admin_strong_sign_in', before), 'fail');
      await owner.query(
        `insert into passkeys (id, user_id, credential_id, public_key, device_type, backed_up, name) values ($1, $2, $3, $4, 'singleDevice', false, 'key')`,
        [id('pky'), o.as.admin.userId, id('cred'), Buffer.alloc(32, 1)],
      );
      const pass = await runCheck(t, o.organizationId, 'admin_strong_sign_in', before);
      expect(pass, 'pass');
      assert.equal(pass.evidence.counts.admins, 1);
    });
  });

  describe('records', () => {
    it('decisions_recorded: unknown, pass, fail when a decision has no audit event', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'decisions_recorded', lastHour()), 'unknown');
      const agentId = await insertAgent(owner, o.organizationId, o.as.admin.userId);
      await insertDecision(owner, o.organizationId, agentId, 'low', 'allow', true);
      expect(await runCheck(t, o.organizationId, 'decisions_recorded', lastHour()), 'pass');
      const lost = await insertDecision(owner, o.organizationId, agentId, 'low', 'deny', false);
      const fail = await runCheck(t, o.organizationId, 'decisions_recorded', lastHour());
      expect(fail, 'fail');
      assert.deepEqual(fail.evidence.samples.map((s) => s.decisionId), [lost]);
    });

    it('policy_changes_recorded: unknown, pass through the API, fail for a version written without its event', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'policy_changes_recorded', lastHour()), 'unknown');
      const res = await t.app.inject({
        method: 'POST', url: '/api/v1/policies', headers: { ...o.as.admin.apiKey, 'content-type': 'application/json' },
        payload: JSON.stringify({ name: 'p', type: 'require_approval', mode: 'monitor', config: { minRisk: 'critical' } }),
      });
      assert.equal(res.statusCode, 201, res.body);
      const policyId = res.json().policy.id as string;
      expect(await runCheck(t, o.organizationId, 'policy_changes_recorded', lastHour()), 'pass');
      await owner.query(
        `insert into policy_versions (organization_id, policy_id, version, name, type, mode, enabled, scope, config, changed_by_type, created_at)
         values ($1, $2, 99, 'p', 'require_approval', 'monitor', false, '{}', '{}', 'system', now() - interval '30 minutes')`,
        [o.organizationId, policyId],
      );
      const fail = await runCheck(t, o.organizationId, 'policy_changes_recorded', lastHour());
      expect(fail, 'fail');
      assert.deepEqual(fail.evidence.samples.map((s) => s.version), [99]);
    });

    it('audit_chain_intact, checkpoint_covers_period and checkpoint_timestamped follow the chain and its checkpoints', async () => {
      const o = await fresh();
      const empty = { from: ago(30 * DAY), to: ago(29 * DAY) };
      expect(await runCheck(t, o.organizationId, 'audit_chain_intact', empty), 'unknown');
      expect(await runCheck(t, o.organizationId, 'checkpoint_covers_period', empty), 'unknown');
      for (let i = 0; i < 5; i += 1) await insertAuditEvent(owner, o.organizationId, 'test.event', null);
      const period = () => ({ from: ago(60 * MINUTE), to: new Date() });
      const intact = await runCheck(t, o.organizationId, 'audit_chain_intact', period());
      expect(intact, 'pass');
      assert.ok(intact.evidence.counts.eventsVerified! >= 5);
      expect(await runCheck(t, o.organizationId, 'checkpoint_covers_period', period()), 'fail');
      const cp = await t.app.inject({ method: 'POST', url: '/api/v1/audit-logs/checkpoints', headers: o.as.admin.apiKey });
      assert.equal(cp.statusCode, 201, cp.body);
      const covered = { from: ago(60 * MINUTE), to: new Date(Date.parse(cp.json().signedAt) - 1) };
      expect(await runCheck(t, o.organizationId, 'checkpoint_covers_period', covered), 'pass');
      expect(await runCheck(t, o.organizationId, 'checkpoint_timestamped', covered), 'unknown');
      await asIntruder(`update audit_checkpoints set tsa_status = 'failed' where organization_id = $1`, [o.organizationId]);
      expect(await runCheck(t, o.organizationId, 'checkpoint_timestamped', covered), 'fail');
      await asIntruder(`update audit_checkpoints set tsa_status = 'stamped', tsa_token = $2 where organization_id = $1`, [o.organizationId, Buffer.from('a time-stamp token')]);
      expect(await runCheck(t, o.organizationId, 'checkpoint_timestamped', covered), 'pass');
      // A forged signature, then a tampered event.
      await asIntruder(`update audit_checkpoints set signature = $2 where organization_id = $1`, [o.organizationId, Buffer.alloc(64, 7)]);
      expect(await runCheck(t, o.organizationId, 'checkpoint_covers_period', covered), 'fail');
      await tamperEvent(owner, o.organizationId, 3);
      const broken = await runCheck(t, o.organizationId, 'audit_chain_intact', covered);
      expect(broken, 'fail');
      assert.equal(broken.evidence.samples[0]?.brokenAt, 3);
    });
  });

  describe('keys and data', () => {
    it('agent_keys_rotated: unknown, pass, fail for a key older than the policy', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'agent_keys_rotated', lastHour()), 'unknown');
      const agentId = await insertAgent(owner, o.organizationId, o.as.admin.userId, ago(200 * DAY));
      await insertAgentKey(owner, o.organizationId, agentId, ago(10 * DAY));
      expect(await runCheck(t, o.organizationId, 'agent_keys_rotated', lastHour()), 'pass');
      const old = await insertAgentKey(owner, o.organizationId, agentId, ago(120 * DAY));
      const fail = await runCheck(t, o.organizationId, 'agent_keys_rotated', lastHour());
      expect(fail, 'fail');
      assert.deepEqual(fail.evidence.samples.map((s) => s.keyId), [old]);
    });

    it('signing_keys_rotated: unknown before any key, pass with fresh keys, fail with an old one', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'signing_keys_rotated', { from: new Date('2001-01-01T00:00:00Z'), to: new Date('2001-02-01T00:00:00Z') }), 'unknown');
      await t.platform.checkpointKeys.current();
      expect(await runCheck(t, o.organizationId, 'signing_keys_rotated', lastHour()), 'pass');
      const later = { from: new Date(Date.now() + 40 * DAY), to: new Date(Date.now() + 41 * DAY) };
      const fail = await runCheck(t, o.organizationId, 'signing_keys_rotated', later);
      expect(fail, 'fail');
      assert.ok(fail.evidence.samples.some((s) => s.purpose === 'session' && s.withinPolicy === false));
    });

    it('personal_data_encrypted: pass when every member is sealed under a live key; fail with data under the deployment key alone, or after a key is destroyed', async () => {
      const o = await fresh();
      // People are created with their own key and sealed under it (modules/privacy).
      expect(await runCheck(t, o.organizationId, 'personal_data_encrypted', lastHour()), 'pass');
      // The manager's email as it was stored before per-person keys: the deployment key's format.
      await owner.query(`update users set email_encrypted = 'v1.' || substr(email_encrypted, 5) where id = $1`, [o.as.manager.userId]);
      const unsealed = await runCheck(t, o.organizationId, 'personal_data_encrypted', lastHour());
      expect(unsealed, 'fail');
      assert.deepEqual(unsealed.evidence.samples.map((s) => s.userId), [o.as.manager.userId]);
      await owner.query('update person_keys set destroyed_at = now(), wrapped_key = null where user_id = $1', [o.as.member.userId]);
      const fail = await runCheck(t, o.organizationId, 'personal_data_encrypted', lastHour());
      expect(fail, 'fail');
      assert.deepEqual(fail.evidence.samples.map((s) => s.userId), [o.as.member.userId, o.as.manager.userId]);
    });

    it('retention_configured: fail unlimited, pass with both periods or a legal hold', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'retention_configured', lastHour()), 'fail');
      await owner.query('update organizations set audit_retention_days = 400, decision_retention_days = 180 where id = $1', [o.organizationId]);
      expect(await runCheck(t, o.organizationId, 'retention_configured', lastHour()), 'pass');
      await owner.query('update organizations set decision_retention_days = null where id = $1', [o.organizationId]);
      expect(await runCheck(t, o.organizationId, 'retention_configured', lastHour()), 'fail');
      await owner.query(`update organizations set legal_hold_at = now(), legal_hold_reason = 'litigation' where id = $1`, [o.organizationId]);
      expect(await runCheck(t, o.organizationId, 'retention_configured', lastHour()), 'pass');
    });

    it('privacy_requests_answered: unknown, pass, fail for a request open past 30 days', async () => {
      const o = await fresh();
      const quarter = { from: ago(90 * DAY), to: new Date() };
      expect(await runCheck(t, o.organizationId, 'privacy_requests_answered', quarter), 'unknown');
      await owner.query(`insert into privacy_requests (id, organization_id, user_id, kind, requested_by, created_at, completed_at) values ($1, $2, $3, 'export', $3, $4, $5)`, [id('prq'), o.organizationId, o.as.member.userId, ago(20 * DAY), ago(19 * DAY)]);
      expect(await runCheck(t, o.organizationId, 'privacy_requests_answered', quarter), 'pass');
      await owner.query(`insert into privacy_requests (id, organization_id, user_id, kind, requested_by, created_at) values ($1, $2, $3, 'erasure', $3, $4)`, [id('prq'), o.organizationId, o.as.viewer.userId, ago(45 * DAY)]);
      expect(await runCheck(t, o.organizationId, 'privacy_requests_answered', quarter), 'fail');
    });
  });

  describe('monitoring', () => {
    const alert = (organizationId: string, severity: string, createdAt: Date, acknowledgedAt: Date | null) =>
      owner.query(
        `insert into alerts (id, organization_id, type, severity, subject_type, subject_id, status, title, summary, dedup_key, first_seen_at, last_seen_at, evidence, created_at, acknowledged_at, acknowledged_by_type)
         values ($1, $2, 'rate_anomaly', $3, 'organization', $2, $4, 't', 's', $1, $5, $5, '{}', $5, $6, $7)`,
        [id('alr'), organizationId, severity, acknowledgedAt ? 'acknowledged' : 'open', createdAt, acknowledgedAt, acknowledgedAt ? 'user' : null],
      );

    it('alerts_acknowledged: unknown, pass within target, fail when late', async () => {
      const o = await fresh();
      const day = { from: ago(DAY), to: new Date() };
      expect(await runCheck(t, o.organizationId, 'alerts_acknowledged', day), 'unknown');
      await alert(o.organizationId, 'critical', ago(5 * 60 * MINUTE), ago(5 * 60 * MINUTE - 10 * MINUTE));
      expect(await runCheck(t, o.organizationId, 'alerts_acknowledged', day), 'pass');
      await alert(o.organizationId, 'critical', ago(3 * 60 * MINUTE), null);
      const fail = await runCheck(t, o.organizationId, 'alerts_acknowledged', day);
      expect(fail, 'fail');
      assert.equal(fail.evidence.counts.late, 1);
    });

    it('webhooks_https and mcp_servers_approved: unknown, pass, fail', async () => {
      const o = await fresh();
      expect(await runCheck(t, o.organizationId, 'webhooks_https', lastHour()), 'unknown');
      expect(await runCheck(t, o.organizationId, 'mcp_servers_approved', lastHour()), 'unknown');
      const hook = (url: string) => owner.query(
        `insert into webhook_endpoints (id, organization_id, url, event_types, secret_ciphertext, created_by_type, created_by_id, created_at) values ($1, $2, $3, '{*}', 'x', 'user', 'usr_x', $4)`,
        [id('whk'), o.organizationId, url, ago(DAY)],
      );
      await hook('https://hooks.example.com/a');
      expect(await runCheck(t, o.organizationId, 'webhooks_https', lastHour()), 'pass');
      await hook('http://hooks.example.com/b');
      expect(await runCheck(t, o.organizationId, 'webhooks_https', lastHour()), 'fail');
      const server = (status: string) => owner.query(
        `insert into mcp_servers (id, organization_id, name, transport, endpoint_url, status, created_by_type, created_by_id, created_at, slug) values ($1, $2, $5, 'streamable_http', 'https://mcp.example.com', $3, 'user', 'usr_x', $4, $5)`,
        [id('mcp'), o.organizationId, status, ago(DAY), `m-${status}`],
      );
      await server('approved');
      expect(await runCheck(t, o.organizationId, 'mcp_servers_approved', lastHour()), 'pass');
      await server('drifted');
      expect(await runCheck(t, o.organizationId, 'mcp_servers_approved', lastHour()), 'fail');
    });
  });
});
