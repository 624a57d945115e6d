import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { crc32, crc32Table, encodePng } from '../../src/agent/png';

describe('PNG', () => {
  it('sums with the CRC-32 that PNG defines, natively or in JavaScript alike', () => {
    const check = new TextEncoder().encode('123456789');
    assert.equal(crc32(check), 0xcbf43926);
    assert.equal(crc32Table(check), 0xcbf43926);
    for (const size of [0, 1, 300, 65_537]) {
      const bytes = randomBytes(size);
      assert.equal(crc32(bytes), crc32Table(bytes), `${size} bytes`);
    }
  });

  it("encodes a rectangle whose chunks' sums check out, with the pixels inside", () => {
    const pixels = { data: new Uint8Array(randomBytes(64 * 32 * 4)), width: 64, height: 32 };
    const png = encodePng(pixels, 8, 4, 20, 10);
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    let at = 8;
    const types: string[] = [];
    while (at < png.length) {
      const length = view.getUint32(at);
      types.push(new TextDecoder().decode(png.subarray(at + 4, at + 8)));
      assert.equal(view.getUint32(at + 8 + length), crc32Table(png.subarray(at + 4, at + 8 + length)), `${types.at(-1)} sum`);
      at += 12 + length;
    }
    assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
    const raw = inflateSync(png.subarray(8 + 25 + 8, 8 + 25 + 8 + view.getUint32(8 + 25)));
    assert.equal(raw.length, 10 * (1 + 20 * 3));
  });
});
