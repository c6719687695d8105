import { describe, expect, it } from 'vitest';
import { PRESETS, resolveConfig, validateConfig, type PresetName } from '../../src/model/config.js';
import { countParams } from '../../src/model/params.js';
import { ConfigError } from '../../src/util/errors.js';

describe('model config', () => {
  it.each([
    ['nano', 0.4e6, 0.7e6],
    ['tiny', 2.5e6, 3.5e6],
    ['small', 17e6, 23e6],
  ] as [PresetName, number, number][])('preset %s has about the advertised parameter count', (name, low, high) => {
    const count = countParams(PRESETS[name]);
    expect(count).toBeGreaterThan(low);
    expect(count).toBeLessThan(high);
  });

  it.each([
    [{ nHeads: 5 }, 'nHeads'],
    [{ nLayers: 0 }, 'nLayers'],
    [{ dModel: 12.5 }, 'dModel'],
    [{ nKvHeads: 3 }, 'nKvHeads'],
    [{ normEps: 0 }, 'normEps'],
    [{ vocabSize: -1 }, 'vocabSize'],
  ])('rejects %o naming the field', (overrides, field) => {
    const attempt = () => resolveConfig('nano', overrides);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`"${field}"`);
  });

  it('rejects an unknown preset by name', () => {
    expect(() => resolveConfig('huge' as PresetName)).toThrow(/"preset".*huge/);
  });

  it('keeps nKvHeads equal to nHeads when only nHeads is overridden', () => {
    const config = resolveConfig('nano', { nHeads: 8 });
    expect(config.nKvHeads).toBe(8);
    expect(() => validateConfig(config)).not.toThrow();
  });
});
