import { ERROR_CODES } from '@aim/contracts';

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
