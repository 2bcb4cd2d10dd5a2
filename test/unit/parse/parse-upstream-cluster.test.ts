import { describe, expect, it } from 'vitest';
import { namespaceOfServiceFqdn, parseUpstreamCluster, stripClusterSuffix } from '../../../src/parse/parse-upstream-cluster.js';

describe('parseUpstreamCluster', () => {
  it.each([
    {
      cluster: 'outbound|8000||httpbin.foo.svc.cluster.local',
      expected: { direction: 'outbound', destinationService: 'httpbin.foo.svc.cluster.local', destinationNamespace: 'foo' },
    },
    {
      cluster: 'outbound|9080|v2|reviews.bookinfo.svc.corp.internal',
      expected: { direction: 'outbound', destinationService: 'reviews.bookinfo.svc.corp.internal', destinationNamespace: 'bookinfo' },
    },
    { cluster: 'outbound|443||edition.cnn.com', expected: { direction: 'outbound', destinationService: 'edition.cnn.com' } },
    {
      cluster: 'outbound_.8000_._.httpbin.foo.svc.cluster.local',
      expected: { direction: 'outbound', destinationService: 'httpbin.foo.svc.cluster.local', destinationNamespace: 'foo' },
    },
    {
      cluster: 'inbound|8080|http-8080|scrappers-service.default.svc.cluster.local',
      expected: { direction: 'inbound', destinationService: 'scrappers-service.default.svc.cluster.local', destinationNamespace: 'default' },
    },
    { cluster: 'PassthroughCluster', expected: { direction: 'outbound' } },
    { cluster: 'BlackHoleCluster', expected: { direction: 'outbound' } },
    { cluster: 'InboundPassthroughClusterIpv4', expected: { direction: 'inbound' } },
    { cluster: 'some-custom-cluster', expected: {} },
  ])('reads $cluster', ({ cluster, expected }) => {
    expect(parseUpstreamCluster(cluster)).toStrictEqual(expected);
  });

  it('takes the inbound service from the mTLS SNI, and answers per SNI for the same cluster', () => {
    expect(parseUpstreamCluster('inbound|8000||', 'outbound_.8000_._.httpbin.foo.svc.cluster.local')).toStrictEqual({
      direction: 'inbound',
      destinationService: 'httpbin.foo.svc.cluster.local',
      destinationNamespace: 'foo',
    });
    expect(parseUpstreamCluster('inbound|8000||', 'outbound_.8000_.v1_.echo.bar.svc.cluster.local')).toStrictEqual({
      direction: 'inbound',
      destinationService: 'echo.bar.svc.cluster.local',
      destinationNamespace: 'bar',
    });
    expect(parseUpstreamCluster('inbound|8000||', 'kubeflow.kubefrog.fr')).toStrictEqual({ direction: 'inbound' });
    expect(parseUpstreamCluster('inbound|8000||')).toStrictEqual({ direction: 'inbound' });
  });

  it('has nothing to say without a cluster', () => {
    expect(parseUpstreamCluster(undefined)).toStrictEqual({});
  });
});

describe('namespaceOfServiceFqdn', () => {
  it.each([
    ['httpbin.foo.svc.cluster.local', 'foo'],
    ['httpbin.foo.svc', 'foo'],
    ['edition.cnn.com', undefined],
    ['foo.svcx.cluster.local', undefined],
    ['httpbin', undefined],
    ['.foo.svc.cluster.local', undefined],
  ])('%s -> %s', (fqdn, namespace) => {
    expect(namespaceOfServiceFqdn(fqdn)).toBe(namespace);
  });
});

describe('stripClusterSuffix', () => {
  it('drops the ";..." Istio 1.23-1.24 appended and leaves other names alone', () => {
    expect(stripClusterSuffix('outbound|80||a.b.svc.cluster.local;')).toBe('outbound|80||a.b.svc.cluster.local');
    expect(stripClusterSuffix('outbound|80||a.b.svc.cluster.local;a.b')).toBe('outbound|80||a.b.svc.cluster.local');
    expect(stripClusterSuffix('inbound|80||')).toBe('inbound|80||');
  });
});
