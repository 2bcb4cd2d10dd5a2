/** A tiny corpus in NAB's layout for the bench commands' tests, and their captured stdout. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { vi } from 'vitest';

/** NAB's timestamp spelling, one point every five minutes from 2014-04-01. */
export function nabStamp(i: number): string {
  return new Date(Date.UTC(2014, 3, 1, 0, i * 5)).toISOString().replace('T', ' ').slice(0, 19);
}

/**
 * Writes `files` (`<category>/<file>.csv`) under `root`: 200 points around 10, with a spike to 90
 * at point 120 and a labelled window over points 120-139 unless the file is listed as quiet.
 */
export async function writeNabCorpus(root: string, files: readonly { readonly file: string; readonly quiet?: boolean }[]): Promise<void> {
  const labels: Record<string, string[][]> = {};
  for (const { file, quiet } of files) {
    await mkdir(path.join(root, 'data', path.dirname(file)), { recursive: true });
    const lines = ['timestamp,value'];
    for (let i = 0; i < 200; i++) lines.push(`${nabStamp(i)},${i === 120 && quiet !== true ? 90 : 10 + Math.sin(i)}`);
    await writeFile(path.join(root, 'data', file), `${lines.join('\n')}\n`);
    labels[file] = quiet === true ? [] : [[`${nabStamp(120)}.000000`, `${nabStamp(139)}.000000`]];
  }
  await mkdir(path.join(root, 'labels'), { recursive: true });
  await writeFile(path.join(root, 'labels', 'combined_windows.json'), JSON.stringify(labels));
}

/** Captures what is written to stdout until `vi.restoreAllMocks()`; returns the list it fills. */
export function captureStdout(): string[] {
  const output: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  });
  return output;
}
