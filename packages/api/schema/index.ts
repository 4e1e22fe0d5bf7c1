/** Every kind Eddy serves, in the order the reference lists them. */
import type { KindSchema } from './dsl.ts';
import { gitRepository } from './source/gitrepository.ts';
import { ociRepository } from './source/ocirepository.ts';
import { bucket } from './source/bucket.ts';
import { helmRepository } from './source/helmrepository.ts';
import { helmChart } from './source/helmchart.ts';
import { kustomization } from './kustomize/kustomization.ts';
import { helmRelease } from './helm/helmrelease.ts';
import { provider } from './notification/provider.ts';
import { alert } from './notification/alert.ts';
import { receiver } from './notification/receiver.ts';
import { imageRepository } from './image/imagerepository.ts';
import { imagePolicy } from './image/imagepolicy.ts';
import { imageUpdateAutomation } from './image/imageupdateautomation.ts';

export const kinds: KindSchema[] = [
  gitRepository,
  ociRepository,
  bucket,
  helmRepository,
  helmChart,
  kustomization,
  helmRelease,
  provider,
  alert,
  receiver,
  imageRepository,
  imagePolicy,
  imageUpdateAutomation,
];
