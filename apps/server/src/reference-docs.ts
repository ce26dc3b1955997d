import { ERROR_CODES, PERMISSIONS, ROLES } from '@aim/contracts';
import { PERMISSION_TABLE } from '@aim/contracts';

/** Reference documents generated from code: `npm run docs` writes them, tests compare them. */
export const ERRORS_DOC_PATH = new URL('../../../docs/errors.md', import.meta.url);

export function errorsMarkdown(): string {
  const rows = Object.entries(ERROR_CODES).map(([code, v]) => `| \`${code}\` | ${v.status} | ${v.description.replaceAll('|', '\\|')} |`);
  return `# Error codes

Every failed request answers with one envelope:

\`\`\`json
{ "error": { "code": "validation_failed", "message": "The request is invalid. body.name: Too small: expected string to have >=3 characters.", "requestId": "6f1c…" } }
\`\`\`

- \`code\` is stable: clients branch on it. A code is never renamed or reused; new codes may be added.
- \`message\` is for a person: it says what was wrong and what to do. Do not parse it.
- \`requestId\` is also in the \`x-request-id\` response header. Quote it when reporting a problem: the server logs every 5xx with it.
- A resource that belongs to another organization answers \`not_found\`, exactly like one that does not exist.
- Server errors (\`internal_error\`) never carry internal detail.

Generated from \`packages/contracts/src/errors.ts\` by \`npm run docs\`; a test keeps the two equal.

| code | HTTP status | meaning |
| --- | --- | --- |
${rows.join('\n')}
`;
}

export const PERMISSIONS_DOC_PATH = new URL('../../../docs/permissions.md', import.meta.url);

export function permissionsMarkdown(): string {
  const header = `| permission | ${ROLES.join(' | ')} |\n| --- | ${ROLES.map(() => ':---:').join(' | ')} |`;
  const rows = PERMISSIONS.map((p) => `| \`${p}\` | ${ROLES.map((r) => (PERMISSION_TABLE[r].has(p) ? '✓' : '')).join(' | ')} |`);
  return `# Roles and permissions

Every person in an organization has one role; every API key has one role (at most its creator's).

- **admin** — everything, including people, roles, API keys of others, identity providers and domains.
- **manager** — manages agents, MCP servers, capabilities, approvals and alerts (as those features land), reads people and the audit log.
- **member** — creates and manages what they own (their API keys, agents and MCP servers) and reads the rest.
- **viewer** — reads.

Each operation declares the permission it needs once (\`access\` in its \`defineOperation\`); the
operation's gate checks it before anything else, and the service receives a context that records the
check. Checks that depend on the resource (an owner, or the \`*.manage_all\` permissions) stay in the
service. A resource of another organization answers 404, never 403.

Generated from \`PERMISSION_TABLE\` in \`packages/contracts/src/roles.ts\` by \`npm run docs\`; a test keeps the two equal,
and another calls every route as every role and compares the answers with this table.

${header}
${rows.join('\n')}
`;
}
