/**
 * Renders rows as a plain text table with a header row, columns padded to fit.
 * `decorate` may wrap a body cell once padded (colour codes take no room).
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  decorate?: (column: number, cell: string, padded: string) => string,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], body: boolean) =>
    cells
      .map((c, i) => {
        const padded = i === cells.length - 1 ? c : c.padEnd(widths[i]!);
        return body && decorate ? decorate(i, c, padded) : padded;
      })
      .join('  ')
      .trimEnd();
  return [line(header, false), ...rows.map((r) => line(r, true))].join('\n');
}
