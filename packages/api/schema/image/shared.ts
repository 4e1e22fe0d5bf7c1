/** Definitions shared by the image automation kinds (ImageRepository, ImagePolicy, ImageUpdateAutomation). */
import { object, string, type SchemaNode } from '../dsl.ts';

/** The API group of the image automation kinds. */
export const imageGroup = 'image.toolkit.fluxcd.io';

/** A reference to one image tag (`ImageRef`): what an ImagePolicy selects and an ImageUpdateAutomation applies. */
export function imageRef(description: string): SchemaNode {
  return object(
    description,
    {
      digest: string('Digest of the image manifest, when digest reflection is enabled.'),
      name: string('Image name without tag, e.g. ghcr.io/org/app.'),
      tag: string('The image tag.'),
    },
    { required: ['name', 'tag'], typeName: 'ImageRef', typeDoc: 'One image reference: name, tag and optionally digest.' },
  );
}
