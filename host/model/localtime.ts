// Local wall-clock fields of a timestamp in the appliance's time zone, for
// time-window rules. Intl is slow per call, so the offset is cached per
// quarter hour of UTC (every real zone changes offset on such a boundary).

export interface LocalTime {
  minuteOfDay: number;
  dayOfWeek: number; // 0 Sunday
  day: number;
  month: number;
  year: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();
const cache = new Map<string, LocalTime>();

export function localTime(ms: number, timeZone: string): LocalTime {
  const minute = Math.floor(ms / 60000);
  const key = `${timeZone}|${minute}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", weekday: "short",
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(minute * 60000))) parts[p.type] = p.value;
  const lt: LocalTime = {
    minuteOfDay: Number(parts.hour) * 60 + Number(parts.minute),
    dayOfWeek: WEEKDAYS[parts.weekday] ?? 0,
    day: Number(parts.day),
    month: Number(parts.month),
    year: Number(parts.year),
  };
  if (cache.size > 4096) cache.clear();
  cache.set(key, lt);
  return lt;
}
