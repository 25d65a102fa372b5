import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { PlotSamples, Segment } from '../../../../shared/api/recording';
import { axisStroke, colorOf, gridStroke } from './plot-style';

interface Props {
  samples: PlotSamples;
  units: string[];
  segments: Segment[];
  /** A range was dragged on the plot: samples [start, end). */
  onSelect: (range: { start: number; end: number } | null) => void;
}

const BAND_COLORS = [
  'rgba(9,105,218,0.12)',
  'rgba(26,127,55,0.14)',
  'rgba(188,76,0,0.13)',
  'rgba(130,80,223,0.13)',
];

/**
 * A stored session (thinned to min/max per bucket by the main process). Dragging across the plot
 * selects a range of samples; labelled segments are drawn as bands under the curves.
 */
export function SessionPlot({ samples, units, segments, onSelect }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const segRef = useRef(segments);
  const selectRef = useRef(onSelect);
  const plotRef = useRef<uPlot | null>(null);

  useEffect(() => {
    segRef.current = segments;
    plotRef.current?.redraw(false);
  }, [segments]);
  useEffect(() => {
    selectRef.current = onSelect;
  });

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const rate = samples.rate_hz ?? 1;
    const toX = (i: number) => i / rate;
    const labelColor = new Map<string, string>();
    const bands = (u: uPlot) => {
      const ctx = u.ctx;
      const { top, height } = u.bbox;
      ctx.save();
      for (const s of segRef.current) {
        if (s.start === 0 && s.end === null) continue; // the whole-session label is shown as text
        if (!labelColor.has(s.label))
          labelColor.set(s.label, BAND_COLORS[labelColor.size % BAND_COLORS.length]!);
        const x0 = u.valToPos(toX(s.start), 'x', true);
        const x1 = u.valToPos(toX(s.end ?? samples.total), 'x', true);
        ctx.fillStyle = labelColor.get(s.label)!;
        ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
        ctx.fillStyle = axisStroke();
        ctx.font = `${11 * devicePixelRatio}px system-ui`;
        ctx.fillText(s.label, x0 + 4 * devicePixelRatio, top + 14 * devicePixelRatio);
      }
      ctx.restore();
    };
    const opts: uPlot.Options = {
      width: el.clientWidth || 800,
      height: 260,
      legend: { live: false },
      cursor: { drag: { x: true, y: false, setScale: false } },
      scales: { x: { time: false } },
      axes: [
        {
          stroke: axisStroke(),
          grid: { stroke: gridStroke(), width: 1 },
          label: `time (s) — ${samples.total.toLocaleString()} samples`,
        },
        { stroke: axisStroke(), grid: { stroke: gridStroke(), width: 1 } },
      ],
      series: [
        {},
        ...samples.channels.map((name, i) => ({
          label: units[i] ? `${name} (${units[i]})` : name,
          stroke: colorOf(i),
          width: 1,
          points: { show: false },
        })),
      ],
      hooks: {
        drawClear: [bands],
        setSelect: [
          (u) => {
            if (u.select.width < 2) return selectRef.current(null);
            const a = Math.max(0, Math.round(u.posToVal(u.select.left, 'x') * rate));
            const b = Math.min(
              samples.total,
              Math.round(u.posToVal(u.select.left + u.select.width, 'x') * rate),
            );
            selectRef.current(b > a ? { start: a, end: b } : null);
          },
        ],
      },
    };
    const x = Float64Array.from(samples.index, toX);
    const u = new uPlot(opts, [x, ...samples.values.map((v) => Float64Array.from(v))], el);
    plotRef.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: 260 }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plotRef.current = null;
      u.destroy();
    };
  }, [samples, units]);

  return <div ref={host} data-testid="session-plot" />;
}
