export * from './base.config';
export * from './exit-on-startup-error';
export * from './load-config';
export * from './options';
export type { DatabaseConnection, DatabaseEngine } from './database-connections';
export { parseConnections } from './database-connections';
export type { HostListEntry } from './host-list';
export { parseHostListEntry } from './host-list';
