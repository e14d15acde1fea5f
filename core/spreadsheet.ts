/**
 * Cells for exports people open in a spreadsheet. A text cell that starts with `=`, `+`, `-`, `@`, a tab
 * or a carriage return is run as a formula by Excel, LibreOffice and Google Sheets (CSV injection, OWASP),
 * so such text gets a leading apostrophe, which those programs show as text and do not run. Numbers are
 * written as they are. Pure.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export type Cell = string | number | undefined;

export const safeCell = (value: Cell): string | number => {
  if (value === undefined) return '';
  if (typeof value === 'number') return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
};
