/**
 * Widget (`test.eddy.dev/v1`): a test-only kind for exercising the runtime on the real cluster.
 * Its spec tells a test reconciler how to behave (succeed, fail, stall, take time, write a
 * ConfigMap as a ServiceAccount); its status has the Flux status fields.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Condition } from '@eddy/api';
import { ApiException, ApiextensionsV1Api, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';

/** The Widget's API group, version and resource. */
export const widgetGroup = 'test.eddy.dev';
export const widgetVersion = 'v1';
export const widgetPlural = 'widgets';
export const widgetApiVersion = `${widgetGroup}/${widgetVersion}`;

/** A Widget. */
export interface Widget {
  apiVersion: typeof widgetApiVersion;
  kind: 'Widget';
  metadata: { name?: string; namespace?: string; generation?: number; annotations?: Record<string, string>; labels?: Record<string, string>; resourceVersion?: string; finalizers?: string[]; deletionTimestamp?: string };
  spec: {
    /** How often to reconcile (Go duration). */
    interval?: string;
    suspend?: boolean;
    /** Fail every reconcile with a transient error carrying this reason. */
    failWith?: string;
    /** Stall with this reason. */
    stallWith?: string;
    /** Milliseconds each reconcile works. */
    workMs?: number;
    /** Write a ConfigMap of this name, as `serviceAccountName` when set. */
    configMapName?: string;
    serviceAccountName?: string;
  };
  status?: {
    conditions?: Condition[];
    observedGeneration?: number;
    lastHandledReconcileAt?: string;
  };
}

const str = { type: 'string' };

/** The Widget CRD. */
export const widgetCrd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `${widgetPlural}.${widgetGroup}` },
  spec: {
    group: widgetGroup,
    names: { kind: 'Widget', listKind: 'WidgetList', plural: widgetPlural, singular: 'widget' },
    scope: 'Namespaced',
    versions: [
      {
        name: widgetVersion,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
          { name: 'Status', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].message' },
        ],
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                properties: {
                  interval: str,
                  suspend: { type: 'boolean' },
                  failWith: str,
                  stallWith: str,
                  workMs: { type: 'integer' },
                  configMapName: str,
                  serviceAccountName: str,
                },
              },
              status: {
                type: 'object',
                properties: {
                  conditions: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['type', 'status', 'reason', 'message', 'lastTransitionTime'],
                      properties: {
                        type: str,
                        status: str,
                        reason: str,
                        message: str,
                        lastTransitionTime: { type: 'string', format: 'date-time' },
                        observedGeneration: { type: 'integer', format: 'int64' },
                      },
                    },
                  },
                  observedGeneration: { type: 'integer', format: 'int64' },
                  lastHandledReconcileAt: str,
                },
              },
            },
          },
        },
      },
    ],
  },
};

/** Installs (or updates) the Widget CRD and waits until it is Established. */
export async function installWidgetCrd(kc: KubeConfig): Promise<void> {
  const api = kc.makeApiClient(ApiextensionsV1Api);
  const name = widgetCrd.metadata!.name!;
  try {
    await api.createCustomResourceDefinition({ body: widgetCrd });
  } catch (err) {
    if (!(err instanceof ApiException) || err.code !== 409) throw err;
    const current = await api.readCustomResourceDefinition({ name });
    await api.replaceCustomResourceDefinition({ name, body: { ...widgetCrd, metadata: { ...widgetCrd.metadata, resourceVersion: current.metadata?.resourceVersion } } });
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const crd = await api.readCustomResourceDefinition({ name });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error('Widget CRD not Established after 30s');
    await delay(100);
  }
}
