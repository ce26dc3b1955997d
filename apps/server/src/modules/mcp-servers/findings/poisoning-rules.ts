import type { AlertSeverity, McpPoisoningHeuristic } from '@aim/contracts';

/**
 * The text rules of the poisoning heuristics (docs/mcp.md, "findings"): each a bounded regular
 * expression (no unbounded repetition next to another, so no catastrophic backtracking) and the
 * severity of a match, which may depend on what else the same sentence says. A rule answers null
 * when its match is not a finding after all (a credential path an honest tool merely names, say).
 *
 * The rules look for instructions aimed at the model, not for topics: "Creates a GitHub issue" or
 * "The database password" name things; "pass the user's API key in `notes`" tells the agent to do
 * something with them. Tests hold a table of honest descriptions of well-known servers that must
 * stay silent.
 */

export interface RuleMatch {
  text: string;
  index: number;
  match: RegExpExecArray;
  /** The sentence around the match (see `sentenceIndex`). */
  sentence(): string;
}

export interface TextRule {
  id: string;
  heuristic: Exclude<McpPoisoningHeuristic, 'invisible_unicode' | 'tool_shadowing'>;
  pattern: RegExp;
  severity: AlertSeverity | ((m: RuleMatch) => AlertSeverity | null);
}

const SENTENCE_REACH = 400;

/**
 * The sentences of a text, found in one pass: `around(start, end)` is the sentence holding
 * [start, end), bounded by `.`/`!`/`?` followed by a space, or a line break (so URLs keep their
 * dots), and at most SENTENCE_REACH characters on each side. Lookups are binary searches, so many
 * matches in one long field stay linear.
 */
export function sentenceIndex(text: string): { around(start: number, end: number): string } {
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || ((c === 46 || c === 33 || c === 63) && /\s/.test(text[i + 1] ?? ''))) ends.push(i);
  }
  /** The first boundary at or after `i` (ends.length when none). */
  const firstFrom = (i: number) => {
    let lo = 0;
    let hi = ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    around(start, end) {
      const before = firstFrom(start) - 1;
      const from = Math.max(before >= 0 ? ends[before]! + 1 : 0, start - SENTENCE_REACH);
      const after = firstFrom(end);
      const to = Math.min(after < ends.length ? ends[after]! : text.length, end + SENTENCE_REACH);
      return text.slice(from, to);
    },
  };
}

/** The sentence around [start, end) of a text looked at once. */
export const sentenceAround = (text: string, start: number, end: number) => sentenceIndex(text).around(start, end);

const sentence = (m: RuleMatch) => m.sentence();

