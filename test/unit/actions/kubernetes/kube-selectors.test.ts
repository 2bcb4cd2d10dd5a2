import { describe, expect, it } from 'vitest';
import type { V1LabelSelector } from '@kubernetes/client-node';
import { labelSelectorKeys, labelSelectorMatches, labelSelectorString, serviceSelectorMatches } from '../../../../src/actions/kubernetes/kube-selectors.js';
import { kubeObject } from '../../../env/kube-object.js';

const selector = (value: Parameters<typeof kubeObject<V1LabelSelector>>[0]): V1LabelSelector => kubeObject<V1LabelSelector>(value);

describe('labelSelectorMatches', () => {
  const labels = { app: 'model', tier: 'inference', 'pod-template-hash': 'abc' };

  it('requires every matchLabels entry', () => {
    expect(labelSelectorMatches(selector({ matchLabels: { app: 'model', 'pod-template-hash': 'abc' } }), labels)).toBe(true);
    expect(labelSelectorMatches(selector({ matchLabels: { app: 'model', 'pod-template-hash': 'xyz' } }), labels)).toBe(false);
  });

  it('evaluates In, NotIn, Exists and DoesNotExist like the API server', () => {
    const matches = (operator: string, key: string, values?: string[]): boolean =>
      labelSelectorMatches(selector({ matchExpressions: [{ key, operator, ...(values === undefined ? {} : { values }) }] }), labels);
    expect([matches('In', 'tier', ['inference', 'batch']), matches('In', 'tier', ['batch']), matches('In', 'zone', ['a'])]).toEqual([true, false, false]);
    expect([matches('NotIn', 'tier', ['batch']), matches('NotIn', 'tier', ['inference']), matches('NotIn', 'zone', ['a'])]).toEqual([true, false, true]);
    expect([matches('Exists', 'app'), matches('Exists', 'zone')]).toEqual([true, false]);
    expect([matches('DoesNotExist', 'zone'), matches('DoesNotExist', 'app')]).toEqual([true, false]);
    expect(matches('Unknown', 'app')).toBe(false);
  });

  it('selects everything with an empty selector and nothing without one', () => {
    expect(labelSelectorMatches(selector({}), labels)).toBe(true);
    expect(labelSelectorMatches(undefined, labels)).toBe(false);
  });
});

describe('serviceSelectorMatches', () => {
  it('needs every entry, and a Service without selector selects no pod', () => {
    expect(serviceSelectorMatches({ app: 'model' }, { app: 'model', tier: 'x' })).toBe(true);
    expect(serviceSelectorMatches({ app: 'model', tier: 'y' }, { app: 'model', tier: 'x' })).toBe(false);
    expect(serviceSelectorMatches({}, { app: 'model' })).toBe(false);
    expect(serviceSelectorMatches(undefined, { app: 'model' })).toBe(false);
  });
});

describe('labelSelectorString and labelSelectorKeys', () => {
  it('render every requirement in list-call syntax and name every key read', () => {
    const s = selector({
      matchLabels: { app: 'model' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['a', 'b'] },
        { key: 'zone', operator: 'NotIn', values: ['c'] },
        { key: 'gpu', operator: 'Exists' },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(labelSelectorString(s)).toBe('app=model,tier in (a,b),zone notin (c),gpu,!canary');
    expect(labelSelectorKeys(s)).toEqual(['app', 'tier', 'zone', 'gpu', 'canary']);
  });
});
