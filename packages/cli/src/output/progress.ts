/**
 * Progress lines on stderr with the flux CLI's markers (► doing, ✔ done, ◎ waiting, ⚠ warning),
 * so stdout carries only data (tables, YAML) and can be piped.
 */

/** Writes progress lines to a stream. */
export class Progress {
  readonly #out: { write(text: string): unknown };

  constructor(out: { write(text: string): unknown }) {
    this.#out = out;
  }

  /** An action starts: `► annotating Kustomization apps in flux-system namespace`. */
  action(message: string): void {
    this.#out.write(`► ${message}\n`);
  }

  /** An action finished: `✔ Kustomization annotated`. */
  success(message: string): void {
    this.#out.write(`✔ ${message}\n`);
  }

  /** Waiting for the cluster: `◎ waiting for Kustomization reconciliation`. */
  waiting(message: string): void {
    this.#out.write(`◎ ${message}\n`);
  }

  /** Something the user should know that does not fail the command. */
  warning(message: string): void {
    this.#out.write(`⚠️ ${message}\n`);
  }
}
