/**
 * A markdown table from a header row and string cells. Columns align right except the first, unless
 * `align` says otherwise per column (`'l'` left, `'r'` right).
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const marks = header.map((_, i) => ((align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l' ? '---' : '---:'));
  return [line(header), line(marks), ...rows.map(line)].join('\n');
}
