/**
 * Per-call options for client-node's typed APIs (CoreV1Api, CoordinationV1Api, …), whose
 * generated methods take neither an AbortSignal nor a patch content type as parameters.
 */
import { Observable, type ConfigurationOptions, type ObservableMiddleware, type RequestContext, type ResponseContext } from '@kubernetes/client-node';

/** client-node request options that set the AbortSignal and (when given) the Content-Type of one request. */
export function requestOptions(signal: AbortSignal, contentType?: string): ConfigurationOptions {
  // The typed APIs hand call-time middleware to their observable layer, so it returns client-node's Observable.
  const middleware: ObservableMiddleware = {
    pre: (ctx: RequestContext) => {
      ctx.setSignal(signal);
      if (contentType) ctx.setHeaderParam('Content-Type', contentType);
      return new Observable(Promise.resolve(ctx));
    },
    post: (rsp: ResponseContext) => new Observable(Promise.resolve(rsp)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
