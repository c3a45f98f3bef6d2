// How a settled line words a runtime: "15 min", "2 h 5 min", "12 s", "58 ms". A run shorter than a
// second still costs (rounded once per line, halves up), so it must not read as "0 s".

export function runtimeText(ms: number): string {
  if (ms > 0 && ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return sec ? `${m} min ${sec} s` : `${m} min`;
  return `${sec} s`;
}
