import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MeshwardenError } from '../../shared/errors.js';

/** One row of a NAB data file, with its original text kept so results reproduce it exactly. */
export interface NabRow {
  readonly timestampText: string;
  readonly valueText: string;
  /** Epoch milliseconds (NAB timestamps carry no zone; they are read as UTC). */
  readonly timestamp: number;
  readonly value: number;
}

/** One NAB data file with its labelled windows. */
export interface NabDataFile {
  /** `<category>/<file>.csv`, the key NAB's label files use. */
  readonly relativePath: string;
  readonly category: string;
  readonly fileName: string;
  readonly rows: readonly NabRow[];
  /** Windows as `[start, end]` epoch milliseconds. */
  readonly windows: readonly (readonly [number, number])[];
}

/** Raised when a NAB directory does not have NAB's layout or its files do not parse. */
export class NabCorpusError extends MeshwardenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('nab-corpus-invalid', message, { cause: options?.cause });
  }
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/**
 * Parses NAB's `YYYY-MM-DD HH:MM:SS[.ffffff]` timestamps as UTC epoch milliseconds. Returns NaN
 * for anything else, so the caller can report the line.
 */
export function parseNabTimestamp(text: string): number {
  const m = TIMESTAMP.exec(text.trim());
  if (m === null) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
}

const labelsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

/**
 * Parses one NAB data file (`timestamp,value` with a header line).
 */
export function parseNabCsv(text: string, source: string): NabRow[] {
  const lines = text.split(/\r?\n/);
  const rows: NabRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === undefined || line.trim() === '') continue;
    const comma = line.indexOf(',');
    const timestampText = comma < 0 ? line : line.slice(0, comma);
    const valueText = comma < 0 ? '' : line.slice(comma + 1).trim();
    const timestamp = parseNabTimestamp(timestampText);
    const value = Number(valueText);
    if (Number.isNaN(timestamp) || valueText === '' || Number.isNaN(value)) {
      throw new NabCorpusError(`${source}:${i + 1}: expected "timestamp,value", got "${line}"`);
    }
    rows.push({ timestampText, valueText, timestamp, value });
  }
  return rows;
}

/**
 * Loads a directory in NAB's layout: `data/<category>/<file>.csv` and
 * `labels/combined_windows.json`. Files are returned in path order; a data file without labels is
 * an error, since NAB would not score it either.
 */
export async function loadNabCorpus(root: string): Promise<NabDataFile[]> {
  const labelsPath = path.join(root, 'labels', 'combined_windows.json');
  let labels: z.infer<typeof labelsSchema>;
  try {
    labels = labelsSchema.parse(JSON.parse(await readFile(labelsPath, 'utf8')));
  } catch (error) {
    throw new NabCorpusError(`cannot read NAB labels at ${labelsPath}`, { cause: error });
  }

  const dataDir = path.join(root, 'data');
  let categories: string[];
  try {
    categories = (await readdir(dataDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (error) {
    throw new NabCorpusError(`cannot list NAB data directory ${dataDir}`, { cause: error });
  }

  const files: NabDataFile[] = [];
  for (const category of categories.sort()) {
    const names = (await readdir(path.join(dataDir, category))).filter((n) => n.endsWith('.csv')).sort();
    for (const fileName of names) {
      const relativePath = `${category}/${fileName}`;
      const windowTexts = labels[relativePath];
      if (windowTexts === undefined) throw new NabCorpusError(`no labels for ${relativePath} in ${labelsPath}`);
      const rows = parseNabCsv(await readFile(path.join(dataDir, category, fileName), 'utf8'), relativePath);
      const windows = windowTexts.map(([start, end]): readonly [number, number] => {
        const w = [parseNabTimestamp(start), parseNabTimestamp(end)] as const;
        if (Number.isNaN(w[0]) || Number.isNaN(w[1])) {
          throw new NabCorpusError(`${relativePath}: unreadable window [${start}, ${end}]`);
        }
        return w;
      });
      files.push({ relativePath, category, fileName, rows, windows });
    }
  }
  if (files.length === 0) throw new NabCorpusError(`no data files under ${dataDir}`);
  return files;
}
