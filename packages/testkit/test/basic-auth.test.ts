import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkBasicAuth } from '../src/env/basic-auth.ts';

const request = (authorization?: string): IncomingMessage => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;
const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

describe('checkBasicAuth', () => {
  it.each([
    ['no header', undefined, 'anonymous'],
    ['the right user and password', basic('git:s3cret'), 'authorized'],
    ['a password containing a colon', basic('git:s3:cret'), 'denied'],
    ['a wrong password', basic('git:nope'), 'denied'],
    ['a wrong user', basic('other:s3cret'), 'denied'],
    ['no colon', basic('gits3cret'), 'denied'],
    ['another scheme', 'Bearer abc', 'denied'],
    ['an empty basic value', 'Basic ', 'denied'],
  ])('%s', (_, header, expected) => {
    expect(checkBasicAuth(request(header), 'git', 's3cret')).toBe(expected);
  });

  it('accepts a configured password that contains a colon', () => {
    expect(checkBasicAuth(request(basic('git:s3:cret')), 'git', 's3:cret')).toBe('authorized');
  });
});
