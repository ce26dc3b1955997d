import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { discoverMcpServers, mcpConfigCandidates, type McpDiscoveryOptions } from './config-discovery.js';
import { parseJsonc } from './jsonc.js';

const SECRET = 'ghp_secret_value_that_must_never_leave';

describe('MCP client configuration discovery', () => {
  let home: string;
  let project: string;
  let options: McpDiscoveryOptions;

  beforeEach(async () => {
    const root = await mkdtemp(join(tmpdir(), 'aim-sdk-mcp-config-'));
    home = join(root, 'home');
    project = join(root, 'project');
    options = { homeDir: home, projectDir: project };
  });
  afterEach(async () => {
    await rm(dirname(home), { recursive: true, force: true });
  });

  async function write(path: string, content: unknown): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  }
  const stdio = { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_TOKEN: SECRET } };

  it('reads Claude Desktop on macOS, Windows and Linux', async () => {
    await write(join(home, 'Library/Application Support/Claude/claude_desktop_config.json'), { mcpServers: { mac: stdio } });
    await write(join(home, 'AppData/Roaming/Claude/claude_desktop_config.json'), { mcpServers: { win: { command: 'node', args: ['server.js'] } } });
    await write(join(home, '.config/Claude/claude_desktop_config.json'), { mcpServers: { linux: { url: 'https://linux.example.com/mcp' } } });
    const { servers, warnings } = await discoverMcpServers(options);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      servers.map((s) => [s.client, s.name, s.descriptor]),
      [
        ['claude_desktop', 'mac', { transport: 'stdio', name: 'mac', command: 'npx -y @modelcontextprotocol/server-github' }],
        ['claude_desktop', 'win', { transport: 'stdio', name: 'win', command: 'node server.js' }],
        ['claude_desktop', 'linux', { transport: 'streamable_http', name: 'linux', url: 'https://linux.example.com/mcp' }],
      ],
    );
  });

  it('reads Claude Code: ~/.claude.json at the top and per project, and the project .mcp.json', async () => {
    await write(join(home, '.claude.json'), {
      numStartups: 3,
      mcpServers: { user: { type: 'http', url: 'https://user.example.com/mcp' } },
      projects: { '/work/app': { mcpServers: { per_project: { type: 'sse', url: 'https://sse.example.com/sse' } } }, '/work/other': { allowedTools: [] } },
    });
    await write(join(project, '.mcp.json'), { mcpServers: { shared: { type: 'stdio', command: 'uvx', args: ['mcp-server-git'] } } });
    const { servers } = await discoverMcpServers(options);
    assert.deepEqual(
      servers.map((s) => [s.client, s.name, s.scope, s.launch.transport, s.descriptor]),
      [
        ['claude_code', 'user', undefined, 'streamable_http', { transport: 'streamable_http', name: 'user', url: 'https://user.example.com/mcp' }],
        ['claude_code', 'per_project', 'projects["/work/app"]', 'sse', { transport: 'streamable_http', name: 'per_project', url: 'https://sse.example.com/sse' }],
        ['claude_code', 'shared', undefined, 'stdio', { transport: 'stdio', name: 'shared', command: 'uvx mcp-server-git' }],
      ],
    );
    assert.equal(servers[2]!.source, join(project, '.mcp.json'));
  });

  it('reads Cursor (user and project), Windsurf (serverUrl) and VS Code (servers, and mcp.servers in JSONC settings)', async () => {
    await write(join(home, '.cursor/mcp.json'), { mcpServers: { cursor_user: { url: 'https://cursor.example.com/mcp', headers: { Authorization: `Bearer ${SECRET}` } } } });
    await write(join(project, '.cursor/mcp.json'), { mcpServers: { cursor_project: { command: 'node', args: ['p.js'] } } });
    await write(join(home, '.codeium/windsurf/mcp_config.json'), { mcpServers: { windsurf: { serverUrl: 'https://windsurf.example.com/mcp' }, off: { command: 'x', disabled: true } } });
    await write(join(project, '.vscode/mcp.json'), {
      inputs: [{ type: 'promptString', id: 'token', password: true }],
      servers: { vscode_project: { type: 'stdio', command: 'docker', args: ['run', '-i', 'mcp/fetch'], env: { TOKEN: '${input:token}' } } },
    });
    await write(
      join(home, '.config/Code/User/settings.json'),
      `{
  // editor settings
  "editor.fontSize": 14,
  "mcp": {
    "servers": {
      /* a remote one */
      "vscode_settings": { "type": "http", "url": "https://vscode.example.com/mcp", },
    },
  },
}`,
    );
    const { servers, warnings } = await discoverMcpServers(options);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      servers.map((s) => [s.client, s.name, s.disabled]),
      [
        ['cursor', 'cursor_user', false],
        ['cursor', 'cursor_project', false],
        ['vscode', 'vscode_settings', false],
        ['vscode', 'vscode_project', false],
        ['windsurf', 'windsurf', false],
        ['windsurf', 'off', true],
      ],
    );
    assert.equal(servers.find((s) => s.name === 'vscode_settings')!.scope, 'mcp');
    assert.deepEqual(servers.find((s) => s.name === 'windsurf')!.descriptor, { transport: 'streamable_http', name: 'windsurf', url: 'https://windsurf.example.com/mcp' });
  });

  it('keeps environment values and headers for connecting, and out of the descriptor, JSON and inspection', async () => {
    await write(join(home, '.cursor/mcp.json'), {
      mcpServers: {
        github: stdio,
        remote: { url: `https://me:${SECRET}@remote.example.com/mcp`, headers: { Authorization: `Bearer ${SECRET}` } },
        db: { command: 'mcp-postgres', args: [`postgres://app:${SECRET}@db.internal/app`] },
      },
    });
    const { servers } = await discoverMcpServers(options);
    const [github, remote, db] = servers;
    assert.deepEqual(github!.launch, { transport: 'stdio', command: 'npx', args: stdio.args, env: { GITHUB_TOKEN: SECRET } });
    assert.deepEqual(remote!.launch, { transport: 'streamable_http', url: `https://me:${SECRET}@remote.example.com/mcp`, headers: { Authorization: `Bearer ${SECRET}` } });
    assert.deepEqual(github!.secretNames, ['GITHUB_TOKEN']);
    assert.deepEqual(remote!.secretNames, ['Authorization']);
    assert.deepEqual(remote!.descriptor, { transport: 'streamable_http', name: 'remote', url: 'https://remote.example.com/mcp' });
    assert.deepEqual(db!.descriptor, { transport: 'stdio', name: 'db', command: 'mcp-postgres postgres://app:***@db.internal/app' });
    const shown = JSON.stringify(servers) + inspect(servers, { depth: 10 });
    assert.ok(!shown.includes(SECRET), shown);
    assert.match(shown, /GITHUB_TOKEN/, 'the names are shown');
  });

  it('reports what it cannot use, and goes on with the rest', async () => {
    const broken = await write(join(home, '.cursor/mcp.json'), '{ "mcpServers": { "a": ');
    await write(join(project, '.cursor/mcp.json'), {
      mcpServers: {
        ok: { command: 'node' },
        no_launch: { env: {} },
        bad_args: { command: 'node', args: 'server.js' },
        ftp: { url: 'ftp://files.example.com' },
        ws: { type: 'websocket', url: 'wss://x.example.com' },
        scalar: 3,
      },
    });
    await write(join(project, '.mcp.json'), { mcpServers: [] });
    const { servers, warnings, filesRead } = await discoverMcpServers(options);
    assert.deepEqual(servers.map((s) => s.name), ['ok']);
    assert.deepEqual(filesRead.sort(), [broken, join(project, '.cursor/mcp.json'), join(project, '.mcp.json')].sort());
    const messages = warnings.map((w) => `${w.source === broken ? 'broken' : 'file'}: ${w.message}`);
    assert.ok(messages.some((m) => m.startsWith('broken: is not JSON')), messages.join('\n'));
    for (const expected of [
      'server "no_launch" has neither a command nor a url',
      'server "bad_args": args must be an array of strings',
      'server "ftp": url must be an http(s) URL',
      'server "ws": transport "websocket" is not supported',
      'server "scalar" is not an object',
      'the server list is not an object',
    ]) {
      assert.ok(messages.includes(`file: ${expected}`), `${expected}\n${messages.join('\n')}`);
    }
  });

  it('reads explicit paths in any format, and only them with defaultPaths: false', async () => {
    await write(join(home, '.cursor/mcp.json'), { mcpServers: { ignored: { command: 'node' } } });
    const a = await write(join(home, 'elsewhere/a.json'), { servers: { a: { command: 'a' } } });
    const b = await write(join(home, 'elsewhere/b.jsonc'), '{ "mcp": { "servers": { "b": { "url": "http://127.0.0.1:9/mcp" } } } // done\n}');
    const { servers } = await discoverMcpServers({ ...options, configPaths: [a, b], defaultPaths: false });
    assert.deepEqual(servers.map((s) => [s.client, s.name, s.source]), [['file', 'a', a], ['file', 'b', b]]);
    assert.deepEqual(mcpConfigCandidates({ ...options, configPaths: [a], defaultPaths: false }), [{ client: 'file', path: a }]);
  });

  it('looks only under the given folders when homeDir is given', () => {
    const paths = mcpConfigCandidates(options).map((c) => c.path);
    assert.ok(paths.length >= 15);
    for (const path of paths) assert.ok(path.startsWith(home) || path.startsWith(project), path);
  });
});

describe('JSONC', () => {
  it('drops comments and trailing commas outside strings, and keeps strings as written', () => {
    assert.deepEqual(parseJsonc('\uFEFF{ "a": "x // not a comment, ]", /* c */ "b": [1, 2,], // end\n "c": "/* kept */", }'), {
      a: 'x // not a comment, ]',
      b: [1, 2],
      c: '/* kept */',
    });
    assert.deepEqual(parseJsonc('{"escaped": "a \\" // b",}'), { escaped: 'a " // b' });
    assert.throws(() => parseJsonc('{ a: 1 }'), SyntaxError);
  });
});
