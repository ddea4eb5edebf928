// Formatting: `pnpm format` writes, `pnpm format:check` (part of `pnpm lint`) fails on unformatted files.
// The settings follow the code as it was written by hand: single quotes, semicolons, trailing commas,
// and long lines (a print width of 160 keeps 99% of the existing code lines as they are).
/** @type {import('prettier').Config} */
export default {
  printWidth: 160,
  singleQuote: true,
};
