/** @eddy/source-controller: GitRepository and OCIRepository to artifacts (see docs/sources/). */
export {};
