/**
 * @eddy/api. The Flux API Eddy serves: types, CRDs, constants and pure helpers (see issue 4).
 */
export {};
