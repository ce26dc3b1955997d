import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assignReviewers, type Subject } from './review-items.js';

/** Who reviews what (docs/access-reviews.md §2), the pure part: owners, managers spread evenly, never one's own key while anyone else can. */
const snapshot = { name: 'x', ownerUserId: null, riskLevel: null, lastUsedAt: null, status: null, agentId: null, capability: null, resourcePattern: null, expiresAt: null, grants: [] };
const agent = (id: string, owner: string | null): Subject => ({ subjectType: 'agent', subjectId: id, subjectPersonId: null, ownerId: owner, snapshot });
const key = (id: string, creator: string): Subject => ({ subjectType: 'api_key', subjectId: id, subjectPersonId: creator, ownerId: null, snapshot });

describe('access review reviewers', () => {
  const people = new Map([
    ['usr_admin', 'admin'],
    ['usr_m1', 'manager'],
    ['usr_m2', 'manager'],
    ['usr_member', 'member'],
  ] as const);

  it("gives an agent to its owner, and an orphan to the manager with the fewest items, never the campaign's creator while another can", () => {
    const out = assignReviewers([agent('a1', 'usr_member'), agent('a2', 'usr_gone'), agent('a3', null), agent('a4', 'usr_gone')], new Map(people), 'usr_admin');
    assert.deepEqual(
      out.map((o) => [o.subject.subjectId, o.reviewer, o.reason]),
      [
        ['a1', 'usr_member', 'owner'],
        ['a2', 'usr_m1', 'manager'],
        ['a3', 'usr_m2', 'manager'],
        ['a4', 'usr_m1', 'manager'],
      ],
    );
  });

  it("never gives a key to its creator while someone else can; the creator of the campaign only when nobody else; oneself only when alone", () => {
    const two = new Map([
      ['usr_admin', 'admin'],
      ['usr_m1', 'manager'],
    ] as const);
    const out = assignReviewers([key('k1', 'usr_m1'), key('k2', 'usr_admin'), key('k3', 'usr_member')], new Map(two), 'usr_admin');
    assert.deepEqual(
      out.map((o) => [o.subject.subjectId, o.reviewer, o.reason]),
      [
        ['k1', 'usr_admin', 'creator'],
        ['k2', 'usr_m1', 'manager'],
        ['k3', 'usr_m1', 'manager'],
      ],
    );
    const alone = assignReviewers([key('k4', 'usr_admin')], new Map([['usr_admin', 'admin']] as const), 'usr_admin');
    assert.deepEqual([alone[0]!.reviewer, alone[0]!.reason], ['usr_admin', 'self']);
  });

  it('passes over an owner who may not review (a viewer is not among the reviewers)', () => {
    const out = assignReviewers([agent('a1', 'usr_viewer')], new Map(people), 'usr_m1');
    assert.equal(out[0]!.reason, 'manager');
    assert.notEqual(out[0]!.reviewer, 'usr_m1');
  });
});
