/**
 * Condition types and reasons, exactly as Flux names them. Controllers use these constants;
 * a bare string for a condition type or reason in controller code is a review failure.
 *
 * Polarity (kstatus): a "normal" condition is good when True (Ready); an "abnormal-true"
 * condition is present only while something is wrong or in progress, and is removed otherwise.
 */

/** Condition types. */
export const ConditionType = {
  /** Normal. True when the last reconciliation succeeded and the object is up to date. */
  Ready: 'Ready',
  /** Abnormal-true. Present (True) while the controller is working on the object. */
  Reconciling: 'Reconciling',
  /** Abnormal-true. True when the controller cannot go on until the spec changes. */
  Stalled: 'Stalled',
  /** Normal. Kustomization: the health checks passed; present only when health checks are configured. */
  Healthy: 'Healthy',
  /** Normal. Sources: the artifact file is in storage. */
  ArtifactInStorage: 'ArtifactInStorage',
  /** Abnormal-true. Sources: the stored artifact is older than the upstream revision. */
  ArtifactOutdated: 'ArtifactOutdated',
  /** Abnormal-true. Sources: fetching from upstream failed. */
  FetchFailed: 'FetchFailed',
  /** Abnormal-true. HelmChart: building or packaging the chart failed. */
  BuildFailed: 'BuildFailed',
  /** Abnormal-true. Sources: reading or writing the artifact storage failed. */
  StorageOperationFailed: 'StorageOperationFailed',
  /** Abnormal-true. GitRepository: an included repository has no artifact yet. */
  IncludeUnavailable: 'IncludeUnavailable',
  /** Normal, present only when verification is configured: the signature checked out. */
  SourceVerified: 'SourceVerified',
  /** HelmRelease: whether the last install/upgrade released the chart. */
  Released: 'Released',
  /** HelmRelease: whether the last Helm tests passed. */
  TestSuccess: 'TestSuccess',
  /** HelmRelease: whether the last failure was remediated (rollback or uninstall). */
  Remediated: 'Remediated',
  /** HelmRelease: whether the cluster drifted from the release; only with drift detection on. */
  Drifted: 'Drifted',
} as const;

