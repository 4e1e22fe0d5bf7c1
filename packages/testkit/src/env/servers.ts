/**
 * The environment's own HTTP servers in one process: the git smart-HTTP server and the two Helm
 * repositories (without and with basic auth). Started by the environment as
 * `node servers.ts <config.json>`; it listens on the ports the config names.
 */
import { createServer, type RequestListener } from 'node:http';
import { readFile } from 'node:fs/promises';
import { gitHttpHandler } from './git-http.ts';
import { staticFilesHandler } from './static-files.ts';

/** The config file the environment writes for this process. */
export interface ServersConfig {
  git: { port: number; root: string; username: string; password: string };
  helm: { dir: string; plainPort: number; authPort: number; username: string; password: string };
}

async function listen(name: string, port: number, handler: RequestListener): Promise<void> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  console.log(`${name} listening on 127.0.0.1:${port}`);
}

async function main(configFile: string): Promise<void> {
  const config = JSON.parse(await readFile(configFile, 'utf8')) as ServersConfig;
  await listen('git-http', config.git.port, gitHttpHandler(config.git));
  await listen('helm-repo', config.helm.plainPort, staticFilesHandler(config.helm.dir));
  await listen('helm-repo-auth', config.helm.authPort, staticFilesHandler(config.helm.dir, config.helm));
  process.on('SIGTERM', () => process.exit(0));
}

const configFile = process.argv[2];
if (!configFile) {
  console.error('usage: servers.ts <config.json>');
  process.exit(2);
}
main(configFile).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
