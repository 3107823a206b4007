/**
 * The ranges numeric inputs are validated against, from the columns they end up compared with or stored in. A
 * value beyond its column's range reached PostgreSQL and failed there (`maxSize=9223372036854775807`: a 500).
 * Every integer field of a DTO carries `@Min` and `@Max` within one of these (numeric-ranges.spec.ts checks it).
 */

/** `integer` (int4). */
export const MIN_INTEGER = -2_147_483_648;
export const MAX_INTEGER = 2_147_483_647;

/**
 * `bigint` (int8) as the application handles it: a JavaScript number, exact up to 2^53 - 1 (beyond, a query value
 * such as 99999999999999999999999 would become 1e23, which is no bigint literal at all).
 */
export const MIN_BIGINT_NUMBER = -Number.MAX_SAFE_INTEGER;
export const MAX_BIGINT_NUMBER = Number.MAX_SAFE_INTEGER;
