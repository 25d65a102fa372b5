import { useEffect, useMemo, useRef, useState } from 'react';
import type { RecordingStatus, SessionSummary, StartRecordingInput } from '../../../shared/api/recording';
import { IMU_CHANNELS } from '../../../shared/api/recording';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { useApi, useEvent } from '../hooks';
import { LivePlot } from './record/LivePlot';
import './record/record.css';
import { SessionView } from './record/SessionView';

const RATES = [25, 50, 100, 200, 500, 1000];

function Counters({ s }: { s: RecordingStatus }) {
  const rate =
    s.stream === 'forwarder'
      ? `${s.rateHz ?? '?'} Hz (measured now ${s.detectedRateHz ?? '…'} Hz, host clock)`
      : `${s.rateHz ?? '?'} Hz (board clock)`;
  return (
    <div className="rec-counters" data-testid="rec-counters">
      <span data-testid="rec-state">{s.state}</span>
      <span>
        {s.recordedS.toFixed(2)} s{s.durationS ? ` / ${s.durationS} s` : ''}
      </span>
      <span data-testid="rec-samples">{s.samples.toLocaleString()} samples</span>
      <span>{rate}</span>
      <span className={s.gaps ? 'bad' : ''} data-testid="rec-gaps">
        {s.gaps} gaps
      </span>
      <span className={s.droppedFrames ? 'bad' : ''} data-testid="rec-dropped">
        {s.droppedFrames} dropped frames
      </span>
      {s.stream === 'forwarder' && <span className={s.badLines ? 'warn' : ''}>{s.badLines} bad lines</span>}
    </div>
  );
}

