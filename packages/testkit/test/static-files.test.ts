import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticFilesHandler } from '../src/env/static-files.ts';

let top: string;
let open: Server;
let locked: Server;
const url = (s: Server, path: string): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}${path}`;

async function listen(s: Server): Promise<Server> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

beforeAll(async () => {
  top = await mkdtemp(join(tmpdir(), 'eddy-static-'));
  await mkdir(join(top, 'repo'));
  await writeFile(join(top, 'repo', 'index.yaml'), 'apiVersion: v1\nentries: {}\n');
  await writeFile(join(top, 'secret.txt'), 'outside the root');
  open = await listen(createServer(staticFilesHandler(join(top, 'repo'))));
  locked = await listen(createServer(staticFilesHandler(join(top, 'repo'), { username: 'u', password: 'p' })));
});

afterAll(async () => {
  open.close();
  locked.close();
  await rm(top, { recursive: true, force: true });
});

describe('staticFilesHandler', () => {
  it('serves a file of the root with its type', async () => {
    const res = await fetch(url(open, '/index.yaml'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-yaml');
    expect(await res.text()).toBe('apiVersion: v1\nentries: {}\n');
  });

  it.each([['/missing.tgz'], ['/%2e%2e/secret.txt'], ['/..%2fsecret.txt'], ['/']])('answers 404 for %s', async (path) => {
    expect((await fetch(url(open, path))).status).toBe(404);
  });

  it('refuses other methods', async () => {
    expect((await fetch(url(open, '/index.yaml'), { method: 'POST' })).status).toBe(405);
  });

  it('asks for credentials on the locked variant and serves with them', async () => {
    const anonymous = await fetch(url(locked, '/index.yaml'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="eddy-helm"');
    const wrong = await fetch(url(locked, '/index.yaml'), { headers: { authorization: `Basic ${Buffer.from('u:x').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(url(locked, '/index.yaml'), { headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` } });
    expect(right.status).toBe(200);
  });
});
