import crypto from 'node:crypto';
import { expect } from 'chai';
import { base64Line } from '../../src/formats/base64-line.js';

describe('base64Line (one line of BINARY2 text)', () => {
  it('is the base64 text of the first n bytes and a newline, for lengths around its pieces and the writers block', () => {
    const bytes = crypto.randomBytes(3 * (1 << 15) + 7);
    for (const n of [0, 1, 2, 3, 4, 49151, 49152, 49153, 98303, 98304, 3 * (1 << 15) + 5]) {
      const line = base64Line(bytes, n);
      expect(line.toString('latin1'), `n = ${n}`).to.equal(`${bytes.toString('base64', 0, n)}\n`);
    }
  });
});
