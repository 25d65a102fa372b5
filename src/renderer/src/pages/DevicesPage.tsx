import { useEffect, useState } from 'react';
import type { BoardEntry, BoardEvent, BoardInfo, PingStats } from '../../../shared/api/boards';
import { PROTOCOL_BAUD_RATE } from '../../../shared/protocol';
import { api } from '../api';
import { ErrorBox } from '../components/ErrorBox';
import { JobProgress } from '../components/JobProgress';
import { isActive, useApi, useEvent, useJob } from '../hooks';
import { FirmwareFlash } from './devices/FirmwareFlash';

const kib = (n: number) => `${(n / 1024).toLocaleString(undefined, { maximumFractionDigits: 1 })} KiB`;
const mhz = (hz: number) => `${(hz / 1e6).toLocaleString(undefined, { maximumFractionDigits: 2 })} MHz`;

const ownerName = (owner: string): string =>
  owner === 'cli'
    ? 'a bitbench command'
    : owner === 'electron'
      ? 'the bitbench app'
      : owner === 'headless-host'
        ? 'another bitbench host'
        : owner;

function StateBadge({ state }: { state: BoardEntry['state'] }) {
  const cls = state === 'connected' ? 'badge ok' : state === 'error' ? 'badge bad' : 'badge';
  return (
    <span className={cls} data-testid="board-state">
      {state}
    </span>
  );
}

