/**
 * Inline SVG bar charts drawn on the server: no script, they print, and screen readers get the title, a
 * description and the figures as text (each bar carries its value as a label and a <title>).
 */
export interface Bar {
  label: string;
  value: number;
  /** Shown after the value, e.g. a cost. */
  note?: string;
  /** A second, highlighted part of the bar (e.g. of them assigned), drawn from the left. */
  part?: number;
}

export interface ChartProps {
  id: string;
  title: string;
  desc: string;
  bars: Bar[];
  /** Value formatter for the labels. */
  format?: (n: number) => string;
  width?: number;
}

const ROW = 24;
const GAP = 6;

/** Horizontal bars: one row per label, so long labels (rule titles, quarters) stay readable at any width. */
export function BarChart({ id, title, desc, bars, format = String, width = 600 }: ChartProps) {
  const labelW = Math.min(240, Math.max(60, ...bars.map((b) => b.label.length * 7.5 + 10)));
  const plotW = width - labelW - 180;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = bars.length * (ROW + GAP) + 10;
  return (
    <figure class="chart-figure">
      <svg class="chart" id={id} role="img" aria-labelledby={`${id}-t ${id}-d`} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{desc}</desc>
        {bars.map((b, i) => {
          const y = 5 + i * (ROW + GAP);
          const w = Math.round((b.value / max) * plotW);
          const pw = b.part === undefined ? 0 : Math.round((b.part / max) * plotW);
          return (
            <g>
              <title>{`${b.label}: ${format(b.value)}${b.note ? ` (${b.note})` : ''}`}</title>
              <text x={labelW - 6} y={y + ROW / 2 + 4} text-anchor="end">{b.label}</text>
              <rect x={labelW} y={y} width={Math.max(w, b.value > 0 ? 2 : 0)} height={ROW} fill="#3b6fb6" />
              {pw > 0 && <rect x={labelW} y={y} width={pw} height={ROW} fill="#14213d" />}
              <text x={labelW + w + 6} y={y + ROW / 2 + 4}>{`${format(b.value)}${b.note ? ` · ${b.note}` : ''}`}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

/**
 * Vertical columns along a calendar axis (quarters): every period has its slot, empty ones too, so the gaps
 * between replacement waves are visible. Each column is labelled with its value and note above it.
 */
export function ColumnChart({ id, title, desc, bars, format = String, width = 600 }: ChartProps) {
  const top = 34;
  const plotH = 170;
  const axisH = 60;
  const left = 40;
  const slot = (width - left * 2) / Math.max(1, bars.length);
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = top + plotH + axisH;
  return (
    <figure class="chart-figure">
      <svg class="chart" id={id} role="img" aria-labelledby={`${id}-t ${id}-d`} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        <title id={`${id}-t`}>{title}</title>
        <desc id={`${id}-d`}>{desc}</desc>
        <line x1={left} x2={width - left} y1={top + plotH} y2={top + plotH} stroke="#4a5160" />
        {bars.map((b, i) => {
          const h = Math.round((b.value / max) * plotH);
          const x = left + i * slot;
          const cx = x + slot / 2;
          return (
            <g>
              <title>{`${b.label}: ${format(b.value)}${b.note ? ` (${b.note})` : ''}`}</title>
              <rect x={x + slot * 0.15} y={top + plotH - h} width={slot * 0.7} height={Math.max(h, b.value > 0 ? 2 : 0)} fill="#3b6fb6" />
              {b.value > 0 && <text x={cx} y={top + plotH - h - 18} text-anchor="middle">{format(b.value)}</text>}
              {b.value > 0 && b.note && <text x={cx} y={top + plotH - h - 5} text-anchor="middle" class="note">{b.note}</text>}
              <text x={cx} y={top + plotH + 10} text-anchor="end" transform={`rotate(-60 ${cx} ${top + plotH + 10})`}>{b.label}</text>
            </g>
          );
        })}
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}
