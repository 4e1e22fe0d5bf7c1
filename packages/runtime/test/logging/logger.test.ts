import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/logger.ts';
import { redactUrls } from '../../src/logging/redact.ts';

function capture(level: 'debug' | 'info' | 'error' = 'info', encoding: 'json' | 'console' = 'json') {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ level, encoding, name: 'source-controller', stream }), lines };
}

describe('redactUrls', () => {
  it.each([
    ['clone https://user:s3cret@git.example.com/repo.git failed', 'clone https://git.example.com/repo.git failed'],
    ['ssh://git@github.com/org/repo', 'ssh://github.com/org/repo'],
    ['oci://token:x@registry.example/app and http://a:b@c/d', 'oci://registry.example/app and http://c/d'],
    ['no url here, user:pass@host is not a URL', 'no url here, user:pass@host is not a URL'],
    ['https://git.example.com/repo.git', 'https://git.example.com/repo.git'],
  ])('%s', (input, output) => {
    expect(redactUrls(input)).toBe(output);
  });
});

describe('createLogger', () => {
  it('writes JSON lines with the keys flux logs reads, in order, and redacts URLs', async () => {
    const { logger, lines } = capture();
    logger.child({ controllerKind: 'GitRepository', name: 'podinfo', namespace: 'flux-system', reconcileID: 'r1' }).error('fetch failed', {
      error: new Error('GET https://bot:tok3n@git.example.com/repo: 401'),
    });
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(line)).toEqual(['ts', 'level', 'logger', 'msg', 'controllerKind', 'name', 'namespace', 'reconcileID', 'error']);
    expect(line).toMatchObject({
      level: 'error',
      logger: 'source-controller',
      msg: 'fetch failed',
      controllerKind: 'GitRepository',
      name: 'podinfo',
      namespace: 'flux-system',
      reconcileID: 'r1',
      error: 'GET https://git.example.com/repo: 401',
    });
    expect(line['ts']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(lines[0]).not.toContain('tok3n');
  });

  it('honours the level', async () => {
    const { logger, lines } = capture('info');
    logger.debug('hidden');
    logger.info('shown');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['shown']);
  });

  it('has a console encoding for people', async () => {
    const { logger, lines } = capture('info', 'console');
    logger.info('reconciled', { name: 'podinfo' });
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatch(/^\S+ INFO source-controller reconciled name=podinfo$/);
  });
});

describe('createLogger with awkward values', () => {
  it('writes circular and bigint fields instead of throwing', async () => {
    const { logger, lines } = capture();
    const loop: Record<string, unknown> = { a: 1 };
    loop['self'] = loop;
    logger.info('odd', { loop, big: 10n });
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'odd', loop: { a: 1, self: '[Circular]' }, big: '10' });
  });
});
