import type { AppRouter } from '@latih/api/router';
import { TRPCClientError, type TRPCLink } from '@trpc/client';
import { observable } from '@trpc/server/observable';
import { LatihError } from './errors';

/** Turns every failure into a LatihError with the gateway's code, field and request id. */
export const latihErrorLink: TRPCLink<AppRouter> = () => {
  return ({ next, op }) =>
    observable((observer) => {
      const sub = next(op).subscribe({
        next: (value) => observer.next(value),
        error: (err) =>
          observer.error(err instanceof LatihError ? err : new LatihError(TRPCClientError.from(err))),
        complete: () => observer.complete(),
      });
      return () => sub.unsubscribe();
    });
};
