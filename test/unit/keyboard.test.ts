/**
 * Text mode's pure parts (issue 11): which key-downs travel as text and which as physical keys, the `text`
 * message's checks, and the agent's choice of a key and shift level for a character in the host's mapping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyKeyDown, printableKey, type KeyDownFacts } from '../../src/shared/keys';
import { MAX_TEXT_CODE_POINTS, decodeJson, parseHelperMessage, splitText, type HelperMessage } from '../../src/shared/protocol';
import { codePointOfKeysym, codePoints, indexMapping, keysymForCodePoint, legacyKeysyms, spareKeycodes, spareRow, type KeyboardMapping } from '../../src/agent/keymap';
import { RATE_LIMITS, heldId, isPress } from '../../src/host/guard';
import { JunkMaker } from '../support/fuzz';

const down = (key: string, code: string, mods: Partial<KeyDownFacts> = {}): KeyDownFacts => ({
  key, code, ctrlKey: false, altKey: false, metaKey: false, altGraph: false, composing: false, mac: false, ...mods,
});

describe('classifying key-downs (text mode)', () => {
  it('types printable characters as text, whatever key made them', () => {
    assert.deepEqual(classifyKeyDown(down('a', 'KeyA'), 'text'), { kind: 'text', text: 'a' });
    // German keyboard: the key at US Y types z; a French one types a at US Q.
    assert.deepEqual(classifyKeyDown(down('z', 'KeyY'), 'text'), { kind: 'text', text: 'z' });
    assert.deepEqual(classifyKeyDown(down('a', 'KeyQ'), 'text'), { kind: 'text', text: 'a' });
    // A shifted key with no Shift event (Playwright, on-screen keyboards) is still upper case.
    assert.deepEqual(classifyKeyDown(down('Z', 'KeyZ'), 'text'), { kind: 'text', text: 'Z' });
    assert.deepEqual(classifyKeyDown(down(' ', 'Space'), 'text'), { kind: 'text', text: ' ' });
    assert.deepEqual(classifyKeyDown(down('é', ''), 'text'), { kind: 'text', text: 'é' });
    assert.deepEqual(classifyKeyDown(down('😀', ''), 'text'), { kind: 'text', text: '😀' });
  });

  it('takes AltGr (AltGraph, or Ctrl+Alt off macOS) as text, and macOS Option too', () => {
    assert.deepEqual(classifyKeyDown(down('@', 'KeyQ', { altGraph: true }), 'text'), { kind: 'text', text: '@' });
    assert.deepEqual(classifyKeyDown(down('€', 'KeyE', { ctrlKey: true, altKey: true }), 'text'), { kind: 'text', text: '€' });
    assert.deepEqual(classifyKeyDown(down('å', 'KeyA', { altKey: true, mac: true }), 'text'), { kind: 'text', text: 'å' });
    // On macOS Ctrl+Alt is a shortcut.
    assert.deepEqual(classifyKeyDown(down('a', 'KeyA', { ctrlKey: true, altKey: true, mac: true }), 'text'), { kind: 'physical' });
  });

  it('keeps shortcuts, editing, moving and function keys physical', () => {
    for (const [key, code, mods] of [
      ['c', 'KeyC', { ctrlKey: true }], ['P', 'KeyP', { ctrlKey: true }], ['a', 'KeyA', { metaKey: true }], ['f', 'KeyF', { altKey: true }],
      ['Enter', 'Enter', {}], ['Tab', 'Tab', {}], ['Backspace', 'Backspace', {}], ['ArrowLeft', 'ArrowLeft', {}], ['Escape', 'Escape', {}],
      ['F5', 'F5', {}], ['Shift', 'ShiftLeft', {}], ['Control', 'ControlLeft', {}], ['Delete', 'Delete', {}], ['Home', 'Home', {}],
    ] as const) {
      assert.deepEqual(classifyKeyDown(down(key, code, mods), 'text'), { kind: 'physical' }, `${key} ${code}`);
    }
  });

  it('leaves dead keys, IME composition, AltGr and Caps Lock to the browser', () => {
    assert.deepEqual(classifyKeyDown(down('Dead', 'Equal'), 'text'), { kind: 'local' });
    assert.deepEqual(classifyKeyDown(down('Process', 'KeyN'), 'text'), { kind: 'local' });
    assert.deepEqual(classifyKeyDown(down('n', 'KeyN', { composing: true }), 'text'), { kind: 'local' });
    assert.deepEqual(classifyKeyDown(down('AltGraph', 'AltRight'), 'text'), { kind: 'local' });
    assert.deepEqual(classifyKeyDown(down('CapsLock', 'CapsLock'), 'text'), { kind: 'local' });
    // An unknown code that types nothing is not captured.
    assert.deepEqual(classifyKeyDown(down('Unidentified', 'Lang1'), 'text'), { kind: 'local' });
  });

  it('physical mode sends every known key by position, as before', () => {
    assert.deepEqual(classifyKeyDown(down('z', 'KeyY'), 'physical'), { kind: 'physical' });
    assert.deepEqual(classifyKeyDown(down('Dead', 'Equal'), 'physical'), { kind: 'physical' });
    assert.deepEqual(classifyKeyDown(down('é', ''), 'physical'), { kind: 'local' });
  });

  it('tells one printable character from a named key', () => {
    for (const k of ['a', 'Z', '1', '@', ' ', 'é', '日', '😀', 'e\u0301', '👍🏽']) assert.ok(printableKey(k), k);
    for (const k of ['', 'Enter', 'F1', 'ArrowUp', 'ab', '\n', '\u0000', '\ud800']) assert.ok(!printableKey(k), JSON.stringify(k));
  });
});

describe('the text message', () => {
  it('accepts 1 to 64 code points of text, nothing else', () => {
    assert.deepEqual(parseHelperMessage({ type: 'text', text: 'é日本😀' }), { type: 'text', text: 'é日本😀' });
    assert.deepEqual(parseHelperMessage({ type: 'text', text: '😀'.repeat(64) }), { type: 'text', text: '😀'.repeat(64) });
    for (const text of ['', 'x'.repeat(65), '😀'.repeat(65), 'a\nb', '\t', '\u001b', '\u007f', '\u0085', 'a\ud800', '\u2028', 5, null, ['a']]) {
      assert.equal(parseHelperMessage({ type: 'text', text }), undefined, JSON.stringify(text));
    }
  });

  it('is cut into messages the host accepts, control characters dropped', () => {
    const long = 'a😀'.repeat(50);
    const parts = splitText(long);
    assert.equal(parts.join(''), long);
    assert.equal(parts.length, 2);
    for (const p of parts) assert.ok(parseHelperMessage({ type: 'text', text: p }), p);
    assert.deepEqual(splitText('a\r\nb\u0000'), ['ab']);
    assert.deepEqual(splitText('\n'), []);
    assert.equal([...splitText('x'.repeat(MAX_TEXT_CODE_POINTS * 3))].length, 3);
  });

  it('is rate-limited and never held', () => {
    assert.ok(RATE_LIMITS.text.max > 0 && RATE_LIMITS.text.max <= 100);
    const m: HelperMessage = { type: 'text', text: 'a' };
    assert.equal(heldId(m), undefined);
    assert.equal(isPress(m), false);
  });

  it('sorts random text messages and junk exactly', () => {
    const junk = new JunkMaker(0x7e47);
    for (let i = 0; i < 5_000; i++) {
      const good = junk.wellFormed(['text', 'key']);
      assert.deepEqual(parseHelperMessage(decodeJson(good.text)), good.message, good.text);
      const m = junk.malformed();
      assert.equal(parseHelperMessage(decodeJson(m)), undefined, typeof m === 'string' ? m.slice(0, 200) : 'bytes');
    }
  });
});

describe('keysyms and the host mapping', () => {
  it('maps characters to keysyms: Latin-1 as is, others as Unicode keysyms', () => {
    assert.equal(keysymForCodePoint(0x41), 0x41);
    assert.equal(keysymForCodePoint(0xe9), 0xe9);
    assert.equal(keysymForCodePoint(0x20ac), 0x10020ac);
    assert.equal(keysymForCodePoint(0x65e5), 0x10065e5);
    assert.equal(keysymForCodePoint(0x1f600), 0x101f600);
    assert.equal(codePointOfKeysym(0x10065e5), 0x65e5);
    assert.equal(codePointOfKeysym(0xff0d), undefined, 'Return types no character');
    assert.equal(codePointOfKeysym(0xfe51), undefined, 'dead_acute types no character');
    const legacy = legacyKeysyms({ XK_EuroSign: { code: 0x20ac, description: '(€) EURO SIGN' }, XK_dead_acute: { code: 0xfe51, description: null }, XK_KP_1: { code: 0xffb1, description: '(1) ?' } });
    assert.equal(codePointOfKeysym(0x20ac, legacy), 0x20ac);
    assert.equal(legacy.has(0xffb1), false, 'keypad keysyms are not taken as characters');
    assert.deepEqual(codePoints('e\u0301日'), [0xe9, 0x65e5]);
  });

  // Rows as a German (de) layout gives them, columns: level 1, 2, group 2 level 1, 2, level 3, 4.
  const de: KeyboardMapping = {
    minKeycode: 8,
    rows: [
      ...Array.from({ length: 16 }, () => [0, 0, 0, 0, 0, 0]), // 8..23
      [0x71, 0x51, 0x71, 0x51, 0x40, 0x7d9], // 24: q Q q Q at Greek_OMEGA
      [0x77, 0x57, 0x77, 0x57, 0x1b3, 0x1a3], // 25: w W
      [0x65, 0x45, 0x65, 0x45, 0x20ac, 0], // 26: e E e E EuroSign
      [0x32, 0x22, 0x32, 0x22, 0xb2, 0], // 27: 2 " ... twosuperior
      [0xfe03, 0, 0xfe03, 0], // 28: ISO_Level3_Shift
      [0xffe1, 0, 0xffe1, 0], // 29: Shift_L
      [0x40, 0, 0, 0, 0, 0], // 30: at on level 1 elsewhere (wins over AltGr+q)
      [0, 0, 0, 0, 0, 0], // 31: empty, but a modifier
      [0, 0, 0, 0, 0, 0], // 32: spare
    ],
  };
  const legacy = new Map([[0x20ac, 0x20ac], [0x7d9, 0x3a9]]);

  it('picks the lowest level, then the lowest keycode; AltGr levels only with a Level3 key', () => {
    const index = indexMapping(de, { hasLevel3: true, legacy });
    assert.deepEqual(index.get(0x71), { keycode: 24, level: 0 });
    assert.deepEqual(index.get(0x51), { keycode: 24, level: 1 });
    assert.deepEqual(index.get(0x22), { keycode: 27, level: 1 });
    assert.deepEqual(index.get(0x40), { keycode: 30, level: 0 });
    assert.deepEqual(index.get(0x20ac), { keycode: 26, level: 2 });
    assert.deepEqual(index.get(0x3a9), { keycode: 24, level: 3 });
    assert.equal(index.get(0x65e5), undefined);
    const noLevel3 = indexMapping(de, { hasLevel3: false, legacy });
    assert.equal(noLevel3.get(0x20ac), undefined);
    assert.deepEqual(noLevel3.get(0x51), { keycode: 24, level: 1 });
  });

  it('borrows only keycodes that type nothing and are no modifier', () => {
    assert.deepEqual(spareKeycodes(de, new Set([31])).slice(0, 2), [32, 23]);
    assert.ok(!spareKeycodes(de, new Set([31])).includes(31));
    assert.deepEqual(spareRow(0x10065e5, 7), [0x10065e5, 0x10065e5, 0, 0, 0x10065e5, 0x10065e5, 0]);
  });
});
