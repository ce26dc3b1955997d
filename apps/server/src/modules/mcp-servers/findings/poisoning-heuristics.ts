import { ALERT_SEVERITIES, type AlertSeverity, type McpPoisoningHeuristic, type McpToolDefinition } from '@aim/contracts';
import { TEXT_RULES, sentenceIndex } from './poisoning-rules.js';
import { decodeTagCharacters, excerpt, textFields, type TextField } from './poisoning-text.js';
import type { OtherServersTools } from '../shared/other-servers-tools.js';

/**
 * The poisoning heuristics (docs/mcp.md, "findings"): pure functions over one tool definition and,
 * for tool shadowing, the tools of the organization's other servers. Each match names its heuristic,
 * the rule that matched, the tool, the JSON Pointer of the text, the exact matched text (with a
 * little context, invisible characters shown as \u{…}) and a severity.
 */

export interface PoisoningMatch {
  heuristic: McpPoisoningHeuristic;
  /** The rule of the heuristic that matched (e.g. `instruction_tag`, `zero_width`). */
  rule: string;
  severity: AlertSeverity;
  toolName: string;
  path: string;
  /** The match with some context around it. */
  text: string;
  /** Exactly what matched. */
  matched: string;
  /** The ASCII hidden in Unicode tag characters. */
  decoded?: string;
  /** The other servers' tools a shadowing match is about. */
  shadows?: { mcpServerId: string; server: string; tool: string }[];
}

/** The tools of the organization's other registered servers, by tool name. */
export type { OtherServersTools };

const rank = (s: AlertSeverity) => ALERT_SEVERITIES.indexOf(s);
export const maxSeverity = (a: AlertSeverity, b: AlertSeverity) => (rank(a) >= rank(b) ? a : b);

/**
 * At least one of these (a character, a literal or a word stem) is in every text a rule can match:
 * a field without any, like most schema values and plain parameter descriptions, is skipped with one
 * test instead of one per rule. A new rule adds what it needs here (the table test fails otherwise).
 */
const MAY_MATCH = new RegExp(
  [
    '[<#]', '\\[\\/?INST', 'system', 'assistant', 'instruction', 'note', 'message', 'reminder', 'ignore', 'disregard', 'forget', 'override',
    'bypass', 'user', 'before', 'important', 'critical', 'crucial', 'first', 'otherwise', 'confirmation', 'permission', 'approval', 'consent',
    'silent', 'secret', 'covert', 'quiet', 'discreet', 'invisibl', 'ssh', 'id_(?:rsa|dsa|ecdsa|ed25519)', '\\.aws', 'npmrc', 'pypirc', 'netrc',
    'git-credentials', 'pgpass', '\\.docker', '\\.kube', 'gnupg', '/etc/', '\\.env', 'private', 'mcp\\.json', 'claude_desktop', 'api',
    'passw', 'passphrase', 'token', 'credential', 'cookie', 'http',
  ].join('|'),
  'i',
);

/** JSON Schema keywords whose values are names from a fixed vocabulary, not prose. */
const KEYWORD_VALUE = /\/(type|format|\$schema|\$ref|\$id)$|\/required\/\d+$/;

function textRuleMatches(toolName: string, field: TextField): PoisoningMatch[] {
  const matches: PoisoningMatch[] = [];
  if (!MAY_MATCH.test(field.text) || (KEYWORD_VALUE.test(field.path) && field.text.length <= 64)) return matches;
  let sentences: ReturnType<typeof sentenceIndex> | undefined;
  for (const rule of TEXT_RULES) {
    rule.pattern.lastIndex = 0;
    let m: RegExpExecArray | null;
    let found = 0;
    while ((m = rule.pattern.exec(field.text)) !== null && found < 5) {
      if (m[0].length === 0) {
        rule.pattern.lastIndex++;
        continue;
      }
      const at = m;
      const severity =
        typeof rule.severity === 'string'
          ? rule.severity
          : rule.severity({ text: field.text, index: at.index, match: at, sentence: () => (sentences ??= sentenceIndex(field.text)).around(at.index, at.index + at[0].length) });
      if (severity) {
        found++;
        matches.push({ heuristic: rule.heuristic, rule: rule.id, severity, toolName, path: field.path, ...excerpt(field.text, m.index, m.index + m[0].length) });
      }
    }
  }
  return matches;
}

const PICTOGRAPH = /[\p{Extended_Pictographic}\u{FE0F}\u{1F3FB}-\u{1F3FF}]/u;
const NON_LATIN_LETTER = /(?!\p{Script=Latin})\p{L}|\p{M}/u;

/** A joiner with a job: U+200D inside an emoji sequence, U+200C/U+200D between letters of scripts that use them (Arabic, Indic…). */
function isLegitimateJoiner(text: string, start: number, run: string): boolean {
  if (run !== '\u200D' && run !== '\u200C') return false;
  const before = [...text.slice(Math.max(0, start - 2), start)].pop() ?? '';
  const after = [...text.slice(start + 1, start + 3)][0] ?? '';
  if (run === '\u200D' && PICTOGRAPH.test(before) && PICTOGRAPH.test(after)) return true;
  return NON_LATIN_LETTER.test(before) && NON_LATIN_LETTER.test(after);
}

