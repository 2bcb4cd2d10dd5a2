import { describe, expect, it } from 'vitest';
import { builtInGrids, expandNabGrid, MAX_GRID_SETTINGS } from '../../../../src/bench/nab/nab-grid.js';
import { builtInAlgorithm } from '../../../../src/detect/stats/built-in-algorithms.js';

describe('expandNabGrid', () => {
  it('expands the Cartesian product in declaration order, labelled by the grid values', () => {
    const settings = expandNabGrid({ base: { type: 'range' }, grid: { halfLife: [100, 200], tolerance: [0.1, 0.2, 0.3] } }, 't');
    expect(settings.map((s) => s.label)).toEqual([
      'halfLife=100 tolerance=0.1',
      'halfLife=100 tolerance=0.2',
      'halfLife=100 tolerance=0.3',
      'halfLife=200 tolerance=0.1',
      'halfLife=200 tolerance=0.2',
      'halfLife=200 tolerance=0.3',
    ]);
    expect(settings[4]?.config).toMatchObject({ type: 'range', halfLife: 200, tolerance: 0.2, warmup: 30 });
  });

  it('reaches into ensemble members and options by dotted path without touching the built-in preset', () => {
    const before = JSON.stringify(builtInAlgorithm('meshwarden'));
    const settings = expandNabGrid({ base: 'meshwarden', grid: { 'members.2.tolerance': [0.3], 'holdoff.damping': [0.9] } }, 't');
    expect(settings).toHaveLength(1);
    const config = settings[0]?.config;
    expect(config?.type).toBe('ensemble');
    if (config?.type !== 'ensemble') return;
    expect(config.members[2]).toMatchObject({ type: 'range', tolerance: 0.3 });
    expect(config.holdoff?.damping).toBe(0.9);
    expect(JSON.stringify(builtInAlgorithm('meshwarden'))).toBe(before);
  });

  it('is one setting, labelled base, without a grid', () => {
    const settings = expandNabGrid({ base: 'range' }, 't');
    expect(settings.map((s) => s.label)).toEqual(['base']);
  });

  it('rejects invalid settings, unknown bases, missing members, unsafe paths and oversized grids', () => {
    expect(() => expandNabGrid({ base: 'range', grid: { tolerance: [-1] } }, 'g.yaml')).toThrow(/g\.yaml: setting tolerance=-1/);
    expect(() => expandNabGrid({ base: 'nope' }, 't')).toThrow(/not a built-in detector/);
    expect(() => expandNabGrid({ base: 'meshwarden', grid: { 'members.5.tolerance': [0.1] } }, 't')).toThrow(/not an index/);
    expect(() => expandNabGrid({ base: 'range', grid: { '__proto__.x': [1] } }, 't')).toThrow(/not allowed/);
    expect(() => expandNabGrid({ base: 'range', grid: { halfLife: [] } }, 't')).toThrow(/invalid grid/);
    expect(() => expandNabGrid({ base: 'range', extra: 1 }, 't')).toThrow(/invalid grid/);
    const many = Array.from({ length: 11 }, (_, i) => 100 + i);
    expect(() => expandNabGrid({ base: 'range', grid: { halfLife: many, warmup: many } }, 't')).toThrow(
      new RegExp(`121 settings, more than ${MAX_GRID_SETTINGS}`),
    );
  });

  it('ships built-in grids that expand to valid, small sets', () => {
    for (const [name, grid] of Object.entries(builtInGrids)) {
      const settings = expandNabGrid(grid, name);
      expect(settings.length).toBeGreaterThan(1);
      expect(settings.length).toBeLessThanOrEqual(27);
    }
  });
});
