/**
 * E-mail identity. Addresses are compared by their key: NFKC (full-width `ａ` is `a`, ligatures are split),
 * trimmed, lower case. The key is computed here, never by PostgreSQL's `lower()`, whose result on non-ASCII
 * letters depends on the database's collation.
 */
export function emailKeyOf(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase().normalize('NFKC');
}

/** The address as shown: NFKC and trimmed, its case kept. */
export function displayEmailOf(email: string): string {
  return email.normalize('NFKC').trim();
}

/** The default display name: the address's local part. */
export function defaultNameOf(email: string): string {
  const at = email.lastIndexOf('@');
  return (at > 0 ? email.slice(0, at) : email).slice(0, 100);
}
