import { describe, expect, it } from 'vitest';
import { decodeSecretData } from '../src/secrets.ts';

describe('decodeSecretData', () => {
  it('decodes the base64 data of a Secret into bytes', () => {
    expect(decodeSecretData({ username: Buffer.from('git').toString('base64'), password: Buffer.from('p:w').toString('base64') })).toEqual({
      username: Buffer.from('git'),
      password: Buffer.from('p:w'),
    });
    expect(decodeSecretData(undefined)).toEqual({});
  });
});
