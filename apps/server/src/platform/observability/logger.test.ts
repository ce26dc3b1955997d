import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LogCapture } from '../../testing/test-app.js';
import { createLogger, redactUrl } from './logger.js';

describe('logger', () => {
  it('redacts credentials wherever they appear', async () => {
    const capture = new LogCapture();
    const logger = createLogger('info', capture);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer tok_1', cookie: 'sid=cookie_1', 'x-api-key': 'aim_key_1', accept: 'json' } },
        token: 'tok_2',
        user: { password: 'pw_1', name: 'Ada' },
        connectionString: 'postgres://u:pw_2@h/db',
      },
      'something happened',
    );
    logger.flush();
    await new Promise((r) => setImmediate(r));
    const line = capture.raw.join('\n');
    for (const secret of ['tok_1', 'cookie_1', 'aim_key_1', 'tok_2', 'pw_1', 'pw_2']) {
      assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
    }
    assert.ok(line.includes('Ada'));
    assert.ok(line.includes('"accept":"json"'));
  });

  it('strips passwords from connection strings it prints', () => {
    assert.equal(redactUrl('postgres://aim:s3cret@db:5432/aim'), 'postgres://aim:***@db:5432/aim');
    assert.ok(!redactUrl('redis://:hunter2@cache:6379').includes('hunter2'));
  });
});