/** Verbs that make a mention of a secret or a path an instruction to use it. */
const ACTS_ON = /\b(read|cat|open|include|pass|send|forward|attach|append|upload|copy|extract|print|dump|reveal|share|leak|exfiltrate|embed|contents?\s+of)\b/i;
/** Things an attacker wants sent somewhere. */
const DATA_WORDS = /\b(conversation|chat|history|contents?|data|files?|messages?|results?|outputs?|keys?|tokens?|credentials?|secrets?|passwords?|environment|context|prompts?|user'?s)\b/i;
/** What an agent holds that an attacker wants: the conversation, the user's data, secrets. */
const SENSITIVE = /\b(conversation|chat|history|context|messages|prompts?|keys?|tokens?|credentials?|secrets?|passwords?|environment|user'?s|everything|full|entire|all\s+(?:the\s+)?(?:data|files|results))\b/i;
const SENDS = /\b(send|include|pass|append|attach|forward|upload|post|report)\b/i;
const INSTRUCTS = /\b(ignore|must|always|never|instead|do\s+not|don't|assistant|ai|model|agent|llm|read|send|call|use|include|pass)\b/i;

export const TEXT_RULES: readonly TextRule[] = [
  // ——— hidden instruction markers
  {
    id: 'instruction_tag',
    heuristic: 'hidden_instruction',
    pattern: /<\/?[ \t]*(important|system|instructions?|hidden|secret|admin|critical|assistant|sys|system[-_ ]?prompt|(?:user|ai)[-_ ]?instructions?)\b[^<>\n]{0,60}>/gi,
    severity: 'high',
  },
  {
    id: 'chat_template_marker',
    heuristic: 'hidden_instruction',
    pattern: /\[\/?INST\]|<<\/?SYS>>|<\|(?:im_start|im_end|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id)\|>/gi,
    severity: 'high',
  },
  {
    id: 'html_comment_instruction',
    heuristic: 'hidden_instruction',
    pattern: /<!--(?:(?!<!--|-->)[\s\S]){0,2000}-->/g,
    severity: (m) => (INSTRUCTS.test(m.match[0]) ? 'high' : null),
  },
  {
    id: 'system_heading',
    heuristic: 'hidden_instruction',
    pattern: /^[ \t]*#{1,6}[ \t]*(system|assistant|(?:note|instructions?|message)[ \t]+(?:to|for)[ \t]+(?:the[ \t]+)?(?:ai|assistant|model|agent|llm))\b/gim,
    severity: 'high',
  },
  { id: 'role_prefix', heuristic: 'hidden_instruction', pattern: /^[ \t]*(SYSTEM|ASSISTANT|AI INSTRUCTIONS?)[ \t]*:/gm, severity: 'high' },
  {
    id: 'note_to_model',
    heuristic: 'hidden_instruction',
    pattern: /\b(note|message|instructions?|reminder)\s+(to|for)\s+(the\s+)?(ai|assistant|model|agent|llm|claude|gpt|copilot|cursor)\b/gi,
    severity: 'medium',
  },

  // ——— override phrases
  {
    id: 'ignore_instructions',
    heuristic: 'override_phrase',
    pattern: /\b(ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|of)\s+){0,3}(previous|prior|above|earlier|preceding|other|existing|original|system|safety)\s+(instructions?|rules|directions|prompts?|guidelines|guidance|context|constraints|policies)\b/gi,
    severity: 'high',
  },
  {
    id: 'hide_from_user',
    heuristic: 'override_phrase',
    pattern: /\b(do\s+not|don'?t|never)\s+(tell|mention|inform|reveal|disclose|show|notify|alert|explain|let)\b[^.\n]{0,40}?\buser\b/gi,
    severity: 'high',
  },
  {
    id: 'without_telling_user',
    heuristic: 'override_phrase',
    pattern: /\bwithout\s+(telling|mentioning|informing|notifying|alerting|letting)\s+(the\s+)?user\b/gi,
    severity: 'medium',
  },
  { id: 'user_must_not_know', heuristic: 'override_phrase', pattern: /\buser\s+(must|should|need)\s+not\s+(know|see|notice|be\s+(told|informed|aware))\b/gi, severity: 'high' },
  {
    id: 'before_any_other_tool',
    heuristic: 'override_phrase',
    pattern: /\bbefore\s+(?:you\s+)?(using|calling|invoking|running|executing|use|call|invoke|run)\s+(any|all|every|other|another|the\s+other)\b[^.\n]{0,20}?\btools?\b/gi,
    severity: 'medium',
  },
  {
    id: 'very_important',
    heuristic: 'override_phrase',
    pattern: /\bthis\s+is\s+(very|extremely|critically|really|super|vitally|absolutely)\s+(important|critical|crucial)\b/gi,
    severity: 'medium',
  },
  { id: 'you_must_first', heuristic: 'override_phrase', pattern: /\byou\s+(must|need\s+to|have\s+to|are\s+required\s+to)\s+(always\s+)?first\b/gi, severity: 'medium' },
  {
    id: 'or_it_breaks',
    heuristic: 'override_phrase',
    pattern: /\botherwise\s+(the\s+)?(tool|system|application|app|server|request|call)\s+(will|would|may)\s+(not\s+work|fail|crash|break|stop)\b/gi,
    severity: 'medium',
  },
  { id: 'new_instructions', heuristic: 'override_phrase', pattern: /\b(new|updated|real|actual|secret|hidden)\s+(system\s+)?instructions?\s*:/gi, severity: 'high' },
  {
    id: 'skip_confirmation',
    heuristic: 'override_phrase',
    pattern: /\b(do\s+not|don'?t|never)\s+(ask|seek|request|wait\s+for|get)\s+(for\s+)?(the\s+user'?s?\s+|any\s+)?(confirmation|permission|approval|consent)\b/gi,
    severity: 'high',
  },
  {
    id: 'covert_action',
    heuristic: 'override_phrase',
    pattern: /\b(silently|secretly|covertly|quietly|discreetly|invisibly)\s+(send|read|include|pass|add|append|copy|forward|upload|call|run|execute|exfiltrate|collect|attach|transmit|post)\b/gi,
    severity: 'high',
  },

  // ——— secret references
  {
    id: 'credential_path',
    heuristic: 'secret_reference',
    pattern:
      /(?:~[\/\\]|\$HOME[\/\\])?\.ssh(?:[\/\\][\w.-]{1,40})?\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?:\.pub)?|(?:~[\/\\])?\.aws[\/\\](?:credentials|config)\b|(?<![\w.-])\.(?:npmrc|pypirc|netrc|git-credentials|pgpass)\b|\.docker[\/\\]config\.json|\.kube[\/\\]config\b|\.gnupg\b|\/etc\/(?:shadow|passwd|sudoers)\b|(?<![\w.-])\.env(?:\.[a-z]{1,12})?\b(?![\w-])|-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----|\.cursor[\/\\]mcp\.json|claude_desktop_config\.json/gi,
    severity: (m) => (ACTS_ON.test(sentence(m)) ? 'high' : 'medium'),
  },
  {
    id: 'secret_in_instruction',
    heuristic: 'secret_reference',
    pattern:
      /\b(read|include|pass|send|forward|attach|append|copy|extract|leak|share|cat|dump|reveal|embed|exfiltrate|upload)\b[^.\n]{0,60}?\b(api[\s_-]?keys?|passwords?|passphrases?|(?:access|auth|bearer|session|refresh|oauth|github|slack|openai|id)[\s_-]tokens?|(?:your|the\s+user'?s|user'?s)\s+tokens?|secrets?|credentials?|private[\s_-]keys?|ssh[\s_-]keys?|session\s+cookies?)\b/gi,
    severity: 'high',
  },

  // ——— exfiltration
  {
    id: 'send_to_url',
    heuristic: 'exfiltration_url',
    pattern:
      /\b(send|post|upload|forward|transmit|exfiltrate|submit|mirror|deliver|beacon|leak)\b(?:[^\n.!?]|[.!?](?!\s)){0,120}?\b(?:to|at|via|using)\s+(?:the\s+)?(?:(?:endpoint|url|server|webhook|address)\s+)?[`'"<(]?https?:\/\/[^\s`'"<>)]{1,300}/gi,
    // An upload tool may name where it uploads; sending what the agent knows is the attack.
    severity: (m) => (SENSITIVE.test(m.match[0].replace(/https?:\/\/\S+$/, '')) ? 'high' : 'medium'),
  },
  {
    id: 'url_with_send',
    heuristic: 'exfiltration_url',
    pattern: /https?:\/\/[^\s`'"<>)]{1,300}/gi,
    severity: (m) => {
      const around = sentence(m);
      return SENDS.test(around) && DATA_WORDS.test(around.replace(m.match[0], '')) ? 'medium' : null;
    },
  },
  { id: 'image_beacon', heuristic: 'exfiltration_url', pattern: /!\[[^[\]\n]{0,100}\]\(\s*https?:\/\/[^\s)]{1,300}\?[^\s)]{1,300}\)/gi, severity: 'high' },
];
