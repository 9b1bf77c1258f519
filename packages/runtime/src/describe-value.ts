/** A short, bounded rendering of an arbitrary value for error messages and reasons. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (value === undefined) text = "undefined";
  else if (typeof value === "bigint") text = `${value.toString()}n`;
  else if (typeof value === "function") text = `function ${value.name || "(anonymous)"}`;
  else if (typeof value === "symbol") text = value.toString();
  else {
    try {
      text = JSON.stringify(value) ?? Object.prototype.toString.call(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
