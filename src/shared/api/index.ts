export * from './boards';
export * from './contract';
export * from './define';
export * from './jobs';
export * from './status';
export { buildApiClient } from './client';
