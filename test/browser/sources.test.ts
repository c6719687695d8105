import { describe, expect, it } from 'vitest';
import { readAll, readJsonlDocuments, readTextDocuments } from '../../src/data/sources/index.js';
import { AgentClassifier } from '../../src/forge/classifier.js';
import { deduplicate } from '../../src/forge/dedup.js';

describe('Forge sources in Chromium', () => {
  it('streams a File and a blob: URL, reporting a broken line with file and line', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ text: `document ${i} ${'é'.repeat(i % 7)}`, kind: i % 2 ? 'code' : 'text' }));
    lines.splice(1234, 0, '{"text": broken');
    const file = new File([lines.join('\n')], 'user.jsonl', { type: 'application/json' });
    await expect(readAll(readJsonlDocuments(file))).rejects.toThrow('user.jsonl:1235: invalid JSON');
    const lenient = await readAll(readJsonlDocuments(file, { onError: 'skip' }));
    expect(lenient.items).toHaveLength(2000);
    expect(lenient.stats.skipped).toBe(1);
    expect(lenient.stats.errors[0]).toMatchObject({ file: 'user.jsonl', line: 1235 });
    expect(lenient.items[3]).toMatchObject({ kind: 'code', text: 'document 3 ééé' });

    const url = URL.createObjectURL(new Blob(['First paragraph.\n\nSecond one,\nstill second.\n']));
    try {
      const { items } = await readAll(readTextDocuments(url, { split: 'paragraph' }));
      expect(items.map((document) => document.text)).toEqual(['First paragraph.', 'Second one,\nstill second.']);
    } finally {
      URL.revokeObjectURL(url);
    }
  });

  it('dedup and the classifier run in the page', async () => {
    const documents = ['Call get_weather(city="Paris") to read the forecast.', 'call GET_WEATHER(city = "Paris") to read the forecast.', 'To be, or not to be.']
      .map((text, i) => ({ kind: 'text' as const, source: `d${i}`, text }));
    const { kept, removedExact } = await deduplicate(documents);
    expect(removedExact).toBe(1);
    expect(kept.map((document) => document.source)).toEqual(['d0', 'd2']);
    const examples = Array.from({ length: 60 }, (_, i) => i % 2
      ? { text: `Use the api_${i}(value=${i}) function; it returns JSON with a status field.`, label: 'agent' as const }
      : { text: `The ${i}th morning was grey and the river ran slow beside the town.`, label: 'general' as const });
    const classifier = AgentClassifier.train(examples, { epochs: 20, seed: 1 });
    expect(classifier.evaluate(examples).accuracy).toBe(1);
    expect(classifier.probability('Use the api_99(value=3) function; it returns JSON.'))
      .toBeGreaterThan(classifier.probability('The last morning was grey beside the town.'));
    expect(AgentClassifier.fromBytes(classifier.toBytes()).probability('grey morning by the river')).toBeCloseTo(classifier.probability('grey morning by the river'), 6);
  });
});
