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
};
