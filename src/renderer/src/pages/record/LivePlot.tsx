import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { api } from '../../api';
import { PlotBuffer } from './plot-buffer';
import { axisStroke, colorOf, gridStroke } from './plot-style';

/** Points kept on screen: enough for 6 s at 1 kHz, few enough to redraw well inside a 16 ms frame. */
const MAX_POINTS = 6000;

interface Props {
  sessionId: number;
  channels: string[];
  units: string[];
  rateHz: number;
  windowS?: number;
}

/**
 * Streaming plot of the running recording. Batches arrive through the `recordingSamples` event
 * (≤ ~30 per second) straight into a PlotBuffer, outside React; a requestAnimationFrame loop
 * redraws only when something arrived, so the page does no React render per batch and the plot
 * costs nothing while the stream is idle.
 */
export function LivePlot({ sessionId, channels, units, rateHz, windowS = 5 }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const stats = useRef<HTMLSpanElement>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const capacity = Math.max(16, Math.min(MAX_POINTS, Math.ceil(windowS * rateHz)));
    const buf = new PlotBuffer(capacity, channels.length);
    // Time spent drawing, from uPlot's own hooks: the budget that decides whether 60 fps holds.
    let drawStart = 0;
    let drawMs = 0;
    let draws = 0;
    const opts: uPlot.Options = {
      width: el.clientWidth || 800,
      height: 300,
      pxAlign: false,
      legend: { live: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [
        { stroke: axisStroke(), grid: { stroke: gridStroke(), width: 1 }, label: 'time (s, board clock)' },
        { stroke: axisStroke(), grid: { stroke: gridStroke(), width: 1 } },
      ],
      series: [
        {},
        ...channels.map((name, i) => ({
          label: units[i] ? `${name} (${units[i]})` : name,
          stroke: colorOf(i),
          width: 1,
          points: { show: false },
        })),
      ],
      hooks: {
        drawClear: [() => (drawStart = performance.now())],
        draw: [
          () => {
            drawMs += performance.now() - drawStart;
            draws++;
          },
        ],
      },
    };
    const u = new uPlot(opts, [new Float64Array(0), ...channels.map(() => new Float64Array(0))], el);
    let dirty = false;
    let lastIndex = -1;
    let frames = 0;
    let fpsFrames = 0;
    let fpsSince = performance.now();
    let fps = 0;
    const off = api.events.on('recordingSamples', (b) => {
      if (b.sessionId !== sessionId || b.nChannels !== channels.length) return;
      // Thin further on screen when the window would hold more points than MAX_POINTS.
      const keepEvery = Math.max(1, Math.ceil((windowS * rateHz) / (b.stride * capacity)));
      for (let k = 0; k < b.nSamples; k++) {
        const index = b.firstIndex + k * b.stride;
        if (keepEvery > 1 && Math.floor(index / b.stride) % keepEvery !== 0) continue;
        buf.push(index / rateHz, b.data, k * b.nChannels);
        lastIndex = index;
      }
      dirty = true;
    });
    let raf = 0;
    const draw = (now: number) => {
      raf = requestAnimationFrame(draw);
      fpsFrames++;
      if (now - fpsSince >= 1000) {
        fps = (fpsFrames * 1000) / (now - fpsSince);
        const avgDraw = draws ? drawMs / draws : 0;
        fpsFrames = 0;
        fpsSince = now;
        drawMs = 0;
        draws = 0;
        el.dataset.fps = fps.toFixed(1);
        el.dataset.drawMs = avgDraw.toFixed(2);
        if (stats.current) {
          stats.current.textContent = `${fps.toFixed(0)} fps · ${avgDraw.toFixed(1)} ms per redraw · ${buf.length.toLocaleString()} points × ${channels.length} channels on screen`;
        }
      }
      if (!dirty) return;
      dirty = false;
      const [x, ...ys] = buf.views();
      const last = buf.lastX ?? 0;
      u.batch(() => {
        u.setData([x, ...ys]);
        u.setScale('x', { min: Math.max(0, last - windowS), max: Math.max(windowS, last) });
      });
      frames++;
      el.dataset.frames = String(frames);
      el.dataset.lastIndex = String(lastIndex);
    };
    raf = requestAnimationFrame(draw);
    const ro = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: 300 }));
    ro.observe(el);
    return () => {
      cancelAnimationFrame(raf);
      off();
      ro.disconnect();
      u.destroy();
    };
  }, [sessionId, channels, units, rateHz, windowS]);

  return (
    <div className="rec-plot">
      <div ref={host} data-testid="live-plot" />
      <div className="muted rec-plot-stats">
        <span ref={stats} data-testid="live-plot-fps">
          starting…
        </span>{' '}
        · last {windowS} s · x: sample index ÷ {rateHz} Hz
      </div>
    </div>
  );
}
