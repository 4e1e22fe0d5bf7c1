/**
 * What every command gets: the global flags (`--kubeconfig`, `--context`, `-n/--namespace`,
 * `--timeout`, `--verbose`), the output streams, a Kubernetes client made on first use, and
 * the progress printer. Commands never read `process` themselves: main.ts hands it in.
 */
import { parseDuration, type Duration } from '@eddy/api';
import { Writable } from 'node:stream';
import { ObjectClient, createLogger, type Logger } from '@eddy/runtime';
import { KubeConfig } from '@kubernetes/client-node';
import { CliError } from './errors.ts';
import { Progress } from './output/progress.ts';

/** The process the CLI runs in: its output streams and environment, from main.ts. */
export interface CliIO {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** The environment (PATH, HOME, KUBECONFIG); commands that spawn tools pass on what they need. */
  env: Readonly<Record<string, string | undefined>>;
  /** The working folder relative paths are resolved against. */
  cwd: string;
  /**
   * Calls `listener` once when the process is asked to stop (SIGINT, SIGTERM), instead of the
   * default of exiting at once: for long-running commands (`eddy run`) that stop cleanly.
   */
  onStop?: (listener: () => void) => void;
  /** Asks the person at the terminal a yes/no question; absent when no one is there (stdin is not a TTY). */
  confirm?: (question: string) => Promise<boolean>;
}

/** The global flags, as commander parses them. */
export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  timeout: string;
  verbose?: boolean;
}

/** Default of `--namespace`, as the flux CLI's. */
export const defaultNamespace = 'flux-system';

/** A command's view of the CLI: flags, streams, client and progress. */
export class CliContext {
  readonly io: CliIO;
  readonly namespace: string;
  readonly timeout: Duration;
  readonly verbose: boolean;
  readonly progress: Progress;
  readonly #options: GlobalOptions;
  readonly #state: { exitCode: number };
  #kubeConfig: KubeConfig | undefined;
  #client: ObjectClient | undefined;
  #signal: AbortSignal | undefined;

  constructor(io: CliIO, options: GlobalOptions, state: { exitCode: number } = { exitCode: 0 }) {
    this.io = io;
    this.#options = options;
    this.#state = state;
    this.namespace = options.namespace;
    try {
      this.timeout = parseDuration(options.timeout);
    } catch (err) {
      throw new CliError(`invalid --timeout: ${err instanceof Error ? err.message : String(err)}`, { usage: true });
    }
    if (this.timeout.milliseconds <= 0) throw new CliError(`invalid --timeout: ${options.timeout} must be greater than zero`, { usage: true });
    this.verbose = options.verbose ?? false;
    this.progress = new Progress(io.stderr);
  }

  /** The client configuration: `--kubeconfig` (else KUBECONFIG or ~/.kube/config) and `--context`. */
  kubeConfig(): KubeConfig {
    if (this.#kubeConfig) return this.#kubeConfig;
    const kc = new KubeConfig();
    const file = this.#options.kubeconfig || this.io.env['KUBECONFIG'];
    try {
      if (file && !file.includes(':')) kc.loadFromFile(file);
      else kc.loadFromDefault();
    } catch (err) {
      throw new CliError(`cannot load kubeconfig${file ? ` ${file}` : ''}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.#options.context) {
      if (!kc.getContextObject(this.#options.context)) throw new CliError(`context "${this.#options.context}" not found in the kubeconfig`);
      kc.setCurrentContext(this.#options.context);
    }
    if (!kc.getCurrentCluster()) throw new CliError('the kubeconfig has no current cluster: pass --kubeconfig or --context');
    this.#kubeConfig = kc;
    return kc;
  }

  /** The plain-JSON client of the current cluster. */
  client(): ObjectClient {
    this.#client ??= new ObjectClient(this.kubeConfig(), { userAgent: 'eddy', defaultNamespace: this.namespace });
    return this.#client;
  }

  /** Sets the exit code of a command that succeeded with something to report (`eddy diff`: 1 when there are changes). */
  set exitCode(code: number) {
    this.#state.exitCode = code;
  }

  /** A logger for the libraries commands use (the apply engine), on stderr; debug lines with `--verbose`. */
  logger(): Logger {
    const stderr = this.io.stderr;
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done): void {
        stderr.write(chunk.toString('utf8'));
        done();
      },
    });
    return createLogger({ level: this.verbose ? 'debug' : 'error', encoding: 'console', name: 'eddy', stream });
  }

  /** Aborts when `--timeout` has passed since the command started. */
  signal(): AbortSignal {
    this.#signal ??= AbortSignal.timeout(this.timeout.milliseconds);
    return this.#signal;
  }
}
