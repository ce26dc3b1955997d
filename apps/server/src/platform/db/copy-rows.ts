import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

/**
 * The rows of `COPY (query) TO STDOUT` in PostgreSQL's text format, decoded (fields as text, NULL as
 * null), in batches as they arrive: for reading millions of rows without a protocol message, a row
 * object and a string per field and message each (the chain walk). The connection pauses while the
 * caller works on a batch, so memory stays flat. COPY takes no parameters: `query` carries its values as
 * literals, which the caller escapes (`client.escapeLiteral`) or checks (integers).
 *
 * A caller that stops early leaves the connection inside the COPY: it must end the connection.
 */
export async function* copyTextRows(client: pg.Client, query: string): AsyncGenerator<(string | null)[][]> {
  const stream = client.query(copyTo(`COPY (${query}) TO STDOUT`));
  let rest: Buffer | null = null;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const data: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
      // Rows end with a newline byte, which never occurs inside a UTF-8 sequence nor in a field (escaped as \n).
      const end = data.lastIndexOf(0x0a);
      if (end === -1) {
        rest = data;
        continue;
      }
      rest = end + 1 < data.length ? data.subarray(end + 1) : null;
      const lines = data.toString('utf8', 0, end).split('\n');
      const rows: (string | null)[][] = new Array(lines.length);
      for (let i = 0; i < lines.length; i++) {
        const fields: (string | null)[] = lines[i]!.split('\t');
        for (let f = 0; f < fields.length; f++) fields[f] = copyField(fields[f] as string);
        rows[i] = fields;
      }
      yield rows;
    }
  } finally {
    if (!stream.destroyed) stream.destroy();
  }
  if (rest !== null) throw new Error('the COPY ended inside a row');
}

const ESCAPED: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** One field of COPY's text format: \N is NULL; a backslash escapes the character after it (\n, \t, \\ …). */
export function copyField(field: string): string | null {
  if (field.indexOf('\\') === -1) return field;
  if (field === '\\N') return null;
  return field.replace(/\\(.)/gs, (_, c: string) => ESCAPED[c] ?? c);
}
