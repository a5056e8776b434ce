// Short forms of numbers and times, the same as the command line prints them
// (agentreel._units: format_cost, format_tokens), so a figure read in the
// browser can be found again in `agentreel show`.

export function fmtTokens(count) {
  if (count === null || count === undefined) return "-";
  if (count < 1000) return String(count);
  for (const [unit, size] of [["k", 1e3], ["M", 1e6], ["B", 1e9]]) {
    const value = count / size;
    if (Math.round(value * 10) / 10 < 100) return `${value.toFixed(1)}${unit}`;
    if (Math.round(value) < 1000 || unit === "B") return `${Math.round(value)}${unit}`;
  }
  return String(count);
}

export function fmtCost(usd) {
  if (usd === null || usd === undefined) return "-";
  if (usd === 0) return "$0";
  if (usd < 0.0001) return "<$0.0001";
  if (usd < 1) return `$${usd.toFixed(4)}`;
  if (usd < 1000) return `$${usd.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${Math.round(usd).toLocaleString("en-US")}`;
}

/** Milliseconds as "0.4ms", "12ms", "1.25s", "2m03s", "1h02m". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return "-";
  if (ms < 0.1) return `${Math.round(ms * 1000)}µs`;
  if (ms < 1) return `${ms.toFixed(1)}ms`;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

const pad = (n, w = 2) => String(n).padStart(w, "0");

/** An ISO time as local "2026-11-26 21:25:12". */
export function fmtTime(iso) {
  if (!iso) return "-";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} `
    + `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "just now", "5m ago", "3h ago", "2d ago", else the date. */
export function fmtAgo(iso, now = Date.now()) {
  if (!iso) return "-";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return String(iso);
  const s = Math.round((now - t) / 1000);
  if (s < 45) return "just now";
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  if (s < 86400 * 14) return `${Math.round(s / 86400)}d ago`;
  return fmtTime(iso).slice(0, 10);
}

export function shortId(id) {
  return String(id ?? "").slice(0, 12);
}

/** "1 step", "10,000 steps". */
export function plural(n, word) {
  return `${fmtInt(n)} ${word}${n === 1 ? "" : "s"}`;
}

export function fmtInt(n) {
  if (n === null || n === undefined) return "-";
  // By hand for integers: the first toLocaleString of a page loads ICU's
  // number data, some 20 ms before the first render.
  if (Number.isSafeInteger(n)) return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return Number(n).toLocaleString("en-US");
}

/** Milliseconds since the epoch of an ISO time, or null. */
export function isoMs(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

// Sub-millisecond precision: the ISO strings carry microseconds, and steps of
// a fast agent are often shorter than a millisecond.
//
// Steps of a session share their seconds, so the server's form
// ("2026-11-26T21:25:12.123456Z") is read with the seconds part remembered:
// a 10,000-step session is read twice on every rebuild, and Date.parse with
// a regular expression per step was most of that time.
const SECONDS = new Map();

export function isoUs(iso) {
  if (!iso) return null;
  const n = iso.length;
  if (n >= 20 && iso[n - 1] === "Z" && iso[10] === "T" && (n === 20 || iso[19] === ".")) {
    const head = iso.slice(0, 19);
    let s = SECONDS.get(head);
    if (s === undefined) {
      if (SECONDS.size > 50000) SECONDS.clear();
      s = Date.parse(`${head}Z`);
      SECONDS.set(head, s);
    }
    const us = n === 20 ? 0 : Number(iso.slice(20, n - 1).padEnd(6, "0").slice(0, 6));
    if (!Number.isNaN(s) && !Number.isNaN(us)) return s * 1000 + us;
  }
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  const m = /\.(\d+)/.exec(iso);
  const frac = m ? m[1].padEnd(6, "0").slice(3, 6) : "000";
  return ms * 1000 + Number(frac);
}
