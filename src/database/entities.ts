import { User } from '../auth/user.entity.js';
import { FILE_MANAGER_ENTITIES } from '../file-manager/entities/index.js';

/** Every entity, listed once for the data source shared by the app and the migration CLI. */
export const ALL_ENTITIES = [User, ...FILE_MANAGER_ENTITIES];
