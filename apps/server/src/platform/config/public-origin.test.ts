import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './env.js';
import { createPublicOrigin, publicUrlProblem, publicUrlWarnings } from './public-origin.js';

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
};

describe('AIM’s public origin', () => {
  it('is http://localhost:<PORT> by default, and takes the port the server binds', () => {
    const origin = createPublicOrigin(loadConfig({ PORT: '0' }));
    assert.equal(origin.configured, false);
    origin.bindPort(41234);
    assert.deepEqual(
      { origin: origin.origin, baseUrl: origin.baseUrl, hostname: origin.hostname, host: origin.host, https: origin.https },
      { origin: 'http://localhost:41234', baseUrl: 'http://localhost:41234', hostname: 'localhost', host: 'localhost:41234', https: false },
    );
    assert.equal(createPublicOrigin(loadConfig({})).baseUrl, 'http://localhost:8080');
  });

  it('is PUBLIC_URL when set, whatever port the server binds', () => {
    const origin = createPublicOrigin(loadConfig({ PUBLIC_URL: 'https://AIM.example.com:443/' }));
    origin.bindPort(41234);
    assert.deepEqual(
      { origin: origin.origin, baseUrl: origin.baseUrl, hostname: origin.hostname, host: origin.host, https: origin.https, configured: origin.configured },
      { origin: 'https://aim.example.com', baseUrl: 'https://aim.example.com', hostname: 'aim.example.com', host: 'aim.example.com', https: true, configured: true },
    );
  });

  it('tells its own host from another one, as a Host header names it', () => {
    const origin = createPublicOrigin(loadConfig({ PORT: '8080' }));
    for (const host of ['localhost:8080', 'LOCALHOST:8080']) assert.equal(origin.isPublicHost(host), true, host);
    for (const host of ['127.0.0.1:8080', 'localhost:8081', 'localhost', '[::1]:8080', 'evil.example', 'localhost:8080@evil.example', '', undefined]) {
      assert.equal(origin.isPublicHost(host), false, String(host));
    }
    const https = createPublicOrigin(loadConfig({ PUBLIC_URL: 'https://aim.example.com' }));
    assert.equal(https.isPublicHost('aim.example.com:443'), true, 'the default port may be named');
    assert.equal(https.isPublicHost('aim.example.com:8443'), false);
  });
});

describe('PUBLIC_URL checks', () => {
  it('stops start-up on an address passkeys or the dashboard cannot work at, saying what to set', () => {
    assert.match(problemsOf({ PUBLIC_URL: 'http://127.0.0.1:8080' }).join('\n'), /PUBLIC_URL: 127\.0\.0\.1 is an IP address.*passkeys.*http:\/\/localhost:<PORT>/);
    assert.match(problemsOf({ PUBLIC_URL: 'https://[::1]:8443' }).join('\n'), /is an IP address/);
    assert.match(problemsOf({ PUBLIC_URL: 'https://aim.example.com/?x=1' }).join('\n'), /must not carry a query or a fragment; set it to https:\/\/aim\.example\.com$/);
    assert.match(problemsOf({ PUBLIC_URL: 'https://aim.example.com/#top' }).join('\n'), /query or a fragment/);
    assert.match(problemsOf({ PUBLIC_URL: 'https://user:pw@aim.example.com' }).join('\n'), /user name or password/);
    assert.match(problemsOf({ PUBLIC_URL: 'ftp://aim.example.com' }).join('\n'), /must start with https:\/\//);
    assert.match(
      problemsOf({ PUBLIC_URL: 'https://aim.example.com/identity' }).join('\n'),
      /served at the root of a host, not under \/identity: set PUBLIC_URL to https:\/\/aim\.example\.com .*SERVE_DASHBOARD=false/,
    );
  });

  it('accepts origins passkeys work at, and a path prefix for an API without the dashboard', () => {
    for (const url of ['https://aim.example.com', 'https://aim.example.com/', 'http://localhost:8080', 'http://aim.localhost:3000', 'http://aim.internal:8080']) {
      assert.deepEqual(problemsOf({ PUBLIC_URL: url }), [], url);
    }
    assert.deepEqual(problemsOf({ PUBLIC_URL: 'https://aim.example.com/identity', SERVE_DASHBOARD: 'false' }), []);
    assert.equal(publicUrlProblem('https://aim.example.com/identity', false), undefined);
  });

  it('warns, without stopping, where people could not use passkeys or cookies would travel in clear', () => {
    assert.deepEqual(publicUrlWarnings({ publicUrl: 'https://aim.example.com', host: '0.0.0.0' }), []);
    assert.deepEqual(publicUrlWarnings({ publicUrl: 'http://localhost:8080', host: '127.0.0.1' }), []);
    assert.deepEqual(publicUrlWarnings({ publicUrl: undefined, host: '127.0.0.1' }), []);
    assert.match(publicUrlWarnings({ publicUrl: 'http://aim.internal:8080', host: '0.0.0.0' }).join(), /plain http on aim\.internal.*https/);
    assert.match(publicUrlWarnings({ publicUrl: undefined, host: '0.0.0.0' }).join(), /without PUBLIC_URL.*Set PUBLIC_URL/);
  });
});
