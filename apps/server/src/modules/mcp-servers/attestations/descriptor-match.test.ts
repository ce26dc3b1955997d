import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { credentialsIn, descriptorKey, DescriptorError, normalizeEndpointUrl, normalizeLaunchCommand, registryIndex, type RegisteredServer } from './descriptor-match.js';
import { compareAttestation, currentPairKeys, pairKey, toolDiff } from './attestation-compare.js';

const fp = (c: string) => c.repeat(64);

describe('descriptor matching', () => {
  it('normalizes endpoint URLs: scheme and host case, default ports, trailing slashes, credentials, fragments', () => {
    const cases: [string, string][] = [
      ['HTTPS://MCP.Example.COM:443/mcp/', 'https://mcp.example.com/mcp'],
      ['http://mcp.example.com:80/mcp', 'http://mcp.example.com/mcp'],
      ['https://mcp.example.com:8443/mcp', 'https://mcp.example.com:8443/mcp'],
      ['https://mcp.example.com', 'https://mcp.example.com/'],
      ['https://mcp.example.com/', 'https://mcp.example.com/'],
      ['https://mcp.example.com/a/./b/../MCP//', 'https://mcp.example.com/a/MCP'],
      ['https://u:p@mcp.example.com/mcp#frag', 'https://mcp.example.com/mcp'],
      ['https://mcp.example.com/mcp?token=x&Region=eu&API_KEY=y', 'https://mcp.example.com/mcp?Region=eu'],
      ['https://mcp.example.com/mcp?access_token=x', 'https://mcp.example.com/mcp'],
      [' https://bücher.example/mcp ', 'https://xn--bcher-kva.example/mcp'],
    ];
    for (const [raw, normalized] of cases) assert.equal(normalizeEndpointUrl(raw), normalized, raw);
    assert.throws(() => normalizeEndpointUrl('ftp://x.example/'), DescriptorError);
    assert.throws(() => normalizeEndpointUrl('not a url'), DescriptorError);
  });

  it('normalizes launch commands: whitespace collapsed, secret assignments masked, case kept', () => {
    assert.equal(normalizeLaunchCommand('  npx   -y\t@Acme/Files  /srv\n'), 'npx -y @Acme/Files /srv');
    assert.equal(normalizeLaunchCommand('GITHUB_TOKEN=ghp_abc npx server --api-key=k1 --port=3'), 'GITHUB_TOKEN=*** npx server --api-key=*** --port=3');
  });

  it('keys descriptors by transport and normalized endpoint or command, not by name', () => {
    assert.equal(
      descriptorKey({ transport: 'streamable_http', name: 'a', url: 'https://X.example/mcp/' }),
      descriptorKey({ transport: 'streamable_http', name: 'b', url: 'https://x.example:443/mcp' }),
    );
    assert.notEqual(descriptorKey({ transport: 'stdio', name: 'a', command: 'https://x.example/' }), descriptorKey({ transport: 'streamable_http', name: 'a', url: 'https://x.example/' }));
  });

  it('finds credentials in descriptors', () => {
    assert.match(credentialsIn({ transport: 'streamable_http', name: 'a', url: 'https://u:p@x.example/' })!, /user name/);
    assert.match(credentialsIn({ transport: 'streamable_http', name: 'a', url: 'https://x.example/?apiKey=1' })!, /apiKey/);
    assert.equal(credentialsIn({ transport: 'streamable_http', name: 'a', url: 'https://x.example/?region=eu' }), null);
    assert.ok(credentialsIn({ transport: 'stdio', name: 'a', command: 'SECRET_X=1 run' }));
    assert.equal(credentialsIn({ transport: 'stdio', name: 'a', command: 'run --port=1' }), null);
  });

  it('indexes the registry without revoked servers, preferring active over suspended, then the oldest', () => {
    const s = (id: string, status: string, url: string): RegisteredServer => ({ id, name: id, status, transport: 'streamable_http', endpoint_url: url, launch_command: null });
    const { byKey } = registryIndex([s('mcp_3', 'pending', 'https://a.example/'), s('mcp_1', 'suspended', 'https://a.example'), s('mcp_2', 'revoked', 'https://b.example/'), s('mcp_4', 'approved', 'https://a.example/')]);
    assert.equal(byKey.get('streamable_http https://a.example/')!.id, 'mcp_3');
    assert.equal(byKey.get('streamable_http https://b.example/'), undefined);
  });
});

describe('attestation comparison', () => {
  const set = (agentId: string, f: string, tools: { name: string; fingerprint: string }[]) => ({
    source: { type: 'agent' as const, agentId, attestationId: `mat_${agentId}` },
    toolSetFingerprint: f,
    tools,
  });

  it('names the tools added, removed and changed', () => {
    const diff = toolDiff([{ name: 'a', fingerprint: fp('1') }, { name: 'b', fingerprint: fp('2') }], [{ name: 'a', fingerprint: fp('3') }, { name: 'c', fingerprint: fp('4') }]);
    assert.deepEqual(diff.map((d) => [d.name, d.change]), [['a', 'changed'], ['b', 'removed'], ['c', 'added']]);
  });

  it('is no_reference without references, match when all agree, mismatch per differing set with a symmetric key', () => {
    const mine = set('agt_1', fp('a'), []);
    assert.equal(compareAttestation('mcp_x', mine, []).comparison, 'no_reference');
    assert.equal(compareAttestation('mcp_x', mine, [set('agt_2', fp('a'), [])]).comparison, 'match');
    const outcome = compareAttestation('mcp_x', mine, [set('agt_2', fp('a'), []), set('agt_3', fp('b'), []), set('agt_4', fp('c'), []), set('agt_5', fp('b'), [])]);
    assert.equal(outcome.comparison, 'mismatch');
    assert.equal(outcome.disagreements.length, 2);
    const withB = outcome.disagreements.find((d) => d.reference.toolSetFingerprint === fp('b'))!;
    assert.deepEqual(withB.reference.sources.map((s) => (s.type === 'agent' ? s.agentId : s.scanId)), ['agt_3', 'agt_5']);
    assert.deepEqual(withB.attested.sources.map((s) => (s.type === 'agent' ? s.agentId : s.scanId)), ['agt_1', 'agt_2']);
    assert.equal(withB.dedupKey, pairKey('mcp_x', fp('b'), fp('a')));
    assert.deepEqual(currentPairKeys('mcp_x', [fp('a'), fp('b'), fp('a')]), [pairKey('mcp_x', fp('a'), fp('b'))]);
    assert.equal(currentPairKeys('mcp_x', [fp('a'), fp('a')]).length, 0);
  });
});