function InfoCard({ v }: { v: BoardInfo }) {
  const i = v.info;
  const rows: Array<[string, string]> = [
    ['Board', `${i.board} on ${v.port}`],
    ['CPU', `${i.cpu} @ ${mhz(i.clockHz)}`],
    ['Counter', v.counter.label],
    ['RAM', `${kib(i.ramBytes)} (${kib(i.ramFree)} free)`],
    ['Flash', `${kib(i.flashBytes)} (${kib(i.flashFree)} free)`],
    ['Model slot', `${kib(i.modelSlotBytes)}; inference arena ${kib(i.arenaBytes)}`],
    ['Protocol', `v${i.protocolVersion}, max payload ${i.maxPayload} B`],
    ['Firmware', `${i.firmwareVersion} (build ${i.buildId || '?'})`],
    ['Kernels', i.kernels.length ? i.kernels.join(', ') : 'none yet'],
    ['Weight bits', i.weightBits.length ? i.weightBits.join(' / ') : 'none yet'],
    [
      'Model',
      !v.model
        ? 'unknown'
        : v.model.state === 'none'
          ? 'none loaded'
          : `${v.model.state}, slot ${v.model.slot ?? '–'}, ${v.model.size.toLocaleString()} B, CRC 0x${v.model.crc32.toString(16).padStart(8, '0')}`,
    ],
  ];
  return (
    <table data-testid="board-info">
      <tbody>
        {rows.map(([k, val]) => (
          <tr key={k}>
            <th style={{ width: 140 }}>{k}</th>
            <td className={k === 'Counter' || k === 'Firmware' ? 'mono' : undefined}>{val}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DevicesPage() {
  const list = useApi(() => api.boards.list());
  const [live, setLive] = useState<Record<string, BoardEvent>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [selected, setSelected] = useState<BoardInfo | null>(null);
  const [ping, setPing] = useState<PingStats | null>(null);
  const [manualPath, setManualPath] = useState('');
  // Serial boards only: firmware built with another BB_UART_BAUD (the Nucleo ST-LINK passes it on).
  // Empty: the host's default ($BITBENCH_BAUD, else 460800).
  const [baud, setBaud] = useState('');
  const [showFlash, setShowFlash] = useState(false);
  // A virtual board without its firmware image: Build firmware runs `make -C firmware` as a job.
  const [fwJobId, setFwJobId] = useState<string>();
  const fwJob = useJob(fwJobId);
  const reloadList = list.reload;
  useEffect(() => {
    if (fwJob?.state === 'succeeded') reloadList();
  }, [fwJob?.state, reloadList]);
  const buildFirmware = async () => {
    setError(null);
    try {
      setFwJobId((await api.firmware.build({})).jobId);
    } catch (err) {
      setError(err);
    }
  };

  useEvent('board', (e) => {
    setLive((m) => ({ ...m, [e.spec]: e }));
    if (e.state !== 'connecting') list.reload();
    if (e.state !== 'connected') setSelected((s) => (s?.spec === e.spec ? null : s));
  });

  const run = async (spec: string, fn: () => Promise<void>) => {
    setBusy(spec);
    setError(null);
    try {
      await fn();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
      list.reload();
    }
  };
  const connect = (spec: string) =>
    run(spec, async () => {
      setPing(null);
      const serial = !spec.toLowerCase().startsWith('virtual:');
      const baudRate = Number(baud);
      if (serial && baud !== '' && !(/^\d+$/.test(baud) && baudRate >= 300 && baudRate <= 4_000_000))
        throw new Error(
          `Baud ${baud}: give the firmware's line rate, a whole number of baud (460800 unless built with BB_UART_BAUD), or leave it empty`,
        );
      setSelected(
        await api.boards.connect(serial && baud !== '' ? { board: spec, baudRate } : { board: spec }),
      );
    });
  const disconnect = (spec: string) =>
    run(spec, async () => {
      await api.boards.disconnect({ board: spec, stopVirtual: true });
      setSelected((s) => (s?.spec === spec ? null : s));
      setPing((p) => (p?.spec === spec ? null : p));
    });
  // A virtual board another bitbench process runs (a `boards start` in a terminal, another window).
  const stopEverywhere = (spec: string) =>
    run(spec, async () => {
      await api.boards.stop({ board: spec });
      setSelected((s) => (s?.spec === spec ? null : s));
      setPing((p) => (p?.spec === spec ? null : p));
    });
  const doPing = (spec: string) =>
    run(spec, async () => {
      setPing(await api.boards.ping({ board: spec, count: 50, payloadBytes: 0 }));
    });

  const boards = list.data?.boards ?? [];
  const connected = boards.filter((b) => b.state === 'connected');
  const stateOf = (b: BoardEntry) => (live[b.spec]?.state === 'connecting' ? 'connecting' : b.state);

  return (
    <section className="page" data-testid="devices-page">
      <h1>Devices</h1>
      <p className="muted">
        Virtual Cortex-M boards run the bitbench firmware under QEMU (timing in instructions, via -icount);
        USB boards running the same firmware appear as serial ports (timing in cycles).
      </p>
      <ErrorBox error={list.error ?? error} />
      <div className="row">
        <button
          type="button"
          className="btn-small"
          disabled={list.loading}
          onClick={() => list.reload()}
          data-testid="boards-refresh"
        >
          Refresh
        </button>
        <span className="muted">lists the serial ports again (a board just plugged in)</span>
      </div>
      {connected.length === 0 && !list.loading && (
        <p className="empty" data-testid="devices-empty">
          No board connected — start a virtual board (<strong>Start</strong> on virtual:m4 below) or plug in a
          board running the bitbench firmware and press <strong>Connect</strong>. See firmware/README.md for
          flashing.
        </p>
      )}
      <table data-testid="boards-table">
        <thead>
          <tr>
            <th>Board</th>
            <th>State</th>
            <th>Port</th>
            <th>Details</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {boards.map((b) => {
            const state = stateOf(b);
            const isBusy = busy === b.spec || state === 'connecting';
            const on = state === 'connected';
            return (
              <tr key={b.spec} data-spec={b.spec}>
                <td>
                  <div className="mono">{b.spec}</div>
                  <div className="muted">{b.name}</div>
                </td>
                <td>
                  <StateBadge state={state} />
                  {state !== 'connected' && state !== 'connecting' && (b.error ?? live[b.spec]?.error) && (
                    <div className="muted" data-testid="board-error">
                      {b.error ?? live[b.spec]?.error}
                    </div>
                  )}
                </td>
                <td className="mono">{b.port ?? '–'}</td>
                <td>
                  {b.unavailableReason ? (
                    <>
                      <span className="muted">Unavailable: {b.unavailableReason}</span>
                      {b.firmwareMissing && (
                        <div>
                          <button
                            type="button"
                            className="btn-small"
                            disabled={isActive(fwJob)}
                            title="Builds the firmware of every board (make -C firmware; needs gcc-arm-none-eabi)"
                            onClick={() => void buildFirmware()}
                            data-testid="build-virtual-firmware"
                          >
                            {isActive(fwJob) ? 'Building…' : 'Build firmware'}
                          </button>
                        </div>
                      )}
                    </>
                  ) : b.info ? (
                    <>
                      {b.info.board}, {b.info.cpu} @ {mhz(b.info.clockHz)}, firmware {b.info.firmwareVersion}
                      <div className="muted">counter: {b.counter?.label}</div>
                    </>
                  ) : (
                    <span className="muted">
                      {[b.manufacturer, b.serialNumber].filter(Boolean).join(' · ') || 'not probed yet'}
                    </span>
                  )}
                  {b.runningElsewhere.map((e) => (
                    <div className="muted" key={e.qemuPid} data-testid="running-elsewhere">
                      Also running in {ownerName(e.owner)} (pid {e.ownerPid}) on{' '}
                      <span className="mono">{e.port}</span>.{' '}
                      <button
                        type="button"
                        className="btn-small"
                        disabled={isBusy}
                        title={`Stops ${b.spec} wherever it runs, this window's too`}
                        onClick={() => void stopEverywhere(b.spec)}
                        data-testid="stop-elsewhere"
                      >
                        Stop it
                      </button>
                    </div>
                  ))}
                </td>
                <td>
                  <div className="row" style={{ gap: 6, flexWrap: 'nowrap' }}>
                    {on ? (
                      <>
                        <button className="btn-small" disabled={isBusy} onClick={() => void connect(b.spec)}>
                          Info
                        </button>
                        <button className="btn-small" disabled={isBusy} onClick={() => void doPing(b.spec)}>
                          Ping
                        </button>
                        <button
                          className="btn-small"
                          disabled={isBusy}
                          onClick={() => void disconnect(b.spec)}
                        >
                          {b.kind === 'virtual' ? 'Stop' : 'Disconnect'}
                        </button>
                      </>
                    ) : (
                      <button
                        className="btn-small primary"
                        disabled={isBusy || b.unavailableReason !== null}
                        onClick={() => void connect(b.spec)}
                      >
                        {isBusy
                          ? b.kind === 'virtual'
                            ? 'Starting…'
                            : 'Connecting…'
                          : b.kind === 'virtual'
                            ? 'Start'
                            : 'Connect'}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <JobProgress job={fwJob} />
      {list.data?.discoveryNote && <p className="muted">{list.data.discoveryNote}</p>}
      <div className="row" style={{ marginTop: 10 }}>
        <label>
          Port path
          <input
            placeholder="/dev/ttyACM0 or COM3"
            value={manualPath}
            onChange={(e) => setManualPath(e.target.value)}
            style={{ width: 220 }}
          />
        </label>
        <label>
          Baud
          <input
            inputMode="numeric"
            value={baud}
            placeholder={String(PROTOCOL_BAUD_RATE)}
            onChange={(e) => setBaud(e.target.value.trim())}
            style={{ width: 90 }}
            data-testid="serial-baud"
          />
        </label>
        <button
          disabled={!manualPath.trim() || busy !== null}
          onClick={() => void connect(manualPath.trim())}
        >
          Connect
        </button>
        <span className="muted">
          Pseudo-terminals and some adapters never show up in the list; give their path here. Serial boards
          open at {PROTOCOL_BAUD_RATE} baud, our firmware&apos;s rate; give another for firmware built with
          BB_UART_BAUD.
        </span>
      </div>

      <div className="row" style={{ marginTop: 10 }}>
        <button type="button" onClick={() => setShowFlash((v) => !v)} data-testid="open-firmware-flash">
          Flash firmware to a real board
        </button>
        <span className="muted">Nucleo boards: copy to the board drive, or st-flash / OpenOCD.</span>
      </div>
      {showFlash && <FirmwareFlash />}

      {ping && (
        <>
          <h2>Round trip — {ping.spec}</h2>
          <p data-testid="ping-result">
            <span className="mono">
              p50 {ping.p50Ms.toFixed(3)} ms · p99 {ping.p99Ms.toFixed(3)} ms · mean {ping.meanMs.toFixed(3)}{' '}
              ms
            </span>{' '}
            <span className="muted">
              ({ping.count} pings of {ping.payloadBytes} B, {ping.failures} failed; host wall clock over{' '}
              {ping.port})
            </span>
          </p>
        </>
      )}
      {selected && (
        <>
          <h2>{selected.spec}</h2>
          <div className="card">
            <InfoCard v={selected} />
          </div>
        </>
      )}
    </section>
  );
}
