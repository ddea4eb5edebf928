import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../database/seed-data';
import { passwordProblems, PasswordPolicy } from './password-policy';

const owner = { email: 'Ada.Lovelace@Northwind.test', name: 'Ada Lovelace', workspaceName: 'Analytical Engines' };
const problem = (password: string) => passwordProblems(password, owner)[0] ?? 'accepted';

describe('passwordProblems', () => {
  it.each([
    ['twelve spaces', ' '.repeat(12), 'contains control characters|only spaces'],
    ['non-breaking and ideographic spaces', '\u00a0\u3000'.repeat(6), 'only spaces'],
    ['zero-width characters', '\u200b\u200c'.repeat(6), 'only spaces or invisible'],
    ['twelve NULs', '\u0000'.repeat(12), 'control characters'],
    ['a NUL inside', 'correct horse\u0000battery', 'control characters'],
    ['a line break inside', 'correct horse\nbattery', 'control characters'],
    ['an unpaired surrogate', 'correct horse \ud800 battery', 'unpaired UTF-16 surrogate'],
    ['one character', 'aaaaaaaaaaaa', 'repeats a single character'],
    ['one emoji', '🔑'.repeat(12), 'repeats a single character'],
    ['a repeated word', 'monkeymonkey', 'repeats the same few characters'],
    ['a repeated pair', '121212121212', 'repeats the same few characters'],
    ['a run up', 'abcdefghijklm', 'run of consecutive'],
    ['a run down, whole', 'zyxwvutsrqpo', 'run of consecutive'],
    ['the email', 'ada.lovelace@northwind.test', 'is your email address'],
    ['the email, other case and spaces', '  ADA.LOVELACE@NORTHWIND.TEST ', 'is your email address$'],
    ['the local part', 'ADA.LOVELACE', 'before the @'],
    ['the local part with digits', 'ada.lovelace2026', 'before the @ with digits or symbols added'],
    ['the name', 'ada lovelace', 'is your name'],
    ['the workspace name', 'Analytical Engines', 'is the workspace name'],
    ['a common password of 12+', 'qwerty123456', 'one of the most common'],
    ['a common password of 12+, other case', 'QWERTY123456', 'one of the most common'],
    ['all digits, common', '123456789012', 'one of the most common'],
    ['password1234', 'password1234', 'one of the most common'],
    ['a common word and digits', 'dragon!!2026', 'common password with digits or symbols added'],
    ['iloveyou!!!!', 'iloveyou!!!!', 'common password with digits or symbols added'],
    ['look-alikes', 'Dr4g0n!!2026', 'look-alike'],
    ['a common look-alike spelling', 'P@ssw0rd1234', 'common password with digits or symbols added'],
    ['look-alikes at the start', '4dministrat0r', 'look-alike'],
    ['a passphrase', 'correct horse battery staple', 'accepted'],
    ['random', 'x7#Kp2!vQz9m', 'accepted'],
    ['the demo password', DEMO_PASSWORD, 'accepted'],
    ['a common word inside a longer phrase', 'my password is long enough', 'accepted'],
  ])('%s', (_what, password, expected) => {
    expect(problem(password)).toMatch(new RegExp(expected));
  });

  it('trims and lower-cases the email before comparing, but not the password', () => {
    expect(passwordProblems('ada.lovelace@northwind.test', { email: '  ADA.Lovelace@NORTHWIND.test ' })[0]).toBe('is your email address');
  });

  it('is quick on the longest password the schema allows', () => {
    const started = performance.now();
    for (const password of ['ab'.repeat(127) + 'c', 'a'.repeat(255) + 'b', 'p@ssw0rd'.repeat(32), '!'.repeat(128) + 'x'.repeat(128)])
      passwordProblems(password, owner);
    expect(performance.now() - started).toBeLessThan(50);
  });
});

describe('PasswordPolicy', () => {
  it('refuses with PASSWORD_TOO_WEAK, an issue on the field saying why', () => {
    const policy = new PasswordPolicy();
    expect(() => policy.assertAcceptable('password1234', owner)).toThrow(
      expect.objectContaining({
        code: 'PASSWORD_TOO_WEAK',
        issues: [{ path: 'password', message: 'The password is one of the most common passwords.' }],
      }),
    );
    expect(() => policy.assertAcceptable('correct horse battery staple', owner)).not.toThrow();
  });
});
