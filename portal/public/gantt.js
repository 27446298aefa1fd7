// A small Gantt chart in SVG: one bar per planned run (a whole change, or one region of a
// per-region rollout), in lanes by wave or by region, on a UTC time axis. Each bar is focusable
// and carries a <title> with its UTC and local times, so a keyboard or screen-reader user gets
// what a mouse user sees on hover.
import { svg, localTime, utcTime } from './api.js';

const HOUR = 3600000;
const LABEL_W = 170;
const ROW_H = 24;
const LANE_GAP = 10;
const AXIS_H = 40;

/** The lane of a run. */
function laneOf(run, groupBy) {
  if (groupBy === 'region') return run.region || (run.regions || []).join(' + ') || '(no region)';
  return `wave ${run.wave}`;
}

/** The key that names a run across plans: its id, and its region for a per-region entry. */
export function runKey(run) {
  return run.region ? `${run.id}@${run.region}` : run.id;
}

/**
 * Draws `runs` (a plan's `changes`). Options: `groupBy` ('wave' | 'region'), `zoneOf(region)`
 * (the IANA zone of a region, for the tooltips), `moved` (a Set of run keys to mark), `width`.
 */
export function drawGantt(runs, { groupBy = 'wave', zoneOf = () => 'UTC', moved = new Set(), width = 1100 } = {}) {
  const lanes = new Map();
  for (const run of runs) {
    const lane = laneOf(run, groupBy);
    if (!lanes.has(lane)) lanes.set(lane, []);
    lanes.get(lane).push(run);
  }
  const laneNames = [...lanes.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const t0 = Math.min(...runs.map((r) => Date.parse(r.start)));
  const t1 = Math.max(...runs.map((r) => Date.parse(r.end)));
  const from = Math.floor(t0 / (24 * HOUR)) * 24 * HOUR;
  const to = Math.max(from + 24 * HOUR, Math.ceil(t1 / (24 * HOUR)) * 24 * HOUR);
  const plotW = width - LABEL_W - 20;
  const x = (t) => LABEL_W + ((t - from) / (to - from)) * plotW;
  const height = AXIS_H + laneNames.reduce((h, l) => h + lanes.get(l).length * ROW_H + LANE_GAP, 0) + 10;

  const root = svg('svg', {
    class: 'gantt', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': `Gantt chart of ${runs.length} planned runs from ${utcTime(from)} to ${utcTime(to)}`,
  });
  root.append(svg('title', {}, `Release train: ${runs.length} planned runs`));

  // Time axis: a line per day (labelled with the UTC date), a faint one every 6 hours.
  const days = (to - from) / (24 * HOUR);
  const step = days > 10 ? 24 : 6;
  for (let t = from; t <= to; t += step * HOUR) {
    const isDay = (t - from) % (24 * HOUR) === 0;
    root.append(svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: AXIS_H - 6, y2: height, 'stroke-width': isDay ? 1.2 : 0.5 }));
    if (isDay && t < to) {
      const d = new Date(t);
      root.append(svg('text', { class: 'tick', x: x(t) + 3, y: 14 },
        d.toLocaleDateString('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' })));
      root.append(svg('text', { class: 'tick', x: x(t) + 3, y: 28 }, '00:00 UTC'));
    } else if (!isDay && days <= 4) {
      root.append(svg('text', { class: 'tick', x: x(t) + 3, y: 28 }, `${String(new Date(t).getUTCHours()).padStart(2, '0')}:00`));
    }
  }

  let y = AXIS_H;
  for (const lane of laneNames) {
    const rows = lanes.get(lane);
    root.append(svg('rect', { x: 0, y: y - 2, width, height: rows.length * ROW_H + 4, fill: laneNames.indexOf(lane) % 2 ? '#ffffff' : '#f6f8fa' }));
    root.append(svg('text', { class: 'lane-label', x: 6, y: y + 15 }, lane));
    for (const run of rows) {
      const a = Date.parse(run.start);
      const b = Date.parse(run.end);
      const regions = run.region ? [run.region] : run.regions || [];
      const local = regions.map((r) => `${r}: ${localTime(run.start, zoneOf(r))} to ${localTime(run.end, zoneOf(r))}`);
      const isMoved = moved.has(runKey(run));
      const label = `${runKey(run)}${isMoved ? ' (moved)' : ''}`;
      const bw = Math.max(4, x(b) - x(a));
      const group = svg('g', {
        class: 'run', tabindex: 0, 'data-id': run.id, 'data-region': run.region,
        'aria-label': `${label}: ${utcTime(run.start)} to ${utcTime(run.end)}, wave ${run.wave}; ${local.join('; ')}`,
      },
      svg('title', {}, [`${label}  (wave ${run.wave}; ${run.services.join(', ')})`, `UTC: ${utcTime(run.start)} to ${utcTime(run.end)}`, ...local].join('\n')),
      svg('rect', { class: `bar${isMoved ? ' moved' : ''}`, x: x(a), y: y + 3, width: bw, height: ROW_H - 8, rx: 3 }));
      // The id beside the bar, on the side with room.
      const right = x(a) + bw + 4;
      const textX = right + 120 < width ? right : x(a) - 4;
      group.append(svg('text', { class: 'bar-label', x: textX, y: y + 16, 'text-anchor': textX === right ? 'start' : 'end' }, label));
      root.append(group);
      y += ROW_H;
    }
    y += LANE_GAP;
  }
  return root;
}
