-- The tool names of each MCP server's latest successful scan, kept on the server (docs/mcp.md, "after a
-- scan"): the poisoning hook's shadowing check asks which other servers have a tool of a given name, and
-- reads this column instead of expanding every server's latest scan. No index: the organization's
-- servers are read by organization, and an index on a column rewritten by every scan would only grow
-- (GIN's pending list) between vacuums.
ALTER TABLE mcp_servers ADD COLUMN tool_names text[] NOT NULL DEFAULT '{}';

UPDATE mcp_servers m
   SET tool_names = coalesce((
         SELECT array_agg(t.name ORDER BY t.name)
           FROM (SELECT s.tools FROM mcp_scans s
                  WHERE s.organization_id = m.organization_id AND s.mcp_server_id = m.id AND s.status = 'succeeded'
                  ORDER BY s.id DESC LIMIT 1) s
          CROSS JOIN LATERAL jsonb_to_recordset(s.tools) AS t(name text)), '{}');
