/**
 * The HTML report in a real browser: Debian's Chromium, headless, driven by playwright-core. The
 * engine replays a small recording in which a compromised publisher named its model to attack the
 * page (a script element, an image with an error handler, an attribute breakout); the page is
 * opened from disk as a reader would open it from a ticket.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReportSchema } from '../../src/embedded/report-schema.js';
import type { z } from 'zod';
import { terminalText } from '../../src/shared/terminal-text.js';
import { HOSTILE_MODEL, HOSTILE_VERSION, writeReportFixture } from '../unit/helpers/report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the screenshot is kept for a person to look at after the run (ignored by git). */
const ARTIFACTS = resolve('test-results');
const HOSTILE_ENTITY = `model:ml-prod/${HOSTILE_MODEL}@${HOSTILE_VERSION}`;

/** Runs in the page before its own content: records what the attacker's script would set or raise. */
const TRAP = `
  Object.defineProperty(window, '__pwned', { configurable: false, get: () => window.__trapped, set: (value) => { window.__trapped = value; } });
  window.alert = (message) => { window.__trapped = 'alert(' + String(message) + ')'; };
`;

/**
 * Runs on a blank page: decodes a PNG with Chromium's own decoder and counts its pixels: all, the
 * ones with ink (not near white), and those of the medium severity's colour (#ca8a04, give or take
 * anti-aliasing).
 */
const COUNT_PIXELS = `async (base64) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + base64;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  const data = g.getImageData(0, 0, image.width, image.height).data;
  let ink = 0;
  let medium = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i], gr = data[i + 1], b = data[i + 2];
    if (r < 235 || gr < 235 || b < 235) ink++;
    if (Math.abs(r - 0xca) < 24 && Math.abs(gr - 0x8a) < 24 && Math.abs(b - 0x04) < 40) medium++;
  }
  return { width: image.width, height: image.height, total: data.length / 4, ink, medium };
}`;

interface PixelCount {
  readonly width: number;
  readonly height: number;
  readonly total: number;
  readonly ink: number;
  readonly medium: number;
}

/** Runs in the report's page (from outside it: the page's own policy refuses scripts) and reads what it shows. */
const PAGE_FACTS = `(() => {
  const all = (selector, root = document) => [...root.querySelectorAll(selector)];
  const laneBoxes = new Map(all('svg.timeline g.lane').map((g) => [g.getAttribute('data-entity'), g.querySelector('rect.lane-bg').getBoundingClientRect()]));
  return {
    lanes: all('svg.timeline g.lane').map((g) => g.getAttribute('data-entity')),
    laneTitles: all('svg.timeline g.lane text.lane-label title').map((t) => t.textContent),
    points: all('svg.timeline [data-anomaly]').map((e) => e.getAttribute('data-anomaly')),
    misplaced: all('svg.timeline g.anomalies circle').filter((c) => {
      const box = c.getBoundingClientRect();
      const lane = laneBoxes.get(c.getAttribute('data-entity'));
      return lane === undefined || box.width <= 0 || box.top < lane.top || box.bottom > lane.bottom || box.left < lane.left || box.right > lane.right;
    }).length,
    marks: all('svg.timeline [data-action]').map((e) => ({ index: Number(e.getAttribute('data-action')), kind: e.getAttribute('data-kind'), outcome: e.getAttribute('data-outcome') })),
    cases: all('section.case').map((section) => ({
      id: section.getAttribute('data-case'),
      root: section.getAttribute('data-root'),
      shownRoot: section.querySelector('p code').textContent,
      evidence: all('[data-evidence]', section).length,
      steps: all('[data-step]', section).length,
    })),
    rows: all('table.cases tbody tr').map((tr) => tr.getAttribute('data-case')),
    active: all('script, img, iframe, object, embed, a, form, base, link, meta[http-equiv="refresh"]').length,
    handlers: all('*').filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length,
    trapped: window.__trapped,
  };
})()`;

/** What {@link PAGE_FACTS} reads. */
interface PageFacts {
  readonly lanes: string[];
  readonly laneTitles: string[];
  readonly points: string[];
  readonly misplaced: number;
  readonly marks: { index: number; kind: string; outcome: string }[];
  readonly cases: { id: string; root: string; shownRoot: string; evidence: number; steps: number }[];
  readonly rows: string[];
  readonly active: number;
  readonly handlers: number;
  readonly trapped: unknown;
}

