export type { ApiContext, Services, ServicesHandle } from './context';
export { servicesHandle } from './context';
export { databaseUnavailable, databaseUnavailableError, toAppError } from './errors';
export { backpressureWriter, csvField, EXPORTS, streamExport } from './exports';
export type { ApiMeta } from './meta';
export { buildOpenApiDocument } from './openapi';
export { type AppRouter, appRouter } from './router';
export { INTEGRATION_SIGN_KEYS } from './routers/pmo/integration/routes';
export { createCallerFactory, sealerFor } from './trpc';
