import transliterate from 'slugify';

const MAX_SLUG_LENGTH = 200;

/**
 * `"Été 2024: Photos!"` → `"ete-2024-photos"`, `"Łódź straße"` → `"lodz-strasse"`, `"Привет мир"` → `"privet-mir"`;
 * lowercase `a-z0-9-`, never empty (falls back to `fallback`). Only new slugs come from here: a stored slug is
 * never recomputed, so changing the transliteration changes no existing slug.
 */
export function slugify(text: string, fallback = 'file'): string {
  let spelled = '';
  // NFKC first: fullwidth forms, ligatures and styled letters become the plain letters the table knows.
  for (const char of text.normalize('NFKC')) spelled += spell(char);
  const slug = spelled
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/g, '');
  return slug || fallback;
}

/** One character in `a-z0-9`; a separator for anything that is not a letter or digit, or that no rule can spell. */
function spell(char: string): string {
  if (/^[a-z0-9]$/.test(char)) return char;
  if (/^\p{M}$/u.test(char)) return ''; // a mark left over after NFKC belongs to the letter before it
  if (!/^[\p{L}\p{N}]$/u.test(char)) return ' ';
  // The library's table transliterates Latin, Cyrillic, Greek, Arabic, ... letters ('ß' → 'ss', 'Ł' → 'l').
  const transliterated = transliterate(char, { lower: true, strict: true });
  if (transliterated) return transliterated;
  // A letter the table lacks: its base letter when it is an accented Latin one; scripts it drops (CJK, ...) leave a
  // separator, and a title spelled only in them gets the fallback.
  return (
    char
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '') || ' '
  );
}

export function isValidSlug(slug: string): boolean {
  return /^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug) && slug.length <= MAX_SLUG_LENGTH + 10;
}

/**
 * The first of `base`, `base-2`, `base-3`, ... that is not in `taken`.
 */
export function firstFreeSlug(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix += 1) {
    const candidate = `${base}-${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
}
