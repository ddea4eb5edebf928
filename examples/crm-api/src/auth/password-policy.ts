import { Injectable } from '@nestjs/common';
import { dictionary } from '@zxcvbn-ts/language-common';
import { ApiError } from '../common/api-error';

/** What the account says about itself: a password equal to any of these is refused. */
export interface PasswordOwner {
  email: string;
  name?: string;
  workspaceName?: string;
}

// The 49,233 most common passwords of zxcvbn-ts's breach-derived list, all lower case. Only the
// list is used: the full estimator costs 2-15 ms of event loop per typical password and up to
// 400 ms for a 256-character one, on a route anyone can call.
const COMMON = new Set(dictionary['passwords-common']);
// A lone half of a UTF-16 pair (JSON can carry one): it has no UTF-8 form, so hashing would alter it.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LOOK_ALIKES: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };

/**
 * Why `password` is refused, one sentence per reason (empty: accepted). Length is checked by the
 * request schema (12 to 256 characters); this refuses what is long enough but guessable.
 */
export function passwordProblems(password: string, owner: PasswordOwner): string[] {
  if (UNPAIRED_SURROGATE.test(password)) return ['contains an unpaired UTF-16 surrogate: send the password as valid Unicode'];
  if (/\p{Cc}/u.test(password)) return ['contains control characters (such as NUL, tab or line breaks)'];
  if (password.replace(/[\s\p{Cf}\p{Z}]/gu, '') === '') return ['is only spaces or invisible characters'];
  const lower = password.trim().toLowerCase();
  const chars = [...lower];
  if (new Set(chars).size === 1) return ['repeats a single character'];
  if (/^(.+?)\1+$/su.test(lower)) return ['repeats the same few characters'];
  if (isRun(chars)) return ['is a run of consecutive characters (like abcdef or 654321)'];

  const personal = personalWords(owner);
  for (const [word, what] of personal) if (lower === word) return [`is ${what}`];
  const core = lettersCore(lower);
  if (core !== lower) for (const [word, what] of personal) if (core === word) return [`is ${what} with digits or symbols added`];

  if (COMMON.has(lower)) return ['is one of the most common passwords'];
  if (core !== lower && COMMON.has(core)) return ['is a common password with digits or symbols added'];
  // p@ssw0rd1234: the look-alikes inside the word, whatever digits or symbols end it.
  const plain = [deLeet(lower), deLeet(core), lettersCore(deLeet(lower))].filter((variant) => variant !== lower && variant !== core);
  if (plain.some((variant) => COMMON.has(variant))) return ['is a common password with letters swapped for look-alike digits or symbols'];
  return [];
}

/** The password without the digits and symbols that start or end it (`password` of `!!password1234`). */
const lettersCore = (value: string) => value.replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '');

/** Registration (and any future password change) checks passwords here. */
@Injectable()
export class PasswordPolicy {
  /** @throws ApiError PASSWORD_TOO_WEAK (400) with one issue on `field` per reason. */
  assertAcceptable(password: string, owner: PasswordOwner, field = 'password'): void {
    const problems = passwordProblems(password, owner);
    if (problems.length === 0) return;
    throw new ApiError(
      'PASSWORD_TOO_WEAK',
      `Choose another password: this one ${problems.join('; ')}. A few unrelated words or a password manager's password will do.`,
      problems.map((problem) => ({ path: field, message: `The password ${problem}.` })),
    );
  }
}

function personalWords(owner: PasswordOwner): [string, string][] {
  const email = owner.email.trim().toLowerCase();
  const local = email.split('@')[0] ?? '';
  const words: [string, string][] = [
    [email, 'your email address'],
    [local, 'the part of your email address before the @'],
  ];
  if (owner.name?.trim()) words.push([owner.name.trim().toLowerCase(), 'your name']);
  if (owner.workspaceName?.trim()) words.push([owner.workspaceName.trim().toLowerCase(), 'the workspace name']);
  return words.filter(([word]) => word.length > 0);
}

/** Every character one code point above (or every one below) the one before it. */
function isRun(chars: string[]): boolean {
  const points = chars.map((c) => c.codePointAt(0)!);
  const step = points[1]! - points[0]!;
  return Math.abs(step) === 1 && points.every((point, i) => i === 0 || point - points[i - 1]! === step);
}

const deLeet = (value: string) => value.replace(/[013457@$]/g, (c) => LOOK_ALIKES[c] ?? c);
