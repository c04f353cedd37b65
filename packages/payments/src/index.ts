export * from './client';
export * from './mock';
export * from './signature';