export function RecordPage() {
  const boards = useApi(() => api.boards.list());
  const sessions = useApi(() => api.recording.sessions({}));
  const undo = useApi(() => api.recording.undoInfo());
  const [status, setStatus] = useState<RecordingStatus | undefined>();
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<number | null>(null);

  const [board, setBoard] = useState('virtual:m4');
  const [customPort, setCustomPort] = useState('');
  const [forwarder, setForwarder] = useState(false);
  const [baud, setBaud] = useState(115200);
  const [channels, setChannels] = useState<string[]>([...IMU_CHANNELS]);
  const [rate, setRate] = useState(100);
  const [label, setLabel] = useState('');
  const [name, setName] = useState('');
  const [dataset, setDataset] = useState('');
  const [countdown, setCountdown] = useState(0);
  const [duration, setDuration] = useState(10);

  // From the click until the host answers: a second click would only be refused as "already running".
  const [starting, setStarting] = useState(false);

  const prevState = useRef<RecordingStatus['state'] | undefined>(undefined);
  useEffect(() => {
    api.recording.status().then((s) => {
      prevState.current ??= s.state;
      setStatus(s);
      // Opened (or reloaded) while a recording runs: the form shows what it records.
      if (s.state !== 'idle') {
        if (s.board?.startsWith('virtual:')) setBoard(s.board);
        else if (s.board) {
          setBoard('custom');
          setCustomPort(s.board);
        }
        setForwarder(s.stream === 'forwarder');
        if (s.rateHz && s.stream !== 'forwarder') setRate(s.rateHz);
        if (s.channels.length && s.stream !== 'forwarder') setChannels(s.channels);
        setLabel(s.label ?? '');
        setName(s.name ?? '');
        setDataset(s.dataset ?? '');
        setDuration(s.durationS ?? 0);
      }
    }, setError);
  }, []);
  const listedAt = useRef(0);
  const eventAt = useRef(0);
  const onStatus = (s: RecordingStatus) => {
    // A recording just ended: show it in the list, opened.
    if (prevState.current && prevState.current !== 'idle' && s.state === 'idle') {
      sessions.reload();
      if (s.last) setSelected(s.last.id);
    } else if (s.state === 'recording' && Date.now() - listedAt.current > 2000) {
      // The running session's row counts its samples too, not only the counters above.
      listedAt.current = Date.now();
      sessions.reload();
    }
    prevState.current = s.state;
    setStatus(s);
  };
  useEvent('recordingStatus', (s) => {
    eventAt.current = Date.now();
    onStatus(s);
  });
  const running = status && status.state !== 'idle';
  // A running recording sends its status every fraction of a second. Silence means the event link
  // dropped (a host that paused, a socket that reconnected): the status is asked for instead, so an
  // end the page did not hear about (a timed recording, a Stop from elsewhere) still shows.
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => {
      if (Date.now() - eventAt.current < 2500) return;
      const asked = Date.now();
      api.recording.status().then(
        (s) => eventAt.current <= asked && onStatus(s),
        () => undefined,
      );
    }, 2500);
    return () => clearInterval(timer);
  }, [running]); // eslint-disable-line react-hooks/exhaustive-deps

  const spec = board === 'custom' ? customPort.trim() : board;
  const start = async () => {
    setError(null);
    setSelected(null);
    const input: StartRecordingInput = {
      board: spec,
      source: forwarder ? 'forwarder' : 'bitbench',
      countdownS: countdown,
      baudRate: baud,
      ...(forwarder ? {} : { rateHz: rate, channels }),
      ...(label.trim() ? { label: label.trim() } : {}),
      ...(name.trim() ? { name: name.trim() } : {}),
      ...(dataset.trim() ? { dataset: dataset.trim() } : {}),
      ...(duration > 0 ? { durationS: duration } : {}),
    };
    setStarting(true);
    try {
      setStatus(await api.recording.start(input));
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };
  const stop = async () => {
    try {
      await api.recording.stop();
    } catch (err) {
      setError(err);
    }
  };
  const changed = () => {
    sessions.reload();
    undo.reload();
  };
  const doUndo = async () => {
    setError(null);
    try {
      await api.recording.undo();
    } catch (err) {
      setError(err);
    }
    changed();
  };

  const live = status?.state === 'recording' && status.sessionId !== null ? status : undefined;
  // Stable per session, so the plot is built once per recording, not on every status event.
  const liveKey = live ? `${live.sessionId}` : '';
  const liveChannels = useMemo(() => live?.channels ?? [], [liveKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const liveUnits = useMemo(() => live?.units ?? [], [liveKey]); // eslint-disable-line react-hooks/exhaustive-deps

  const boardOptions = (boards.data?.boards ?? []).filter((b) => !b.unavailableReason || b.kind === 'serial');
  const list: SessionSummary[] = sessions.data ?? [];

  return (
    <section className="page" data-testid="record-page">
      <h1>Record</h1>
      <p className="muted">
        Stream accelerometer and gyroscope data from a board into a session, watch it live, label it. Boards
        running other firmware can send plain text lines (“data forwarder”).
      </p>
      <ErrorBox error={error ?? status?.error ?? null} />

      <div className="card">
        <div className="rec-form">
          <label>
            Board
            <select
              value={board}
              onChange={(e) => setBoard(e.target.value)}
              disabled={!!running}
              data-testid="rec-board"
            >
              {boardOptions.map((b) => (
                <option key={b.spec} value={b.spec}>
                  {b.spec}
                </option>
              ))}
              {!boardOptions.some((b) => b.spec === 'virtual:m4') && (
                <option value="virtual:m4">virtual:m4</option>
              )}
              <option value="custom">other port…</option>
            </select>
          </label>
          {board === 'custom' && (
            <label>
              Port
              <input
                type="text"
                placeholder="/dev/ttyACM0"
                value={customPort}
                onChange={(e) => setCustomPort(e.target.value)}
              />
            </label>
          )}
          <label title="The board prints one sample per line: numbers separated by commas, spaces or tabs">
            Text lines (data forwarder)
            <input
              type="checkbox"
              checked={forwarder}
              onChange={(e) => setForwarder(e.target.checked)}
              disabled={!!running}
            />
          </label>
          {forwarder ? (
            <label>
              Baud
              <input
                type="number"
                value={baud}
                onChange={(e) => setBaud(Number(e.target.value))}
                disabled={!!running}
              />
            </label>
          ) : (
            <label>
              Rate (Hz)
              <select
                value={rate}
                onChange={(e) => setRate(Number(e.target.value))}
                disabled={!!running}
                data-testid="rec-rate"
              >
                {RATES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            Label
            <input
              type="text"
              value={label}
              onChange={(e) => setLabel(e.target.value)}
              placeholder="wave"
              data-testid="rec-label"
            />
          </label>
          <label>
            Session name
            <input
              type="text"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="(label + time)"
              data-testid="rec-name"
            />
          </label>
          <label>
            Dataset group
            <input
              type="text"
              value={dataset}
              onChange={(e) => setDataset(e.target.value)}
              placeholder="gestures"
              data-testid="rec-dataset"
            />
          </label>
          <label>
            Countdown (s)
            <input
              type="number"
              min={0}
              max={60}
              value={countdown}
              onChange={(e) => setCountdown(Number(e.target.value))}
            />
          </label>
          <label title="0 = until you press Stop">
            Duration (s)
            <input
              type="number"
              min={0}
              value={duration}
              onChange={(e) => setDuration(Number(e.target.value))}
              data-testid="rec-duration"
            />
          </label>
        </div>
        {!forwarder && (
          <div className="rec-channels" style={{ marginTop: 8 }}>
            {IMU_CHANNELS.map((c) => (
              <label key={c}>
                <input
                  type="checkbox"
                  checked={channels.includes(c)}
                  disabled={!!running}
                  onChange={(e) =>
                    setChannels((cur) =>
                      e.target.checked
                        ? IMU_CHANNELS.filter((x) => x === c || cur.includes(x))
                        : cur.filter((x) => x !== c),
                    )
                  }
                />
                {c} ({c.startsWith('acc') ? 'm/s²' : 'rad/s'})
              </label>
            ))}
          </div>
        )}
        <div className="row" style={{ marginTop: 10 }}>
          {running ? (
            <button className="primary" onClick={stop} data-testid="rec-stop">
              Stop
            </button>
          ) : (
            <button
              className="primary"
              onClick={start}
              disabled={starting || !spec || (!forwarder && channels.length === 0)}
              data-testid="rec-start"
            >
              Start recording
            </button>
          )}
          {status?.warning && <span className="muted">{status.warning}</span>}
        </div>
      </div>

      {status?.state === 'countdown' && (
        <div className="rec-countdown" data-testid="rec-countdown">
          {status.countdownLeftS > 0 ? `Starting in ${status.countdownLeftS}…` : 'Starting…'}
        </div>
      )}
      {status?.state === 'connecting' && <p className="muted">Connecting to {status.board}…</p>}
      {status && status.state !== 'idle' && <Counters s={status} />}
      {live && live.rateHz && (
        <LivePlot
          sessionId={live.sessionId!}
          channels={liveChannels}
          units={liveUnits}
          rateHz={live.rateHz}
        />
      )}

      {undo.data?.action && (
        <div className="rec-undo" data-testid="undo-banner">
          <span>Last change can be undone: {undo.data.description}.</span>
          <button onClick={doUndo} data-testid="undo">
            Undo
          </button>
        </div>
      )}

      <h2>Sessions</h2>
      {list.length === 0 ? (
        <p className="empty" data-testid="sessions-empty">
          No sessions yet — choose a board above (virtual:m4 needs no hardware) and press{' '}
          <strong>Start recording</strong>.
        </p>
      ) : (
        <table className="rec-sessions" data-testid="sessions-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Label</th>
              <th>Group</th>
              <th className="num">Samples</th>
              <th className="num">Rate (Hz)</th>
              <th className="num">Duration (s)</th>
              <th className="num">Gaps</th>
              <th className="num">Dropped frames</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr
                key={s.id}
                className={s.id === selected ? 'selected' : ''}
                onClick={() => setSelected(s.id)}
                data-testid="session-row"
              >
                <td>{s.name}</td>
                <td>
                  {s.label ?? '—'}
                  {s.segments ? <span className="muted"> + {s.segments} segments</span> : null}
                </td>
                <td>{s.dataset ?? '—'}</td>
                <td className="num">{s.samples.toLocaleString()}</td>
                <td className="num">{s.rate_hz ?? '?'}</td>
                <td className="num">{s.duration_s.toFixed(2)}</td>
                <td className="num">{s.gaps}</td>
                <td className="num">{s.dropped_frames}</td>
                <td>{s.state}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected !== null && list.some((s) => s.id === selected) && (
        <>
          <h2>Session</h2>
          <SessionView
            key={selected}
            id={selected}
            listed={list.find((s) => s.id === selected)}
            onChanged={changed}
            onDeleted={() => {
              setSelected(null);
              changed();
            }}
          />
        </>
      )}
    </section>
  );
}
