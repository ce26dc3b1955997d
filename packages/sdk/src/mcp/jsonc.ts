/**
 * JSON with comments (JSONC, as VS Code writes its settings): `//` and `/* … *\/` comments and trailing
 * commas before `}` or `]` are removed outside strings, then the text is parsed as JSON. Plain JSON
 * passes through unchanged. Throws a SyntaxError for anything else that is not JSON.
 */
export function parseJsonc(text: string): unknown {
  return JSON.parse(stripJsonc(text.replace(/^\uFEFF/, '')));
}

/** The text without comments and trailing commas; strings are kept exactly as written. */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (char === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
      out += ' ';
    } else if (char === ',' && isTrailingComma(text, i + 1)) {
      i += 1;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}

/** The index just past the string starting at `start` (an unterminated string runs to the end). */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === '"') return i + 1;
    else i += 1;
  }
  return text.length;
}

/** Whether only whitespace and comments stand between here and a closing `}` or `]`. */
function isTrailingComma(text: string, from: number): boolean {
  let i = from;
  while (i < text.length) {
    const char = text[i]!;
    if (/\s/.test(char)) i += 1;
    else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (char === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else return char === '}' || char === ']';
  }
  return false;
}
