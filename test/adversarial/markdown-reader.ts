/**
 * Reads Markdown the way a CommonMark + GFM renderer would, as far as an attacker who names an
 * entity cares: which text is inside code spans (inert), which is live (where `[x](url)`,
 * `![x](url)`, `<img ...>`, autolinks and mentions take effect), and how a table row splits.
 */

/** One line cut into live text and code span contents, per CommonMark's backtick-string rule. */
export function splitCodeSpans(line: string): { live: string; code: string[] } {
  let live = '';
  const code: string[] = [];
  let i = 0;
  while (i < line.length) {
    const char = line[i] ?? '';
    if (char === '\\' && line[i + 1] === '`') {
      live += '\\`';
      i += 2;
      continue;
    }
    if (char !== '`') {
      live += char;
      i++;
      continue;
    }
    let run = 0;
    while (line[i + run] === '`') run++;
    // The span closes at the next backtick string of exactly the same length.
    let j = i + run;
    let close = -1;
    while (j < line.length) {
      if (line[j] !== '`') {
        j++;
        continue;
      }
      let other = 0;
      while (line[j + other] === '`') other++;
      if (other === run) {
        close = j;
        break;
      }
      j += other;
    }
    if (close < 0) {
      live += '`'.repeat(run);
      i += run;
      continue;
    }
    let content = line.slice(i + run, close);
    if (content.startsWith(' ') && content.endsWith(' ') && content.trim() !== '') content = content.slice(1, -1);
    code.push(content);
    i = close + run;
  }
  return { live, code };
}

/** The cells of a GFM table row: split at every pipe not escaped by a backslash, code spans or not. */
export function tableCells(row: string): string[] {
  const cells: string[] = [];
  let current = '';
  for (let i = 0; i < row.length; i++) {
    const char = row[i] ?? '';
    if (char === '\\' && i + 1 < row.length) {
      current += char + (row[i + 1] ?? '');
      i++;
    } else if (char === '|') {
      cells.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  cells.push(current);
  // A row's leading and trailing pipes frame it.
  return cells.slice(row.startsWith('|') ? 1 : 0, row.trimEnd().endsWith('|') ? -1 : undefined).map((c) => c.trim());
}

/** What a renderer would turn into a link, an image, HTML or a mention, in the live text of a document. */
export function liveMarkup(markdown: string): string[] {
  const found: string[] = [];
  for (const line of markdown.split('\n')) {
    const { live } = splitCodeSpans(line);
    for (const pattern of [/!?\[[^\]]*\]\(/, /<[a-z/!?]/i, /\bhttps?:\/\//i, /\bwww\./i, /@\w/, /\]\(/, /\[[^\]]*\]/]) {
      const match = pattern.exec(live);
      if (match !== null) found.push(`${match[0]} in: ${line.slice(0, 120)}`);
    }
  }
  return found;
}
