/**
 * The results of the MTTP benchmark (e2e/bench/mttp.ts): their JSON shape and their Markdown
 * table, kept apart from the run so a results file can be rendered again
 * (`npm run bench:mttp -- --render <file.json>`).
 */
import type { CpuSeconds } from '@eddy/testkit/bench';

/** The figures of one controller in one run. */
export interface ControllerFigures {
  peakRssMiB: number;
  peakTreeRssMiB: number;
  /** CPU seconds from the first create until all were Ready. */
  cpuSeconds: CpuSeconds;
  errorLogLines: number;
  /** controller_runtime_reconcile_total by result. */
  reconciles: Record<string, number>;
  /** Mean of gotk_reconcile_duration_seconds per kind. */
  meanReconcileSeconds: Record<string, number>;
}

/** The figures of one profile. */
export interface RunFigures {
  profile: string;
  note: string;
  flags: { 'source-controller': string[]; 'kustomize-controller': string[] };
  /** Node.js flags the controllers ran with, if any. */
  controllerNodeOptions?: string;
  completed: boolean;
  createSeconds: number;
  sourcesReadySeconds: number | null;
  kustomizationsReadySeconds: number | null;
  kustomizationsReadyMedianSeconds: number | null;
  readyAtEnd: { OCIRepository: number; Kustomization: number };
  /** Requests the API server served from the first create until all were Ready (everyone's: the controllers', the benchmark's, kube-controller-manager's). */
  apiRequests: { total: number; meanLatencyMs: Record<string, number>; top: Record<string, number> };
  /** CPU seconds of each environment process (kube-apiserver, etcd, kube-controller-manager, ...) in the same window. */
  environmentCpuSeconds: Record<string, number>;
  /** The whole machine's CPU in the same window: busy core-seconds of those there were (other work on the machine shows here). */
  machineCpu: { busySeconds: number; coreSeconds: number; busyPercent: number };
  /** CPU seconds of the benchmark's own process in the same window (creating the objects, watching them); absent in older results. */
  harnessCpuSeconds?: number;
  /** Ready=False reasons of the Kustomizations not Ready when the run ended (only when it did not complete). */
  notReadyReasons?: Record<string, number>;
  controllers: { 'source-controller': ControllerFigures; 'kustomize-controller': ControllerFigures };
  /** The machine's 1-minute load average when the creates started and when all were Ready (other work on the machine shows here). */
  loadAverage: { start: number; end: number };
  /** From deleting the Kustomizations until they are all gone (their objects pruned). */
  deleteSeconds: number;
}

/** A results file: one benchmark invocation, one entry per profile. */
export interface MttpResults {
  benchmark: 'mttp';
  apps: number;
  tag: string;
  date: string;
  /** The commit of the controllers run (and whether they had uncommitted changes). */
  commit: string;
  command: string;
  machine: string;
  /** How the controllers ran: their bundles as the images run them, or from their TypeScript sources (absent in older results). */
  controllersRun?: string;
  runs: RunFigures[];
}

/** The 1-minute load average at the start and end of a run, as `a → b` (`-` for results without it). */
function load(r: Partial<Pick<RunFigures, 'loadAverage'>>): string {
  return r.loadAverage ? `${r.loadAverage.start.toFixed(1)} → ${r.loadAverage.end.toFixed(1)}` : '-';
}

/** The Markdown table of the results. */
export function markdown(results: MttpResults): string {
  const rows = results.runs.map((r) => {
    const s = r.controllers['source-controller'];
    const k = r.controllers['kustomize-controller'];
    const time = (v: number | null): string => (v === null ? `not all (${r.readyAtEnd.Kustomization}/${results.apps})` : `${v}s`);
    return `| ${r.profile} | ${results.apps} | ${time(r.sourcesReadySeconds)} | ${time(r.kustomizationsReadySeconds)} | ${s.peakRssMiB} MiB | ${k.peakRssMiB} MiB (${k.peakTreeRssMiB} MiB with kustomize) | ${s.cpuSeconds.self.toFixed(1)} s | ${k.cpuSeconds.self.toFixed(1)} s + ${k.cpuSeconds.children.toFixed(1)} s | ${load(r)} |`;
  });
  return [
    `# MTTP benchmark, ${results.apps} apps`,
    '',
    `${results.date}, controllers at commit ${results.commit}, ${results.machine}. Made by \`${results.command}\` (e2e/bench/mttp.ts); times from the first create.${results.controllersRun ? ` Controllers run ${results.controllersRun}.` : ''}`,
    '',
    '| profile | apps | all OCIRepositories Ready | all Kustomizations Ready | source-controller peak RSS | kustomize-controller peak RSS | source-controller CPU | kustomize-controller CPU (+ kustomize) | load average |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Where the machine\'s CPU went in the same window (2 cores give 2 core-seconds a second; the rest of the busy time is other work on the machine), and how the API server answered:',
    '',
    '| profile | machine CPU busy | of it, the controllers and the environment | kube-apiserver | etcd | kube-controller-manager | the benchmark itself | API requests | mean latency GET / APPLY / PATCH / POST |',
    '|---|---|---|---|---|---|---|---|---|',
    ...results.runs.map((r) => {
      const c = r.environmentCpuSeconds;
      const ms = (verb: string): string => (r.apiRequests.meanLatencyMs[verb] === undefined ? '-' : `${r.apiRequests.meanLatencyMs[verb]} ms`);
      const controllers = Object.values(r.controllers).reduce((sum, f) => sum + f.cpuSeconds.self + f.cpuSeconds.children, 0);
      const ours = Math.round(controllers + Object.values(c).reduce((sum, v) => sum + v, 0));
      return `| ${r.profile} | ${r.machineCpu.busySeconds} of ${r.machineCpu.coreSeconds} core-s (${r.machineCpu.busyPercent} %) | ${ours} core-s | ${c['kube-apiserver'] ?? '-'} s | ${c['etcd'] ?? '-'} s | ${c['kube-controller-manager'] ?? '-'} s | ${r.harnessCpuSeconds === undefined ? '-' : `${r.harnessCpuSeconds} s`} | ${r.apiRequests.total} | ${['GET', 'APPLY', 'PATCH', 'POST'].map(ms).join(' / ')} |`;
    }),
    '',
    ...results.runs.map((r) => `- ${r.profile}: ${r.note}${r.flags['kustomize-controller'].length + r.flags['source-controller'].length ? `; flags: source-controller \`${r.flags['source-controller'].join(' ') || '-'}\`, kustomize-controller \`${r.flags['kustomize-controller'].join(' ') || '-'}\`` : ''}.`),
    '',
  ].join('\n');
}

