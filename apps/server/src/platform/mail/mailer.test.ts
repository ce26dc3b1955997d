import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createMailer, withTimeouts } from './mailer.js';

it('writes mail to the log without SMTP_URL: recipient, subject and text part, not the HTML', async () => {
  const logged: { fields: Record<string, unknown>; message: string }[] = [];
  const mailer = createMailer({ smtpUrl: undefined, from: 'AIM <aim@localhost>', logger: { info: ((fields: Record<string, unknown>, message: string) => void logged.push({ fields, message })) as never } });
  assert.equal(mailer.kind, 'log');
  await mailer.send({ to: 'ada@example.com', subject: 'Hello', text: 'Open http://localhost/x', html: '<p>Open <a href="http://localhost/x">this</a></p>', preferencesUrl: 'http://localhost/account/' });
  assert.equal(logged.length, 1);
  assert.deepEqual(logged[0]!.fields, { mail: { to: 'ada@example.com', subject: 'Hello', text: 'Open http://localhost/x' } });
});

it('bounds the SMTP timeouts unless the URL names its own, and keeps the rest of the URL', () => {
  const url = new URL(withTimeouts('smtps://user:p%40ss@smtp.example.com:465?socketTimeout=5000'));
  assert.equal(url.searchParams.get('socketTimeout'), '5000');
  assert.equal(url.searchParams.get('connectionTimeout'), '10000');
  assert.equal(url.searchParams.get('greetingTimeout'), '10000');
  assert.equal(url.password, 'p%40ss');
  assert.equal(url.host, 'smtp.example.com:465');
});
