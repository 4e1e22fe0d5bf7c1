import { withCluster } from '../../vitest.shared.ts';

export default withCluster;
