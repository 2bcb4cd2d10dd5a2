import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../../src/embedded/run-embedded.js';
import { HTML_REPORT_CSP, htmlReport } from '../../../src/report/html-report.js';
import { escapeHtml } from '../../../src/report/html-text.js';
import { HOSTILE_MODEL, replayReportFixture } from '../helpers/report-fixture.js';

let report: RunReport;
let html: string;
beforeAll(async () => {
  report = await replayReportFixture();
  html = htmlReport(report);
});

const count = (pattern: RegExp): number => html.match(pattern)?.length ?? 0;

describe('the HTML report', () => {
  it('declares a policy that allows inline styles and nothing else, and names no URL to load', () => {
    expect(HTML_REPORT_CSP).toBe('default-src \'none\'; style-src \'unsafe-inline\'; base-uri \'none\'; form-action \'none\'');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(HTML_REPORT_CSP)}">`);
    expect(html.indexOf('Content-Security-Policy')).toBeLessThan(html.indexOf('<style>'));
    // Every tag of the page (text that looks like one is escaped, so a real tag starts with "<" and a letter).
    const tags = html.match(/<[a-z][^>]*>/gi) ?? [];
    expect(tags.some((tag) => tag.includes(' src=x'))).toBe(true);
    expect(tags.length).toBeGreaterThan(100);
    // Attribute names only: quoted values (where the escaped hostile text sits) are blanked first.
    expect(tags.map((tag) => tag.replace(/"[^"]*"/g, '""')).filter((tag) => /\s(?:src|href|xlink:href|action|formaction|srcset|poster|background|xmlns|on[a-z]+)\s*=/i.test(tag))).toEqual([]);
    expect(count(/url\(|@import/gi)).toBe(0);
    expect(count(/<script/gi)).toBe(0);
  });

  it('draws one lane per entity with anomalies, one point per anomaly and one mark per action', () => {
    const entities = [...new Set(report.anomalies.map((a) => a.entity))];
    expect(count(/<g class="lane" data-entity="/g)).toBe(entities.length);
    expect(count(/<circle class="anomaly [^"]*"[^>]* data-anomaly="/g)).toBe(report.anomalies.length);
    expect(count(/<polygon [^>]*class="action [^>]* data-action="/g)).toBe(report.actions.length);
    // Approvals are told apart from the other steps.
    expect(count(/data-kind="approval"/g)).toBe(report.actions.filter((a) => a.action === 'slack.approval').length);
    expect(count(/data-kind="approval"/g)).toBeGreaterThan(0);
  });

  it('lists every case with its evidence and steps, most severe first', () => {
    const sections = [...html.matchAll(/<section class="case" data-case="([0-9a-f]+)"/g)].map((m) => m[1]);
    expect([...sections].sort()).toEqual(report.cases.map((c) => c.id).sort());
    expect(count(/<li data-evidence="/g)).toBe(2);
    expect(count(/<li data-step="/g)).toBe(report.actions.length);
    expect(html).toContain('<span class="outcome">refused</span>: target: &quot;{{ entity.model }}&quot; may not pick the target');
  });

  it('escapes the hostile model name everywhere: in text, in data attributes, in the SVG', () => {
    expect(count(/<img/gi)).toBe(0);
    expect(html).not.toContain('onmouseover="');
    expect(html).toContain(`data-entity="model:ml-prod/${escapeHtml(HOSTILE_MODEL)}@`);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;`&lt;script&gt;window.__pwned=1&lt;/script&gt;');
    // The line break is shown, not carried into the page.
    expect(html).toContain('window.__pwned=2\\x0a# forged heading');
  });
});
