/** Markdown report every example writes to `out/<example>/report.md`. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export interface ReportTable {
  header: string[];
  rows: (string | number)[][];
}

export interface Report {
  title: string;
  summary: string;
  settings: Record<string, string | number | boolean>;
  tables: { caption: string; table: ReportTable }[];
  timings: Record<string, number>;
  figures: string[];
  notes?: string[];
}

export function fmt(v: string | number): string {
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  return Number.isInteger(v) ? String(v) : v.toFixed(4);
}

export function markdownTable(t: ReportTable): string {
  const lines = [`| ${t.header.join(' | ')} |`, `| ${t.header.map(() => '---').join(' | ')} |`];
  for (const r of t.rows) lines.push(`| ${r.map(fmt).join(' | ')} |`);
  return lines.join('\n');
}

/** Plain-text table for the console. */
export function textTable(t: ReportTable): string {
  const cells = [t.header, ...t.rows.map((r) => r.map(fmt))];
  const widths = t.header.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  return cells
    .map((r, i) => {
      const line = r.map((c, j) => String(c).padEnd(widths[j] ?? 0)).join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function writeReport(outDir: string, r: Report): string {
  const parts = [
    `# ${r.title}`,
    '',
    r.summary,
    '',
    '## Settings',
    '',
    ...Object.entries(r.settings).map(([k, v]) => `- **${k}**: ${v}`),
    '',
  ];
  for (const t of r.tables) parts.push(`## ${t.caption}`, '', markdownTable(t.table), '');
  parts.push('## Timings', '', ...Object.entries(r.timings).map(([k, v]) => `- ${k}: ${v.toFixed(1)} s`), '');
  if (r.figures.length) {
    parts.push('## Figures', '');
    for (const f of r.figures) parts.push(`![${basename(f)}](${basename(f)})`, '');
  }
  if (r.notes?.length) parts.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, 'report.md');
  writeFileSync(path, parts.join('\n'));
  return path;
}