/** A condition type name. */
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/** Condition reasons, grouped by where they appear. */
export const Reason = {
  // Shared by every controller.
  /** The operation succeeded. */
  Succeeded: 'Succeeded',
  /** The operation failed (generic). */
  Failed: 'Failed',
  /** Reconciling=True: work is under way. */
  Progressing: 'Progressing',
  /** Reconciling=True: work is under way again after a failure. */
  ProgressingWithRetry: 'ProgressingWithRetry',
  /** Ready=False: an object in dependsOn is not Ready yet. */
  DependencyNotReady: 'DependencyNotReady',
  /** Ready=True after a successful reconciliation (Kustomization). */
  ReconciliationSucceeded: 'ReconciliationSucceeded',
  /** Ready=False after a failed reconciliation (Kustomization). */
  ReconciliationFailed: 'ReconciliationFailed',
  /** The source artifact could not be fetched or verified. */
  ArtifactFailed: 'ArtifactFailed',
  /** Building the manifests (or chart) failed. */
  BuildFailed: 'BuildFailed',
  /** Health checks failed or timed out. */
  HealthCheckFailed: 'HealthCheckFailed',
  /** Health checks were cancelled (a new revision arrived). */
  HealthCheckCanceled: 'HealthCheckCanceled',
  /** Garbage collection of objects removed from the source failed. */
  PruneFailed: 'PruneFailed',
  /** Stalled: a CEL expression in the spec does not compile. */
  InvalidCELExpression: 'InvalidCELExpression',
  /** Stalled: the spec uses a feature whose gate is off. */
  FeatureGateDisabled: 'FeatureGateDisabled',
  /** A cross-namespace reference is refused (--no-cross-namespace-refs) or RBAC denies access. */
  AccessDenied: 'AccessDenied',
  /** Building the inventory failed. */
  InventoryBuildFailed: 'InventoryBuildFailed',

  // Sources.
  /** Authenticating to the upstream failed. */
  AuthenticationFailed: 'AuthenticationFailed',
  /** A git operation (clone, fetch, checkout) failed. */
  GitOperationFailed: 'GitOperationFailed',
  /** A git operation succeeded. */
  GitOperationSucceeded: 'GitOperationSucceeded',
  /** Pulling an OCI artifact failed. */
  OCIArtifactPullFailed: 'OCIArtifactPullFailed',
  /** Extracting or copying an OCI layer failed. */
  OCIArtifactLayerOperationFailed: 'OCIArtifactLayerOperationFailed',
  /** A bucket operation failed. */
  BucketOperationFailed: 'BucketOperationFailed',
  /** A bucket operation succeeded. */
  BucketOperationSucceeded: 'BucketOperationSucceeded',
  /** Fetching or parsing a Helm repository index failed. */
  IndexationFailed: 'IndexationFailed',
  /** Stalled: the URL is invalid. */
  URLInvalid: 'URLInvalid',
  /** Stalled: the provider configuration is invalid. */
  InvalidProviderConfiguration: 'InvalidProviderConfiguration',
  /** Stalled: the STS configuration is invalid. */
  InvalidSTSConfiguration: 'InvalidSTSConfiguration',
  /** Stalled: the HelmChart references a chart or version that does not exist. */
  InvalidChartReference: 'InvalidChartReference',
  /** ArtifactOutdated=True: upstream has a new revision. */
  NewRevision: 'NewRevision',
  /** ArtifactOutdated=True (HelmChart): a new chart version. */
  NewChart: 'NewChart',
  /** Event: the artifact is already at the upstream revision. */
  ArtifactUpToDate: 'ArtifactUpToDate',
  /** Event: a new artifact was stored. */
  NewArtifact: 'NewArtifact',
  /** SourceVerified=False: the signature check failed. */
  VerificationError: 'VerificationError',
  /** Storage: a directory could not be created. */
  DirectoryCreationFailed: 'DirectoryCreationFailed',
  /** Storage: stat failed. */
  StatOperationFailed: 'StatOperationFailed',
  /** Storage: reading failed. */
  ReadOperationFailed: 'ReadOperationFailed',
  /** Storage: the lock could not be taken. */
  AcquireLockFailed: 'AcquireLockFailed',
  /** Storage: the artifact path is invalid. */
  InvalidPath: 'InvalidPath',
  /** Storage: writing the archive failed. */
  ArchiveOperationFailed: 'ArchiveOperationFailed',
  /** Storage: updating the latest-link failed. */
  SymlinkUpdateFailed: 'SymlinkUpdateFailed',
  /** A cache operation failed. */
  CacheOperationFailed: 'CacheOperationFailed',
  /** Patching the object failed. */
  PatchOperationFailed: 'PatchOperationFailed',
  /** HelmChart: the chart was pulled. */
  ChartPullSucceeded: 'ChartPullSucceeded',
  /** HelmChart: the chart was packaged. */
  ChartPackageSucceeded: 'ChartPackageSucceeded',

  // HelmRelease.
  InstallSucceeded: 'InstallSucceeded',
  InstallFailed: 'InstallFailed',
  UpgradeSucceeded: 'UpgradeSucceeded',
  UpgradeFailed: 'UpgradeFailed',
  TestSucceeded: 'TestSucceeded',
  TestFailed: 'TestFailed',
  RollbackSucceeded: 'RollbackSucceeded',
  RollbackFailed: 'RollbackFailed',
  UninstallSucceeded: 'UninstallSucceeded',
  UninstallFailed: 'UninstallFailed',
  /** Stalled: remediation retries are exhausted. */
  RetriesExceeded: 'RetriesExceeded',
  /** Stalled: there is no release to roll back to. */
  MissingRollbackTarget: 'MissingRollbackTarget',
  /** Drifted=True. */
  DriftDetected: 'DriftDetected',
  /** Drifted=False. */
  NoDriftDetected: 'NoDriftDetected',

  // Image automation.
  /** ImageRepository: the image URL is invalid. */
  ImageURLInvalid: 'ImageURLInvalid',
  /** ImageRepository: scanning failed. */
  Failure: 'Failure',
  /** ImageRepository Reconciling: a new generation is being processed. */
  NewGeneration: 'NewGeneration',
  /** ImageRepository Reconciling: the registry is being scanned. */
  Scanning: 'Scanning',
  /** ImageUpdateAutomation: the git source configuration is invalid. */
  InvalidSourceConfiguration: 'InvalidSourceConfiguration',
  /** ImageUpdateAutomation: applying the updates failed. */
  UpdateFailed: 'UpdateFailed',
  /** ImageUpdateAutomation: the policy selector is invalid. */
  InvalidPolicySelector: 'InvalidPolicySelector',
  /** ImageUpdateAutomation: the update strategy is invalid. */
  InvalidUpdateStrategy: 'InvalidUpdateStrategy',
  /** ImageUpdateAutomation: the source manager could not be set up. */
  SourceManagerFailed: 'SourceManagerFailed',
  /** ImageUpdateAutomation (stalls): the commit template uses a removed field. */
  RemovedTemplateField: 'RemovedTemplateField',
} as const;

/** A reason name. */
export type ReasonName = (typeof Reason)[keyof typeof Reason];
