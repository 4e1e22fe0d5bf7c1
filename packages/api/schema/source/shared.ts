/** Definitions shared by the source kinds. */
import type { PrinterColumn } from '../dsl.ts';

/** The API group of the source kinds. */
export const sourceGroup = 'source.toolkit.fluxcd.io';

/** Age, Ready and Status columns, the tail of most Flux kinds' `kubectl get` output. */
export const readyColumns: PrinterColumn[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
  { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' },
];
