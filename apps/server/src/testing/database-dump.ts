import type pg from 'pg';

/**
 * Where a value still appears in the database: every row of every table (schemas public and pgboss,
 * partitions read through their parent) as JSON text compared without case, and every bytea column
 * searched for the value's UTF-8 bytes. Run as the owner, so row-level security hides nothing.
 * Returns `schema.table` names where the value was found.
 */
export async function findInDatabase(owner: pg.Client, needle: string): Promise<string[]> {
  const { rows: tables } = await owner.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p') and not c.relispartition and n.nspname in ('public', 'pgboss')
      order by 1, 2`,
  );
  const found: string[] = [];
  const lower = needle.toLowerCase();
  for (const t of tables) {
    const name = `"${t.schema}"."${t.name}"`;
    const text = await owner.query<{ hit: boolean }>(`select exists (select 1 from ${name} r where position($1 in lower(row_to_json(r)::text)) > 0) as hit`, [lower]);
    if (text.rows[0]!.hit) {
      found.push(`${t.schema}.${t.name}`);
      continue;
    }
    const { rows: byteaColumns } = await owner.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_schema = $1 and table_name = $2 and data_type = 'bytea'`,
      [t.schema, t.name],
    );
    for (const c of byteaColumns) {
      const hit = await owner.query<{ hit: boolean }>(`select exists (select 1 from ${name} where position(convert_to($1, 'UTF8') in "${c.column_name}") > 0) as hit`, [
        needle,
      ]);
      if (hit.rows[0]!.hit) found.push(`${t.schema}.${t.name}.${c.column_name}`);
    }
  }
  return found;
}
