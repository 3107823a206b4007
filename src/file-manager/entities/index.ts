import { Collection } from './collection.entity.js';
import { MediaFile } from './media-file.entity.js';
import { MediaUsage } from './media-usage.entity.js';
import { PendingFile } from './pending-file.entity.js';
import { StoredObject } from './stored-object.entity.js';
import { Tag } from './tag.entity.js';

export { Collection, MediaFile, MediaUsage, PendingFile, StoredObject, Tag };

export const FILE_MANAGER_ENTITIES = [StoredObject, PendingFile, MediaFile, Tag, Collection, MediaUsage];
