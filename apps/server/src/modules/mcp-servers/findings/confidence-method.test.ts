import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MCP_CONFIDENCE_FACTORS } from '@aim/contracts';
import {
  attestations,
  computeMcpConfidence,
  driftHistory,
  findings,
  identity,
  MCP_CONFIDENCE_CONSTANTS as C,
  MCP_CONFIDENCE_WEIGHTS,
  scans,
  type McpConfidenceEvidence,
} from './confidence-method.js';

const asOf = '2026-11-30T00:00:00.000Z';
const daysAgo = (d: number) => new Date(Date.parse(asOf) - d * 86_400_000).toISOString();
const none = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };

/** Nothing known: a server registered and never scanned, attested or approved. */
const empty = (): McpConfidenceEvidence => ({
  asOf,
  identity: { activeKeys: 0, serverCard: null, openCardInvalid: 0, tlsCertificates: [], openTlsChanged: 0 },
  scans: { succeeded: 0, failed: 0 },
  attestations: { agents: 0, matching: 0, mismatching: 0 },
  drift: { firstApprovedAt: null, findings: [] },
  findings: { scanned: false, open: { ...none } },
});
const withEvidence = (patch: (e: McpConfidenceEvidence) => void) => {
  const e = empty();
  patch(e);
  return e;
};
const close = (actual: number | null, expected: number, label = '') => assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${label}: ${actual} ≠ ${expected}`);

describe('mcp confidence method', () => {
  it('has the contract’s factors, with weights that sum to 1', () => {
    assert.deepEqual(MCP_CONFIDENCE_WEIGHTS.map((f) => f.key), [...MCP_CONFIDENCE_FACTORS]);
    close(MCP_CONFIDENCE_WEIGHTS.reduce((s, f) => s + f.weight, 0), 1, 'weights');
  });

  it('is unknown when nothing has evidence: no score, no confidence, every factor explained as unknown', () => {
    const result = computeMcpConfidence('mcp_x', empty());
    assert.equal(result.score, null);
    assert.equal(result.confidence, 0);
    for (const f of result.factors) {
      assert.equal(f.value, null, f.key);
      assert.match(f.explanation, /^Unknown/);
    }
  });

  it('identity: the card and TLS stability', () => {
    const id = (patch: Partial<McpConfidenceEvidence['identity']>) => identity(withEvidence((e) => Object.assign(e.identity, patch))).value;
    assert.equal(id({ serverCard: 'valid', activeKeys: 1 }), C.card.valid);
    assert.equal(id({ serverCard: 'absent', activeKeys: 1 }), C.card.keyWithoutCard);
    assert.equal(id({ serverCard: 'absent' }), C.card.nothing);
    assert.equal(id({ serverCard: 'valid', openCardInvalid: 1 }), C.card.invalid, 'an open server_card_invalid finding wins');
    assert.equal(id({ tlsCertificates: ['a', 'a', 'a'] }), 1, 'TLS alone, stable');
    close(id({ tlsCertificates: ['a', 'b', 'b', 'c'] }), 1 - 2 * C.tlsChangePenalty, 'two changes');
    assert.equal(id({ tlsCertificates: ['a', 'b'], openTlsChanged: 1 }), Math.min(1 - C.tlsChangePenalty, C.tlsOpenFindingCap));
    close(id({ serverCard: 'invalid', activeKeys: 1, tlsCertificates: ['a'] }), (C.card.invalid + 1) / 2, 'the mean of the parts');
  });

  it('scans: the share that succeeded', () => {
    close(scans(withEvidence((e) => (e.scans = { succeeded: 3, failed: 1 }))).value, 0.75);
  });

  it('attestations: agreement among agents AIM could compare', () => {
    close(attestations(withEvidence((e) => (e.attestations = { agents: 4, matching: 2, mismatching: 1 }))).value, 2 / 3);
    assert.equal(attestations(withEvidence((e) => (e.attestations = { agents: 2, matching: 0, mismatching: 0 }))).value, null, 'nothing compared');
  });

  it('drift history: the approved share of the time since approval, decayed per drift', () => {
    const part = driftHistory(
      withEvidence((e) => {
        e.drift.firstApprovedAt = daysAgo(10);
        e.drift.findings = [
          { firstSeenAt: daysAgo(5), resolvedAt: daysAgo(4) },
          { firstSeenAt: daysAgo(4.5), resolvedAt: daysAgo(3.5) }, // overlaps: drifted 1.5 days in all
        ];
      }),
    );
    close(part.value, (1 - 1.5 / 10) * C.driftDecay ** 2);
    assert.equal(part.evidence.driftFindings, 2);
    const long = driftHistory(withEvidence((e) => (e.drift.firstApprovedAt = daysAgo(400))));
    assert.equal(long.value, 1, 'approved for longer than the window, no drift');
    assert.equal(long.evidence.observedHours, C.driftWindowDays * 24);
    const open = driftHistory(withEvidence((e) => ((e.drift.firstApprovedAt = daysAgo(10)), (e.drift.findings = [{ firstSeenAt: daysAgo(2), resolvedAt: null }]))));
    close(open.value, 0.8 * C.driftDecay, 'an open drift counts until now');
  });

  it('findings: open findings weighted by severity; none after a scan is full marks', () => {
    close(findings(withEvidence((e) => ((e.findings.scanned = true), (e.findings.open = { ...none, high: 1, medium: 1 })))).value, Math.exp(-(C.findingWeight.high + C.findingWeight.medium) / C.findingScale));
    assert.equal(findings(withEvidence((e) => (e.findings.scanned = true))).value, 1);
  });

  it('scores the weighted mean of the known factors; contributions sum to the score; confidence is the known weight', () => {
    const e = withEvidence((x) => {
      x.scans = { succeeded: 1, failed: 1 };
      x.findings = { scanned: true, open: { ...none, critical: 1 } };
    });
    const result = computeMcpConfidence('mcp_x', e);
    const known = MCP_CONFIDENCE_WEIGHTS.filter((f) => f.key === 'scans' || f.key === 'findings');
    const knownWeight = known.reduce((s, f) => s + f.weight, 0);
    assert.equal(result.confidence, Math.round(knownWeight * 1000) / 1000);
    const expected = (100 * (0.2 * 0.5 + 0.15 * Math.exp(-C.findingWeight.critical / C.findingScale))) / knownWeight;
    close(result.score, Math.round(expected * 100) / 100);
    const sum = result.factors.reduce((s, f) => s + f.contribution, 0);
    assert.ok(Math.abs(sum - result.score!) < 0.01, `${sum} ≈ ${result.score}`);
    assert.deepEqual(result, computeMcpConfidence('mcp_x', e), 'pure: same evidence, same answer');
    assert.equal(result.computedAt, asOf);
  });
});
