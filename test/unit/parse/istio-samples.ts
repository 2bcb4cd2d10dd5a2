import { readFileSync } from 'node:fs';

/** One sample line from the fixture, with its 1-based line number in the file. */
export interface SampleLine {
  readonly lineNumber: number;
  readonly text: string;
}

/** The fixture copied verbatim from reference/istio-access-log-samples.txt. */
export const SAMPLES_PATH = new URL('../../fixtures/istio/istio-access-log-samples.txt', import.meta.url);

/**
 * The sample lines of each section (`### A.` .. `### D.`), comments and blank lines left out, so
 * that a table of expectations can be checked against the exact number of lines per section.
 */
export function readIstioSamples(): Readonly<Record<'A' | 'B' | 'C' | 'D', readonly SampleLine[]>> {
  const sections: Record<'A' | 'B' | 'C' | 'D', SampleLine[]> = { A: [], B: [], C: [], D: [] };
  let current: SampleLine[] | undefined;
  readFileSync(SAMPLES_PATH, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      const header = /^### ([ABCD])\./.exec(text);
      if (header?.[1] !== undefined) {
        current = sections[header[1] as 'A' | 'B' | 'C' | 'D'];
        return;
      }
      if (text.length === 0 || text.startsWith('#') || current === undefined) return;
      current.push({ lineNumber: index + 1, text });
    });
  return sections;
}
