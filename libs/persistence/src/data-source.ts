// Entry point for the TypeORM CLI (`npx typeorm -d dist/libs/persistence/src/data-source.js migration:show`).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { BaseConfig, loadConfig } from '@app/config';
import { databaseOptions } from './database-options';

export default new DataSource(databaseOptions(loadConfig(BaseConfig)));
