import { describe, expect, it } from 'vitest';
import { withEnvoy } from '../../env/backends.js';
import { ENVOY_UPSTREAM_CLUSTER } from '../../env/envoy-proxy.js';

// /work/shared/reference/input-formats.md §1.3, the shape of Istio's default TEXT line (22 fields).
const ISTIO_TEXT_LINE =
  /^\[(?<start_time>[^\]]+)\] "(?<method>\S+) (?<path>\S+) (?<protocol>\S+)" (?<code>\d+) (?<flags>\S+) (?<details>\S+) (?<term>\S+) "(?<utfr>[^"]*)" (?<bytes_rx>\d+) (?<bytes_tx>\d+) (?<duration>\d+) (?<ust>\S+) "(?<xff>[^"]*)" "(?<ua>[^"]*)" "(?<reqid>[^"]*)" "(?<authority>[^"]*)" "(?<upstream_host>[^"]*)" (?<cluster>\S+) (?<ula>\S+) (?<dla>\S+) (?<dra>\S+) (?<sni>\S+) (?<route>\S+)\s*$/;

describe('Envoy test backend', () => {
  it('writes one Istio-format access-log line per proxied request, with the upstream status', async () => {
    const run = await withEnvoy([
      { path: '/v1/models/fraud:predict?shadow=1', method: 'POST', body: '{"instances":[[1,2,3]]}', headers: { 'user-agent': 'smoke/1', 'x-request-id': 'req-ok-1' } },
      { path: '/v1/models/fraud', headers: { 'x-upstream-status': '503', 'x-request-id': 'req-fail-2' } },
    ]);

    expect(run.responses.map((r) => r.status)).toEqual([200, 503]);
    expect(run.accessLogLines).toHaveLength(2);
    const [ok, failed] = run.accessLogLines.map((line) => ISTIO_TEXT_LINE.exec(line)?.groups);
    expect(ok).toMatchObject({
      method: 'POST',
      path: '/v1/models/fraud:predict?shadow=1',
      protocol: 'HTTP/1.1',
      code: '200',
      flags: '-',
      details: 'via_upstream',
      bytes_rx: '23',
      ua: 'smoke/1',
      reqid: 'req-ok-1',
      cluster: ENVOY_UPSTREAM_CLUSTER,
      route: 'default',
    });
    expect(ok?.['start_time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(ok?.['upstream_host']).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(failed).toMatchObject({ method: 'GET', code: '503', reqid: 'req-fail-2', details: 'via_upstream' });
  });

  it('marks a request the upstream is too slow for with 504 and flag UT', async () => {
    const run = await withEnvoy([{ path: '/slow' }], {
      routeTimeoutMs: 200,
      upstream: (_req, res) => {
        setTimeout(() => res.end('late'), 1_000);
      },
    });

    expect(run.responses[0]?.status).toBe(504);
    const fields = ISTIO_TEXT_LINE.exec(run.accessLogLines[0] ?? '')?.groups;
    expect(fields).toMatchObject({ code: '504', flags: 'UT', details: 'response_timeout' });
  });
});