function invisibleMatches(toolName: string, field: TextField): PoisoningMatch[] {
  const matches: PoisoningMatch[] = [];
  const runs = /(?:[\u200B-\u200D\u2060-\u2064\uFEFF\u202A-\u202E\u2066-\u2069\u{E0000}-\u{E007F}])+/gu;
  let m: RegExpExecArray | null;
  while ((m = runs.exec(field.text)) !== null && matches.length < 5) {
    const run = m[0];
    if (isLegitimateJoiner(field.text, m.index, run)) continue;
    const shown = run.slice(0, 1000); // a run is shown and decoded in part; its length still counts
    const decoded = decodeTagCharacters(shown);
    const chars = [...shown];
    const hasTags = chars.some((c) => c.codePointAt(0)! >= 0xe0000);
    const hasBidi = /[\u202A-\u202E\u2066-\u2069]/.test(run);
    const severity: AlertSeverity = hasTags ? 'critical' : hasBidi || run.length >= 8 ? 'high' : 'medium';
    const rule = hasTags ? 'tag_characters' : hasBidi ? 'bidi_control' : 'zero_width';
    matches.push({
      heuristic: 'invisible_unicode',
      rule,
      severity,
      toolName,
      path: field.path,
      ...excerpt(field.text, m.index, m.index + shown.length),
      ...(decoded ? { decoded: decoded.slice(0, 500) } : {}),
    });
  }
  return matches;
}

/** Instructions that make naming another server's tool a steer: "when…", "instead…", "always…". */
const STEERS = /\b(must|always|never|instead|before|after|whenever|when|should|make\s+sure|ensure|do\s+not|don'?t|only|change|replace|redirect|set|add|bcc|cc)\b/i;
const IDENTIFIER = /[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*/g;
/** A name another server's tool must have to be recognized inside prose: long enough and not a plain word. */
const isDistinctive = (name: string) => name.length >= 5 && /[_.-]|[a-z][A-Z]/.test(name);

/**
 * The names another server's tool must have to matter to this tool's shadowing check: its own name, and
 * the distinctive identifiers in its text (`checkToolShadowing` looks up those not among its server's own tools).
 */
export function shadowingCandidates(definition: McpToolDefinition, fields: readonly TextField[]): string[] {
  const names = new Set([definition.name]);
  for (const field of fields) {
    if (field.isKey || field.path === '/name') continue;
    IDENTIFIER.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = IDENTIFIER.exec(field.text)) !== null) if (isDistinctive(m[0])) names.add(m[0]);
  }
  return [...names];
}

function shadowingMatches(definition: McpToolDefinition, fields: readonly TextField[], ownTools: ReadonlySet<string>, others: OtherServersTools): PoisoningMatch[] {
  const matches: PoisoningMatch[] = [];
  const sameName = others.get(definition.name);
  if (sameName?.length) {
    matches.push({
      heuristic: 'tool_shadowing',
      rule: 'same_name',
      severity: 'medium',
      toolName: definition.name,
      path: '/name',
      text: definition.name,
      matched: definition.name,
      shadows: sameName.map((s) => ({ ...s, tool: definition.name })),
    });
  }
  for (const field of fields) {
    if (field.isKey || field.path === '/name') continue;
    let sentences: ReturnType<typeof sentenceIndex> | undefined;
    IDENTIFIER.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = IDENTIFIER.exec(field.text)) !== null) {
      const name = m[0];
      const servers = isDistinctive(name) && !ownTools.has(name) ? others.get(name) : undefined;
      if (!servers?.length || !STEERS.test((sentences ??= sentenceIndex(field.text)).around(m.index, m.index + name.length))) continue;
      matches.push({
        heuristic: 'tool_shadowing',
        rule: 'names_other_server_tool',
        severity: 'high',
        toolName: definition.name,
        path: field.path,
        ...excerpt(field.text, m.index, m.index + name.length),
        shadows: servers.map((s) => ({ ...s, tool: name })),
      });
      if (matches.length >= 5) return matches;
    }
  }
  return matches;
}

/** The text heuristics (every heuristic but tool shadowing): a function of the definition alone. */
export function checkToolText(definition: McpToolDefinition, fields = textFields(definition)): PoisoningMatch[] {
  return fields.flatMap((field) => [...invisibleMatches(definition.name, field), ...(field.isKey ? [] : textRuleMatches(definition.name, field))]);
}

/** Tool shadowing: depends on the other servers' tools, so it is checked on every scan. */
export function checkToolShadowing(definition: McpToolDefinition, ownTools: ReadonlySet<string>, others: OtherServersTools, fields = textFields(definition)): PoisoningMatch[] {
  return others.size === 0 ? [] : shadowingMatches(definition, fields, ownTools, others);
}

/** Every heuristic over one tool. */
export function checkTool(definition: McpToolDefinition, ownTools: ReadonlySet<string>, others: OtherServersTools): PoisoningMatch[] {
  const fields = textFields(definition);
  return [...checkToolText(definition, fields), ...checkToolShadowing(definition, ownTools, others, fields)];
}

export interface HeuristicVerdict {
  heuristic: McpPoisoningHeuristic;
  toolName: string;
  severity: AlertSeverity;
  /** Most severe first; at most 10. */
  matches: PoisoningMatch[];
}

/** One verdict per heuristic that matched (a finding is per server, tool, heuristic and definition). */
export function verdictsByHeuristic(matches: readonly PoisoningMatch[]): HeuristicVerdict[] {
  const groups = new Map<McpPoisoningHeuristic, PoisoningMatch[]>();
  for (const m of matches) groups.set(m.heuristic, [...(groups.get(m.heuristic) ?? []), m]);
  return [...groups.entries()].map(([heuristic, list]) => {
    const sorted = [...list].sort((a, b) => rank(b.severity) - rank(a.severity));
    return { heuristic, toolName: sorted[0]!.toolName, severity: sorted[0]!.severity, matches: sorted.slice(0, 10) };
  });
}
