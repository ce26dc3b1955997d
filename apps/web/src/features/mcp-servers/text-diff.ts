/**
 * A word-level diff of two texts (a tool description before and after), for people to read: runs of
 * text that stayed, were removed or were added, in order. Words and the whitespace between them are
 * the units (a longest common subsequence over them), so a changed sentence shows as the words that
 * changed. Above `MAX_CELLS` comparisons the texts are shown as one removal and one addition.
 */
export interface DiffRun {
  kind: 'same' | 'removed' | 'added';
  text: string;
}

const MAX_CELLS = 4_000_000;

const tokens = (text: string) => text.split(/(\s+)/).filter((t) => t !== '');

export function textDiff(before: string, after: string): DiffRun[] {
  const a = tokens(before);
  const b = tokens(after);
  if (a.length * b.length > MAX_CELLS) return merge([...(before ? [{ kind: 'removed' as const, text: before }] : []), ...(after ? [{ kind: 'added' as const, text: after }] : [])]);
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..], in a flat array.
  const width = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * width);
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i * width + j] = a[i] === b[j] ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    }
  }
  const runs: DiffRun[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      runs.push({ kind: 'same', text: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j === b.length || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)) {
      // A replaced word reads as the removal, then the addition.
      runs.push({ kind: 'removed', text: a[i]! });
      i++;
    } else {
      runs.push({ kind: 'added', text: b[j]! });
      j++;
    }
  }
  return merge(runs);
}

/** Adjacent runs of one kind as one run. */
function merge(runs: DiffRun[]): DiffRun[] {
  const out: DiffRun[] = [];
  for (const run of runs) {
    const last = out.at(-1);
    if (last && last.kind === run.kind) last.text += run.text;
    else out.push({ ...run });
  }
  return out;
}
