// Entry point for the TypeORM CLI (`npx typeorm -d dist/libs/persistence/src/data-source.js migration:show`).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { appOptions, BaseConfig, loadConfig } from '@app/config';
import { dataSourceOptions } from './database-options';

export default new DataSource(dataSourceOptions(appOptions(loadConfig(BaseConfig)).database));
