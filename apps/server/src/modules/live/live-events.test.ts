import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainEvent } from '../../platform/events/domain-events.js';
import { liveMessage } from './live-events.js';

const org = 'org_01m97xdcm2ct1q7a8ebzmhzdgf';
const envelope = { id: 'dev_01m97xdd2pwt4y6gxdnpcayb0a', version: 1, organizationId: org, occurredAt: '2026-12-07T09:30:00.412Z' } as const;
const appended: DomainEvent = {
  ...envelope,
  type: 'audit.appended',
  data: { count: 3, events: [{ id: 'evt_01m97xdckkmtcv31nqp4ypxdvz', action: 'organization.update', targetType: null, targetId: null, actorType: 'user' }] },
};
const created: DomainEvent = {
  ...envelope,
  type: 'decision.created',
  data: { decisionId: 'dec_01m97xddbbehqfcp5k06pgrnyf', agentId: 'agt_01m97xdd5z27cvqew0nj0z3rsf', action: 'a:b', decision: 'allow', flagged: false },
};

describe('live stream messages', () => {
  it('shows the topics of a change to every member and its events to audit readers only', () => {
    assert.deepEqual(liveMessage(appended, { organizationId: org, auditor: false, decisions: false }), { event: 'change', data: { topics: ['organization'], count: 3 } });
    assert.deepEqual(liveMessage(appended, { organizationId: org, auditor: true, decisions: false })?.data.events, appended.data.events);
  });

  it('shows decisions to those who may read them, and nothing of another organization', () => {
    assert.equal(liveMessage(created, { organizationId: org, auditor: true, decisions: false }), null);
    assert.deepEqual(liveMessage(created, { organizationId: org, auditor: false, decisions: true }), { event: 'decision', data: { type: 'decision.created', ...created.data } });
    assert.equal(liveMessage(created, { organizationId: 'org_01m97xdd5z27cvqew0nj0z3rsf', auditor: true, decisions: true }), null);
  });
});