let report: z.output<typeof runReportSchema>;
let htmlFile: string;
let profile: string;
let context: BrowserContext;
let page: Page;
let facts: PageFacts;
/** Every URL the page asked for, and every dialog, console message and page error it produced. */
const requests: string[] = [];
const incidents: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}: run test/env/prepare.sh chromium (it installs Debian's chromium package) and see docs/testenv.md`);
  }
  const fixture = writeReportFixture();
  htmlFile = join(fixture.dir, 'report.html');
  const reportFile = join(fixture.dir, 'report.json');
  const run = spawnSync(process.execPath, [
    'bin/meshwarden.js', 'run', '--input', fixture.input, '--detectors', fixture.detectorsDir, '--playbooks', fixture.playbooksDir,
    '--state', fixture.stateDir, '--report', reportFile, '--html', htmlFile,
  ], { encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  report = runReportSchema.parse(JSON.parse(readFileSync(reportFile, 'utf8')));
  profile = mkdtempSync(join(tmpdir(), 'meshwarden-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1200, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(15_000);
  // Nothing may leave the page: every request that is not the file itself is recorded and refused.
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (url.startsWith('file://')) {
      await route.continue();
      return;
    }
    requests.push(url);
    await route.abort('blockedbyclient');
  });
  page = context.pages()[0] ?? await context.newPage();
  page.on('request', (request) => requests.push(request.url()));
  page.on('dialog', (dialog) => {
    incidents.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => incidents.push(`page error: ${error.message}`));
  page.on('console', (message) => incidents.push(`console ${message.type()}: ${message.text()}`));
  // The trap: whatever the attacker's script would set, and any alert it would raise, is recorded.
  await page.addInitScript({ content: TRAP });
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load', timeout: 15_000 });
  facts = await page.evaluate<PageFacts>(PAGE_FACTS);
}, 120_000);

afterAll(async () => {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
});

describe('the HTML report in headless Chromium', () => {
  it('draws one lane per entity with anomalies, one point per anomaly in its lane, one mark per action', () => {
    const entities = [...new Set(report.anomalies.map((a) => a.entity))].sort();
    expect([...facts.lanes].sort()).toEqual(entities);
    expect(facts.lanes).toContain(HOSTILE_ENTITY);
    expect([...facts.points].sort()).toEqual(report.anomalies.map((a) => a.id).sort());
    expect(facts.misplaced).toBe(0);
    expect(facts.marks).toEqual(report.actions.map((a, index) => ({ index, kind: a.action === 'slack.approval' ? 'approval' : 'step', outcome: a.outcome })));
    expect(facts.marks.filter((m) => m.kind === 'approval').length).toBeGreaterThan(0);
  });

  it('lists the report\'s cases, each with its evidence under it, in the order of the table', () => {
    expect(facts.cases.map((c) => c.id).sort()).toEqual(report.cases.map((c) => c.id).sort());
    for (const c of facts.cases) {
      expect(c.evidence).toBeGreaterThan(0);
      expect(c.steps).toBe(report.actions.filter((a) => a.caseId === c.id).length);
    }
    expect(facts.rows).toEqual(facts.cases.map((c) => c.id));
  });

  it('shows the attacker\'s model name as text and runs none of it', () => {
    expect(facts.trapped).toBeUndefined();
    expect(facts.active).toBe(0);
    expect(facts.handlers).toBe(0);
    const hostile = facts.cases.find((c) => c.root === HOSTILE_ENTITY);
    expect(hostile?.shownRoot).toBe(terminalText(HOSTILE_ENTITY));
    expect(facts.laneTitles).toContain(terminalText(HOSTILE_ENTITY));
    expect(incidents).toEqual([]);
  });

  it('asks for nothing but its own file', () => {
    expect(requests.filter((url) => !url.startsWith('file://'))).toEqual([]);
    expect(requests).toEqual([pathToFileURL(htmlFile).href]);
  });

  it('renders a timeline a person can see: a screenshot the size of the drawing, not blank, with the severity colour in it', async () => {
    const timeline = page.locator('svg.timeline');
    const box = await timeline.boundingBox();
    expect(box?.width).toBeGreaterThan(800);
    expect(box?.height).toBeGreaterThan(100);
    const png = await timeline.screenshot({ timeout: 15_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'html-report-timeline.png'), png);
    // Chromium decodes its own screenshot on a blank page (the report's policy would refuse the data: URL).
    const blank = await context.newPage();
    const pixels = await blank.evaluate<PixelCount>(`(${COUNT_PIXELS})(${JSON.stringify(png.toString('base64'))})`);
    await blank.close();
    expect(Math.abs(pixels.width - Math.round(box?.width ?? 0))).toBeLessThanOrEqual(1);
    expect(Math.abs(pixels.height - Math.round(box?.height ?? 0))).toBeLessThanOrEqual(1);
    expect(pixels.ink / pixels.total).toBeGreaterThan(0.02);
    expect(pixels.medium).toBeGreaterThan(report.anomalies.length * 5);
  });
});
