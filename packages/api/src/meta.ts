import type { TScope } from '@latih/contracts';

/**
 * Procedure metadata, self-defined so that published types do not depend on trpc-to-openapi's
 * (it is structurally the subset of its OpenApiMeta that we use).
 */
export type ApiMeta = {
  openapi?: {
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
    path: `/${string}`;
    summary?: string;
    description?: string;
    tags?: string[];
    protect?: boolean;
    successDescription?: string;
    errorResponses?: Record<number, string>;
  };
  /** The scope a token needs to call the procedure. */
  scope?: TScope;
  /**
   * `replica`: a read that may lag (the catalog, reports, statistics). With DATABASE_READ_URL it is
   * served by the read replica while that is up and close enough behind the primary
   * (packages/api/src/replica-reads.ts); the primary serves it otherwise, and always without one.
   * Never on a procedure that writes, or that must see the caller's own write at once.
   */
  reads?: 'replica';
};
