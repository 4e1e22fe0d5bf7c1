// Mistakes get one line on stderr and a non-zero exit: 2 for the command line, 1 for the cluster.
import { installEddyCrds, testEnv, testNamespace } from '@eddy/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { eddy } from './helpers.ts';

beforeAll(async () => {
  await installEddyCrds(testEnv());
});

describe('eddy errors', () => {
  it.each([
    [['get', 'kustomizations', '--bogus'], "✗ unknown option '--bogus'"],
    [['bogus'], "✗ unknown command 'bogus'"],
    [['create', 'source', 'git', 'x', '--export'], "✗ required option '--url <url>' not specified"],
    [['create', 'source', 'git', 'x', '--url=ftp://x', '--export'], "✗ invalid --url 'ftp://x': expected an http://, https:// or ssh:// address"],
    [['create', 'ks', 'x', '--source=x', '--interval=soon', '--export'], '✗ invalid --interval: invalid duration "soon": expected a number with a unit (ns, us, ms, s, m, h), e.g. 1m30s'],
    [['get', 'ks', '--timeout=0s'], '✗ invalid --timeout: 0s must be greater than zero'],
    [['install', '--components=helm-controller', '--export'], "✗ component 'helm-controller' is not part of Eddy yet: available are source-controller, kustomize-controller"],
    [['export', 'kustomization'], '✗ name or --all is required: eddy export kustomization <name>'],
    [['build', 'ks', 'x', '--path=.', '--dry-run'], '✗ --dry-run needs --kustomization-file: without the cluster the Kustomization comes from a file'],
  ])('usage: eddy %j', async (args, line) => {
    expect(await eddy(args)).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
  });

  it('a missing object or an unreachable cluster is one line and exit 1', async () => {
    const ns = await testNamespace(testEnv(), 'cli-errors');
    for (const args of [['reconcile', 'kustomization', 'nope'], ['suspend', 'source', 'git', 'nope'], ['resume', 'ks', 'nope'], ['export', 'source', 'oci', 'nope'], ['tree', 'ks', 'nope']]) {
      const kind = args[1] === 'source' ? (args[2] === 'git' ? 'GitRepository' : 'OCIRepository') : 'Kustomization';
      expect(await eddy([...args, '-n', ns])).toEqual({ code: 1, stdout: '', stderr: `✗ ${kind} 'nope' not found in namespace '${ns}'\n` });
    }
    const unreachable = await eddy(['get', 'ks', '--kubeconfig=/nonexistent/kubeconfig']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.split('\n')).toEqual([expect.stringMatching(/^✗ cannot load kubeconfig \/nonexistent\/kubeconfig: /), '']);
  });

  it('diff: a missing Kustomization is an error (exit 2, as flux diff)', async () => {
    const ns = await testNamespace(testEnv(), 'cli-errors');
    expect(await eddy(['diff', 'ks', 'nope', '--path=.', '-n', ns])).toEqual({ code: 2, stdout: '', stderr: `✗ Kustomization 'nope' not found in namespace '${ns}'\n` });
  });
});
