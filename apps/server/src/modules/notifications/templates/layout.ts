/**
 * The one layout every AIM email uses: a plain-text body and an HTML body built from the same parts.
 * The HTML is a single 600-px table with inline styles only (no <style>, no scripts, no images), which
 * Gmail, Outlook and Apple Mail render alike. Every interpolated value passes through `escapeHtml`;
 * links are absolute, built from AIM's public URL.
 */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
  /** The preferences page (List-Unsubscribe), for mail about a person's notifications. */
  preferencesUrl?: string;
}

export interface MailParts {
  subject: string;
  /** The first line of the message, in bold. */
  heading: string;
  /** Paragraphs of plain text (escaped in the HTML). */
  paragraphs: readonly string[];
  /** Label / value rows shown as a small table (escaped). */
  facts?: readonly (readonly [string, string])[];
  /** The one call to action. */
  action?: { label: string; url: string };
  /** Sections of a digest: a heading and its items, each with an optional link. */
  sections?: readonly { heading: string; items: readonly { text: string; url?: string }[] }[];
  /** The footer line (why this mail came), and where to change it. */
  footer: string;
  preferencesUrl?: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe inside HTML content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** An http(s) URL, or an error: links in mail are only ever AIM's own absolute URLs. */
function safeUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`not a link for mail: ${parsed.protocol}`);
  return parsed.href;
}

const FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

export function renderMail(parts: MailParts): RenderedMail {
  return {
    subject: parts.subject,
    text: renderText(parts),
    html: renderHtml(parts),
    ...(parts.preferencesUrl ? { preferencesUrl: safeUrl(parts.preferencesUrl) } : {}),
  };
}

function renderText(parts: MailParts): string {
  const lines: string[] = [parts.heading, ''];
  for (const p of parts.paragraphs) lines.push(p, '');
  if (parts.facts?.length) {
    for (const [label, value] of parts.facts) lines.push(`${label}: ${value}`);
    lines.push('');
  }
  for (const section of parts.sections ?? []) {
    lines.push(section.heading, '');
    for (const item of section.items) lines.push(`- ${item.text}${item.url ? `\n  ${item.url}` : ''}`);
    lines.push('');
  }
  if (parts.action) lines.push(`${parts.action.label}: ${safeUrl(parts.action.url)}`, '');
  lines.push('--', parts.footer);
  if (parts.preferencesUrl) lines.push(`Change what AIM sends you: ${safeUrl(parts.preferencesUrl)}`);
  return `${lines.join('\n')}\n`;
}

function renderHtml(parts: MailParts): string {
  const cell = (content: string, style = '') => `<tr><td style="padding:0 32px 16px 32px;${FONT};font-size:15px;line-height:22px;color:#1f2937;${style}">${content}</td></tr>`;
  const rows: string[] = [
    `<tr><td style="padding:24px 32px 8px 32px;${FONT};font-size:13px;font-weight:600;letter-spacing:0.04em;color:#6b7280;text-transform:uppercase">AIM</td></tr>`,
    cell(`<strong style="font-size:18px;line-height:26px;color:#111827">${escapeHtml(parts.heading)}</strong>`),
    ...parts.paragraphs.map((p) => cell(escapeHtml(p))),
  ];
  if (parts.facts?.length) {
    const facts = parts.facts
      .map(
        ([label, value]) =>
          `<tr><td style="padding:4px 12px 4px 0;${FONT};font-size:14px;color:#6b7280;vertical-align:top;white-space:nowrap">${escapeHtml(label)}</td>` +
          `<td style="padding:4px 0;${FONT};font-size:14px;color:#111827;word-break:break-word">${escapeHtml(value)}</td></tr>`,
      )
      .join('');
    rows.push(cell(`<table role="presentation" cellpadding="0" cellspacing="0" border="0">${facts}</table>`));
  }
  for (const section of parts.sections ?? []) {
    const items = section.items
      .map((item) => `<li style="margin:0 0 6px 0">${item.url ? `<a href="${escapeHtml(safeUrl(item.url))}" style="color:#1d4ed8">${escapeHtml(item.text)}</a>` : escapeHtml(item.text)}</li>`)
      .join('');
    rows.push(cell(`<strong>${escapeHtml(section.heading)}</strong><ul style="margin:8px 0 0 0;padding:0 0 0 20px">${items}</ul>`));
  }
  if (parts.action) {
    const href = escapeHtml(safeUrl(parts.action.url));
    rows.push(
      cell(
        `<table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td style="background:#1d4ed8;border-radius:6px">` +
          `<a href="${href}" style="display:inline-block;padding:10px 18px;${FONT};font-size:15px;font-weight:600;color:#ffffff;text-decoration:none">${escapeHtml(parts.action.label)}</a>` +
          `</td></tr></table>`,
      ),
      cell(`Or open this address: <a href="${href}" style="color:#1d4ed8;word-break:break-all">${escapeHtml(safeUrl(parts.action.url))}</a>`, 'font-size:13px;color:#6b7280'),
    );
  }
  const preferences = parts.preferencesUrl
    ? ` <a href="${escapeHtml(safeUrl(parts.preferencesUrl))}" style="color:#6b7280">Change what AIM sends you</a>.`
    : '';
  rows.push(
    `<tr><td style="padding:16px 32px 24px 32px;border-top:1px solid #e5e7eb;${FONT};font-size:12px;line-height:18px;color:#6b7280">${escapeHtml(parts.footer)}${preferences}</td></tr>`,
  );
  return (
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(parts.subject)}</title></head>` +
    `<body style="margin:0;padding:0;background:#f3f4f6">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6"><tr><td align="center" style="padding:24px 8px">` +
    `<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;background:#ffffff;border:1px solid #e5e7eb;border-radius:8px">` +
    rows.join('') +
    `</table></td></tr></table></body></html>`
  );
}
