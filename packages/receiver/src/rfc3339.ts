/**
 * RFC 3339 timestamp → unix milliseconds, with the grammar of chrono's
 * `DateTime::parse_from_rfc3339` (what the seed uses) and the seed's rule that
 * a time before the epoch counts as unparsable:
 *
 * - `YYYY-MM-DD`, then `T`, `t` or a space, then `hh:mm:ss`;
 * - an optional fraction of one or more digits (only the first 9 count);
 * - `Z`, `z`, or `±hh:mm` (the minus may be U+2212), at most 23:59 either way;
 * - a real calendar date, hour ≤ 23, minute ≤ 59, second ≤ 60 (a leap second
 *   counts as the 59th second plus one, as chrono does);
 * - nothing before or after.
 *
 * Returns `undefined` when the text does not parse or lands before 1970.
 */
export function parseRfc3339ToUnixMs(text: string): number | undefined {
  let i = 0;
  const digits = (count: number): number | undefined => {
    let value = 0;
    for (let k = 0; k < count; k++) {
      const code = text.charCodeAt(i + k);
      if (!(code >= 48 && code <= 57)) return undefined;
      value = value * 10 + (code - 48);
    }
    i += count;
    return value;
  };
  const literal = (char: string): boolean => {
    if (text[i] !== char) return false;
    i += 1;
    return true;
  };

  const year = digits(4);
  if (year === undefined || !literal("-")) return undefined;
  const month = digits(2);
  if (month === undefined || !literal("-")) return undefined;
  const day = digits(2);
  if (day === undefined) return undefined;
  const separator = text[i];
  if (separator !== "T" && separator !== "t" && separator !== " ") return undefined;
  i += 1;
  const hour = digits(2);
  if (hour === undefined || !literal(":")) return undefined;
  const minute = digits(2);
  if (minute === undefined || !literal(":")) return undefined;
  const second = digits(2);
  if (second === undefined) return undefined;

  let fractionMs = 0;
  if (text[i] === ".") {
    i += 1;
    const start = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i += 1;
    if (i === start) return undefined;
    // Milliseconds are the first three fraction digits; digits past the 9th are
    // ignored by chrono and cannot change the milliseconds either.
    fractionMs = Number(text.slice(start, Math.min(start + 3, i)).padEnd(3, "0"));
  }

  let offsetMinutes: number;
  const sign = text[i];
  if (sign === "Z" || sign === "z") {
    i += 1;
    offsetMinutes = 0;
  } else if (sign === "+" || sign === "-" || sign === "\u2212") {
    i += 1;
    const offsetHours = digits(2);
    if (offsetHours === undefined || !literal(":")) return undefined;
    const offsetMins = digits(2);
    if (offsetMins === undefined || offsetMins > 59) return undefined;
    offsetMinutes = offsetHours * 60 + offsetMins;
    if (offsetMinutes > 23 * 60 + 59) return undefined;
    if (sign !== "+") offsetMinutes = -offsetMinutes;
  } else {
    return undefined;
  }
  if (i !== text.length) return undefined;

  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;

  const days = daysFromCivil(year, month, day);
  // A leap second (:60) is second 59 plus a full second of nanoseconds in chrono.
  const secondsOfDay = hour * 3600 + minute * 60 + second;
  const ms = (days * 86_400 + secondsOfDay - offsetMinutes * 60) * 1000 + fractionMs;
  return ms < 0 ? undefined : ms;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}
