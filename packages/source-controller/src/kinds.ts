/** The kinds source-controller reconciles. */
import type { KindRef } from '@eddy/runtime';

export const gitRepositoryKind: KindRef = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'GitRepository', plural: 'gitrepositories' };
export const ociRepositoryKind: KindRef = { apiVersion: 'source.toolkit.fluxcd.io/v1', kind: 'OCIRepository', plural: 'ocirepositories' };
