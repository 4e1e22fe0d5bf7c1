/**
 * The environment's PKI, made with openssl: a CA, the kube-apiserver's serving certificate
 * (SANs for loopback and the in-cluster names) and the service-account signing key pair.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './process.ts';

/** Paths of the files {@link makePki} writes. */
export interface Pki {
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

const apiserverSans = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

/** Writes the PKI into `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true });
  const f = (name: string): string => join(dir, name);
  const pki: Pki = {
    caCert: f('ca.crt'),
    caKey: f('ca.key'),
    apiserverCert: f('apiserver.crt'),
    apiserverKey: f('apiserver.key'),
    serviceAccountKey: f('sa.key'),
    serviceAccountPub: f('sa.pub'),
  };
  const ssl = (...args: string[]): Promise<string> => runCommand('openssl', args, { cwd: dir });
  await ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', pki.caKey, '-out', pki.caCert, '-days', '3650', '-subj', '/CN=eddy-test-ca');
  await ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pki.apiserverKey, '-out', f('apiserver.csr'), '-subj', '/CN=kube-apiserver');
  await writeFile(f('apiserver.ext'), `subjectAltName=${apiserverSans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature,keyEncipherment\n`);
  await ssl('x509', '-req', '-in', f('apiserver.csr'), '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-out', pki.apiserverCert, '-days', '3650', '-extfile', f('apiserver.ext'));
  await ssl('genrsa', '-out', pki.serviceAccountKey, '2048');
  await ssl('rsa', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub);
  return pki;
}
