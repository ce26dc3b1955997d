import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalEvent, canonicalEventReference, checkpointMessage, type ChainedEvent } from './chain.js';
import { keyFingerprint, type Checkpoint } from './checkpoints.js';

/**
 * docs/audit.md is the specification an auditor implements a verifier from. Its test vector is read
 * from the document's own text and recomputed here, from first principles (SHA-256, Ed25519 and a
 * few lines of RFC 8785) as well as with this package, and the `aim-audit-verify` command is run on it.
 */
const DOC = fileURLToPath(new URL('../../../docs/audit.md', import.meta.url));
const CLI = fileURLToPath(new URL('./cli.js', import.meta.url));

async function vectorBlocks(): Promise<Map<string, string>> {
  const text = await readFile(DOC, 'utf8');
  const blocks = new Map<string, string>();
  for (const match of text.matchAll(/^```[a-z]+ test-vector:([a-z-]+)\n([\s\S]*?)\n```$/gm)) blocks.set(match[1]!, match[2]!);
  return blocks;
}

/** RFC 8785 for the JSON this vector holds: sorted members (UTF-16 order), ECMAScript number and string forms. */
const jcs = (value: unknown): string =>
  value === null || typeof value !== 'object'
    ? JSON.stringify(value)
    : Array.isArray(value)
      ? `[${value.map(jcs).join(',')}]`
      : `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${jcs((value as Record<string, unknown>)[k])}`)
          .join(',')}}`;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('docs/audit.md: the test vector, recomputed from the document', () => {
  let v: Map<string, string>;
  let header: Record<string, unknown>;
  let lines: Record<string, unknown>[];
  let dir: string;
  const block = (name: string) => {
    const text = v.get(name);
    assert.ok(text !== undefined, `docs/audit.md has no test-vector:${name} block`);
    return text;
  };
  const event = (line: Record<string, unknown>): ChainedEvent => {
    const { hash: _hash, ...rest } = line;
    return { ...(rest as Omit<ChainedEvent, 'organizationId'>), organizationId: header.organizationId as string };
  };

  before(async () => {
    v = await vectorBlocks();
    const parsed = block('export').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    header = parsed[0]!;
    lines = parsed.slice(1);
    dir = await mkdtemp(join(tmpdir(), 'aim-audit-spec-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has every part of the vector', () => {
    for (const name of ['export', 'canonical', 'hashes', 'checkpoint-message', 'checkpoints', 'keys', 'fingerprint', 'private-key']) block(name);
    assert.equal(lines.length, 3);
  });

  it('canonical form: exactly the 12 members, organizationId from the header, in RFC 8785 form', () => {
    const canonical = block('canonical').split('\n');
    assert.equal(canonical.length, lines.length);
    lines.forEach((line, i) => {
      const e = event(line);
      assert.deepEqual(Object.keys(e).sort(), [
        'action', 'actor', 'clientIp', 'details', 'id', 'occurredAt', 'organizationId', 'outcome', 'requestId', 'seq', 'target', 'userAgent',
      ]);
      assert.equal(jcs(e), canonical[i], `event ${i + 1}: the document's canonical text`);
      assert.equal(canonicalEvent(e), canonical[i], `event ${i + 1}: the writer's canonical form`);
      assert.equal(canonicalEventReference(e), canonical[i]);
    });
  });

  it('hashes: SHA-256 over the 32 raw bytes of the previous hash, then the UTF-8 canonical JSON, from 32 zero bytes', () => {
    const canonical = block('canonical').split('\n');
    const hashes = block('hashes').split('\n');
    assert.equal(header.previousHash, '0'.repeat(64));
    let previous = Buffer.from(header.previousHash as string, 'hex');
    canonical.forEach((text, i) => {
      previous = createHash('sha256').update(Buffer.concat([previous, Buffer.from(text, 'utf8')])).digest();
      assert.equal(previous.toString('hex'), hashes[i]);
      assert.equal(lines[i]!.hash, hashes[i], 'the export carries the same hash');
    });
  });

  it('checkpoint: the signed message, a deterministic Ed25519 signature, and the key fingerprint', () => {
    const [checkpoint] = (JSON.parse(block('checkpoints')) as { checkpoints: Checkpoint[] }).checkpoints;
    assert.ok(checkpoint);
    const message = block('checkpoint-message');
    const payload = { organizationId: checkpoint.organizationId, seq: checkpoint.seq, hash: checkpoint.hash, signedAt: checkpoint.signedAt };
    assert.equal(jcs(payload), message);
    assert.equal(checkpointMessage(payload).toString('utf8'), message);
    assert.equal(checkpoint.hash, block('hashes').split('\n')[2]);

    const privateJwk = JSON.parse(block('private-key')) as Record<string, string>;
    const privateKey = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
    assert.equal(sign(null, Buffer.from(message, 'utf8'), privateKey).toString('base64url'), checkpoint.signature);
    const [jwk] = (JSON.parse(block('keys')) as { keys: Record<string, string>[] }).keys;
    assert.ok(jwk);
    assert.equal(jwk.x, privateJwk.x);
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } as never, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(message, 'utf8'), publicKey, Buffer.from(checkpoint.signature, 'base64url')));

    const fingerprint = block('fingerprint');
    assert.equal(createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${jwk.x}"}`, 'utf8').digest('base64url'), fingerprint);
    assert.equal(keyFingerprint(jwk), fingerprint);
    assert.equal(keyFingerprint({ ...jwk, kid: 'another-name', alg: 'EdDSA', use: 'sig' }), fingerprint, 'kid, alg and use are not part of it');
  });

  describe('aim-audit-verify on the vector', () => {
    const files = { export: '', checkpoints: '', keys: '' };
    before(async () => {
      files.export = join(dir, 'export.ndjson');
      files.checkpoints = join(dir, 'checkpoints.json');
      files.keys = join(dir, 'aim-audit-keys.json');
      await writeFile(files.export, `${block('export')}\n`);
      await writeFile(files.checkpoints, block('checkpoints'));
      await writeFile(files.keys, block('keys'));
    });
    const withCheckpoints = (exportFile = files.export, checkpoints = files.checkpoints, keys = files.keys) => [exportFile, '--checkpoints', checkpoints, '--keys', keys];

    it('verifies it, pinned to the documented fingerprint', async () => {
      const result = await run([...withCheckpoints(), '--pin', block('fingerprint')]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /^intact: 3 events of org_01JF8Q0TESTVECT0R000000000, seq 1–3, last hash b1a14213.*1 signed checkpoints \(pinned keys\)/);
      const unpinned = await run([...withCheckpoints(), '--unpinned']);
      assert.equal(unpinned.code, 0);
      assert.match(unpinned.stdout, /keys NOT pinned/);
      const neither = await run(withCheckpoints());
      assert.equal(neither.code, 2, 'without pins the verifier refuses unless told --unpinned');
      assert.match(neither.stderr, /checkpoint keys must be pinned/);
    });

    it('refuses the checkpoint under any other pin, and a key the file lists but nobody pinned', async () => {
      const other = keyFingerprint(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as Record<string, unknown>);
      const refused = await run([...withCheckpoints(), `--pin=${other}`]);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stdout, /BROKEN at seq 3: checkpoint 3: signed by key audit-checkpoint-testvector \(fingerprint kPrK_qmx[^)]*\), which is not pinned/);

      // Someone who controls the server rewrites the chain and signs a checkpoint with a key of their own,
      // which they add to the key file. Unpinned, that passes; pinned, it does not.
      const attacker = generateKeyPairSync('ed25519');
      const lastLine = { ...lines[2]!, details: { amount: 1 } };
      const rewrittenHash = createHash('sha256')
        .update(Buffer.from(lines[1]!.hash as string, 'hex'))
        .update(canonicalEvent(event(lastLine)), 'utf8')
        .digest('hex');
      const rewritten = join(dir, 'rewritten.ndjson');
      const exportLines = block('export').split('\n');
      await writeFile(rewritten, `${[...exportLines.slice(0, 3), JSON.stringify({ ...lastLine, hash: rewrittenHash })].join('\n')}\n`);
      const payload = { organizationId: header.organizationId as string, seq: 3, hash: rewrittenHash, signedAt: '2026-11-27T11:00:00.000000Z' };
      const forged = { ...payload, kid: 'audit-checkpoint-forged', signature: sign(null, checkpointMessage(payload), attacker.privateKey).toString('base64url') };
      const forgedCheckpoints = join(dir, 'forged-checkpoints.json');
      const forgedKeys = join(dir, 'forged-keys.json');
      await writeFile(forgedCheckpoints, JSON.stringify({ checkpoints: [forged] }));
      const keyFile = JSON.parse(block('keys')) as { keys: Record<string, unknown>[] };
      await writeFile(forgedKeys, JSON.stringify({ keys: [...keyFile.keys, { ...attacker.publicKey.export({ format: 'jwk' }), kid: 'audit-checkpoint-forged' }] }));
      assert.equal((await run([...withCheckpoints(rewritten, forgedCheckpoints, forgedKeys), '--unpinned'])).code, 0, 'unpinned, the forged checkpoint is accepted');
      const pinned = await run([...withCheckpoints(rewritten, forgedCheckpoints, forgedKeys), '--pin', block('fingerprint')]);
      assert.equal(pinned.code, 1);
      assert.match(pinned.stdout, /checkpoint 3: signed by key audit-checkpoint-forged .*not pinned/);
    });

    it('fails at the altered event, and on a cut tail', async () => {
      const exportLines = block('export').split('\n');
      const altered = join(dir, 'altered.ndjson');
      await writeFile(altered, `${exportLines.join('\n').replace('"amount":120.5', '"amount":121.5')}\n`);
      const broken = await run([altered]);
      assert.equal(broken.code, 1);
      assert.match(broken.stdout, /^BROKEN at seq 3: event 3 does not match its hash/);
      const cut = join(dir, 'cut.ndjson');
      await writeFile(cut, `${exportLines.slice(0, 3).join('\n')}\n`);
      const tail = await run([cut]);
      assert.equal(tail.code, 1);
      assert.match(tail.stdout, /BROKEN at seq 3: events 3–3 are missing from the end/);
    });

    it('refuses a line that carries what the hash does not cover, or lacks a member', async () => {
      // The hash covers exactly §1's members: anything added beside them could say anything and still "verify".
      const exportLines = block('export').split('\n');
      const changed = async (index: number, change: (line: Record<string, unknown>) => Record<string, unknown>) => {
        const file = join(dir, `uncovered-${index}.ndjson`);
        const copy = [...exportLines];
        copy[index] = JSON.stringify(change(JSON.parse(copy[index]!) as Record<string, unknown>));
        await writeFile(file, `${copy.join('\n')}\n`);
        return run([file]);
      };
      const added = await changed(2, (l) => ({ ...l, approvedBy: 'the CFO' }));
      assert.equal(added.code, 1, added.stdout);
      assert.match(added.stdout, /^BROKEN at seq 2: the line of event 2 carries member\(s\) the hash does not cover: approvedBy/);
      const inActor = await changed(1, (l) => ({ ...l, actor: { ...(l.actor as object), name: 'Someone Else' } }));
      assert.equal(inActor.code, 1, inActor.stdout);
      assert.match(inActor.stdout, /^BROKEN at seq 1: the line of event 1 has an actor that is not exactly/);
      const lacking = await changed(2, ({ requestId: _dropped, ...l }) => l);
      assert.equal(lacking.code, 1, lacking.stdout);
      assert.match(lacking.stdout, /^BROKEN at seq 2: the line of event 2 lacks member\(s\) requestId/);
      // An earlier break is still the one reported.
      const file = join(dir, 'both.ndjson');
      const both = [...exportLines];
      both[1] = both[1]!.replace('Acme Café', 'Acme Cafe');
      both[2] = JSON.stringify({ ...(JSON.parse(both[2]!) as object), approvedBy: 'the CFO' });
      await writeFile(file, `${both.join('\n')}\n`);
      const first = await run([file]);
      assert.match(first.stdout, /^BROKEN at seq 1: event 1 does not match its hash/);
    });

    it('reads only a version 1 export with a well-formed header (exit code 2 otherwise)', async () => {
      const exportLines = block('export').split('\n');
      for (const [i, change] of [
        { version: 2 },
        { organizationId: null },
        { fromSeq: '1' },
        { toSeq: null },
      ].entries()) {
        const file = join(dir, `header-${i}.ndjson`);
        await writeFile(file, `${[JSON.stringify({ ...header, ...change }), ...exportLines.slice(1)].join('\n')}\n`);
        const refused = await run([file]);
        assert.equal(refused.code, 2, `${JSON.stringify(change)}: ${refused.stdout}${refused.stderr}`);
      }
    });

    it('checks the hash an export starts from against a kept checkpoint at that position', async () => {
      // An export of events 2–3 starts from hash(1). A checkpoint at 1 confirms it, or catches a substitute.
      const privateKey = createPrivateKey({ key: JSON.parse(block('private-key')) as never, format: 'jwk' });
      const at1 = { organizationId: header.organizationId as string, seq: 1, hash: lines[0]!.hash as string, signedAt: '2026-11-27T10:00:00.500000Z' };
      const checkpoints = join(dir, 'checkpoint-1.json');
      await writeFile(checkpoints, JSON.stringify({ checkpoints: [{ ...at1, kid: 'audit-checkpoint-testvector', signature: sign(null, checkpointMessage(at1), privateKey).toString('base64url') }] }));
      const exportLines = block('export').split('\n');
      const partial = join(dir, 'from-2.ndjson');
      await writeFile(partial, `${[JSON.stringify({ ...header, fromSeq: 2, previousHash: lines[0]!.hash }), ...exportLines.slice(2)].join('\n')}\n`);
      const ok = await run([...withCheckpoints(partial, checkpoints), '--pin', block('fingerprint')]);
      assert.equal(ok.code, 0, ok.stdout);

      // The same events re-chained from another starting hash verify by themselves; the checkpoint at 1 does not agree.
      let previous = Buffer.alloc(32, 7);
      const substituted = [JSON.stringify({ ...header, fromSeq: 2, previousHash: previous.toString('hex') })];
      for (const line of lines.slice(1)) {
        previous = createHash('sha256').update(previous).update(canonicalEvent(event(line)), 'utf8').digest();
        substituted.push(JSON.stringify({ ...line, hash: previous.toString('hex') }));
      }
      const forged = join(dir, 'substituted.ndjson');
      await writeFile(forged, `${substituted.join('\n')}\n`);
      assert.equal((await run([forged])).code, 0, 'by itself it is consistent');
      const caught = await run([...withCheckpoints(forged, checkpoints), '--pin', block('fingerprint')]);
      assert.equal(caught.code, 1);
      assert.match(caught.stdout, /BROKEN at seq 1: checkpoint 1: the chain has another hash here/);
    });

    it('with pins, refuses an export that no checkpoint of its organization covers', async () => {
      // Only a checkpoint of another organization: the events are consistent, but nothing outside the export vouches for them.
      const [checkpoint] = (JSON.parse(block('checkpoints')) as { checkpoints: Checkpoint[] }).checkpoints;
      const elsewhere = join(dir, 'checkpoints-elsewhere.json');
      await writeFile(elsewhere, JSON.stringify({ checkpoints: [{ ...checkpoint, organizationId: 'org_01JF8Q0TESTVECT0R000000001' }] }));
      const pinned = await run([...withCheckpoints(files.export, elsewhere), '--pin', block('fingerprint')]);
      assert.equal(pinned.code, 1, pinned.stdout);
      assert.match(pinned.stdout, /^NOT ANCHORED: the 3 events of org_01JF8Q0TESTVECT0R000000000 are consistent, but no checkpoint/);
      const json = await run([...withCheckpoints(files.export, elsewhere), '--pin', block('fingerprint'), '--json']);
      assert.equal(json.code, 1);
      assert.equal(JSON.parse(json.stdout).status, 'unanchored');
      const unpinned = await run([...withCheckpoints(files.export, elsewhere), '--unpinned']);
      assert.equal(unpinned.code, 0, 'without pins, consistency alone is reported as intact');
      assert.match(unpinned.stdout, /0 signed checkpoints/);
    });

    it('verifies with the witness, which catches a tail cut by itself, a replaced checkpoint and a key it never saw', async () => {
      const witness = join(dir, 'witness.ndjson');
      await writeFile(witness, `${block('witness')}\n`);
      const records = block('witness').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(records[0]!.fingerprint, block('fingerprint'));
      assert.equal(keyFingerprint(records[0]!.jwk as Record<string, unknown>), block('fingerprint'));
      const ok = await run([...withCheckpoints(), '--witness', witness, '--pin', block('fingerprint')]);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /\nwitness: 1 checkpoint\(s\) of this organization agree with the export, 1 key\(s\) published\n/);
      // A record published twice (a retry, two instances) counts once.
      const twice = join(dir, 'witness-twice.ndjson');
      const [keyLine, checkpointLine] = block('witness').split('\n');
      await writeFile(twice, `${[keyLine, keyLine, checkpointLine, checkpointLine].join('\n')}\n`);
      const again = await run([...withCheckpoints(), '--witness', twice, '--pin', block('fingerprint')]);
      assert.equal(again.code, 0, again.stdout + again.stderr);

      // Cut to two events, header included: consistent by itself, not against the witness.
      const exportLines = block('export').split('\n');
      const cut = join(dir, 'cut-consistent.ndjson');
      await writeFile(cut, `${[JSON.stringify({ ...header, toSeq: 2 }), ...exportLines.slice(1, 3)].join('\n')}\n`);
      assert.equal((await run([cut])).code, 0);
      const caught = await run([cut, '--witness', witness, '--pin', block('fingerprint')]);
      assert.equal(caught.code, 1, caught.stdout + caught.stderr);
      assert.match(caught.stdout, /^BROKEN at seq 3: the witness's checkpoint 3: the chain ends at 2, before this checkpoint: events are missing from the end/);
      // A checkpoint signed after the export was made says nothing about its tail.
      const later = join(dir, 'cut-later.ndjson');
      await writeFile(later, `${[JSON.stringify({ ...header, toSeq: 2, exportedAt: '2026-11-27T10:14:00.000Z' }), ...exportLines.slice(1, 3)].join('\n')}\n`);
      const notEvidence = await run([later, '--witness', witness, '--pin', block('fingerprint'), '--json']);
      assert.equal(notEvidence.code, 1, 'pinned, with no checkpoint covering it, it is not anchored');
      assert.equal(JSON.parse(notEvidence.stdout).status, 'unanchored');
      assert.equal(JSON.parse(notEvidence.stdout).checkpointsAfterExport, 1);

      // A checkpoint replaced by another signature at the same position, and a key the witness never saw.
      const attacker = generateKeyPairSync('ed25519');
      const [original] = (JSON.parse(block('checkpoints')) as { checkpoints: Checkpoint[] }).checkpoints;
      const payload = { organizationId: original!.organizationId, seq: 3, hash: original!.hash, signedAt: '2026-11-27T10:16:00.000000Z' };
      const replaced = { ...payload, kid: 'audit-checkpoint-other', signature: sign(null, checkpointMessage(payload), attacker.privateKey).toString('base64url') };
      const replacedFile = join(dir, 'replaced-checkpoints.json');
      const replacedKeys = join(dir, 'replaced-keys.json');
      await writeFile(replacedFile, JSON.stringify({ checkpoints: [replaced] }));
      await writeFile(replacedKeys, JSON.stringify({ keys: [{ ...attacker.publicKey.export({ format: 'jwk' }), kid: 'audit-checkpoint-other' }] }));
      assert.equal((await run([...withCheckpoints(files.export, replacedFile, replacedKeys), '--unpinned'])).code, 0, 'without the witness it passes');
      const named = await run([...withCheckpoints(files.export, replacedFile, replacedKeys), '--witness', witness, '--unpinned', '--json']);
      assert.equal(named.code, 1);
      assert.match(JSON.parse(named.stdout).reason, /the key file lists key audit-checkpoint-other \(fingerprint [^)]+\), which the witness never published/);
      // Same key, another signature at the same position: the witness holds a different one.
      const privateKey = createPrivateKey({ key: JSON.parse(block('private-key')) as never, format: 'jwk' });
      const resigned = { ...payload, kid: 'audit-checkpoint-testvector', signature: sign(null, checkpointMessage(payload), privateKey).toString('base64url') };
      const resignedFile = join(dir, 'resigned-checkpoints.json');
      await writeFile(resignedFile, JSON.stringify({ checkpoints: [resigned] }));
      const differs = await run([...withCheckpoints(files.export, resignedFile), '--witness', witness, '--pin', block('fingerprint')]);
      assert.equal(differs.code, 1, differs.stdout);
      assert.match(differs.stdout, /^BROKEN at seq 3: checkpoint 3 differs from the one the witness holds at that position/);
    });

    it('refuses checkpoints without pins unless told --unpinned, and contradictory or incomplete options', async () => {
      for (const args of [withCheckpoints(), [files.export, '--witness', files.checkpoints], [...withCheckpoints(), '--unpinned', '--pin', block('fingerprint')], [files.export, '--tsa-ca', files.keys, '--unpinned']]) {
        const refused = await run(args);
        assert.equal(refused.code, 2, `${args.join(' ')}: ${refused.stdout}`);
      }
    });

    it('prints the fingerprints of a key file, to compare with the pinned ones', async () => {
      const printed = await run(['--fingerprints', files.keys]);
      assert.equal(printed.code, 0, printed.stderr);
      assert.equal(printed.stdout, `${block('fingerprint')}  audit-checkpoint-testvector  Ed25519\n`);
    });

    it('refuses to run with a malformed pin, or pins without checkpoints', async () => {
      const bad = await run([...withCheckpoints(), '--pin', 'not-a-fingerprint']);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /is not a key fingerprint/);
      const alone = await run([files.export, '--pin', block('fingerprint')]);
      assert.equal(alone.code, 2);
      assert.match(alone.stderr, /--pin needs --checkpoints and --keys/);
    });
  });
});
