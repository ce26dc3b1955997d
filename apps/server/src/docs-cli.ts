import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { errorsMarkdown, ERRORS_DOC_PATH, permissionsMarkdown, PERMISSIONS_DOC_PATH } from './reference-docs.js';
import { generateOpenApiDocument, OPENAPI_PATH, serializeOpenApi } from './openapi-document.js';

/** `npm run docs`: regenerate the references that come from code (tests keep them current). */
const outputs: [URL, string][] = [
  [OPENAPI_PATH, serializeOpenApi(await generateOpenApiDocument())],
  [ERRORS_DOC_PATH, errorsMarkdown()],
  [PERMISSIONS_DOC_PATH, permissionsMarkdown()],
];
for (const [path, text] of outputs) {
  await writeFile(path, text);
  process.stdout.write(`wrote ${fileURLToPath(path)}\n`);
}
