import { InitialSchema1764000000000 } from './1764000000000-initial-schema';

/** In order; TypeORM records the applied ones in its `migrations` table. */
export const MIGRATIONS = [InitialSchema1764000000000];
