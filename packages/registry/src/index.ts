export * from './client';
export * from './mock';
