import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters that show nothing by themselves: white space, controls, format characters (bidi embeddings,
 * overrides and isolates, zero-width space and joiners, the BOM, the soft hyphen...), other default-ignorable code
 * points (variation selectors, Hangul fillers, tags) and the blank Braille pattern.
 */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu;

/** Whether `text` shows anything: a title made only of invisible or bidi-control characters looks empty (or spoofs). */
export function hasVisibleCharacter(text: string): boolean {
  return text.replace(INVISIBLE, '').length > 0;
}

/**
 * Whether `text` holds any invisible character at all. An identifier (an e-mail address) with one looks exactly like
 * the identifier without it, so it could pass for another account.
 */
export function hasInvisibleCharacter(text: string): boolean {
  return text.search(INVISIBLE) !== -1;
}

/** Refuses a string holding any invisible character (see INVISIBLE); other types are left to other validators. */
export function HasNoInvisibleCharacter(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoInvisibleCharacter',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasInvisibleCharacter(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must not contain invisible characters`,
      },
    },
    options,
  );
}

/** Refuses a string made only of invisible characters (see INVISIBLE); other types are left to other validators. */
export function HasVisibleCharacter(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasVisibleCharacter',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || hasVisibleCharacter(value),
        defaultMessage: (args) => `${args?.property ?? 'value'} must contain a visible character`,
      },
    },
    options,
  );
}
