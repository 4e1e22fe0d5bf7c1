/**
 * @eddy/runtime. The one reconcile runtime every controller is built on (see issue 5).
 */
export {};
