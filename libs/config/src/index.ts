export * from './base.config';
export * from './exit-on-startup-error';
export * from './load-config';
export * from './options';
