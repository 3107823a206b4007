import { User } from '../auth/user.entity.js';

/**
 * Every entity, listed once for the migration CLI (the app also auto-loads the ones its modules register).
 */
export const ALL_ENTITIES = [User];
