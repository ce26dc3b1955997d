import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateOpenApiDocument, OPENAPI_PATH, serializeOpenApi } from './openapi-document.js';

/** `npm run openapi`: regenerate docs/openapi.json from the route schemas. */
await writeFile(OPENAPI_PATH, serializeOpenApi(await generateOpenApiDocument()));
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_PATH)}\n`);
