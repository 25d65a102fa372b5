import { useEffect, useState } from 'react';
import type { CsvPreview, ImportInput } from '../../../../shared/api/datasets';
import { api } from '../../api';
import { ErrorBox } from '../../components/ErrorBox';
import { JobProgress } from '../../components/JobProgress';
import { isActive, useJob } from '../../hooks';
import { errorInFormWords, jobInFormWords } from './form-wording';

type Kind = 'uci-hapt' | 'csv' | 'mnist';

const HINTS: Record<Kind, { path: string; name: string; what: string }> = {
  'uci-hapt': {
    path: '../shared/datasets/uci-hapt',
    name: 'har',
    what: 'UCI-HAPT raw recordings → UCI-HAR windows: 9 channels, 128 samples, 50 % overlap, UCI-HAR test subjects.',
  },
  csv: {
    path: '../shared/datasets/gesture-to-emoji',
    name: 'gestures',
    what: 'A CSV file or a folder of them: one file per recording, a label column, or one file per class.',
  },
  mnist: {
    path: '../shared/datasets/mnist',
    name: 'mnist',
    what: 'MNIST idx(.gz) files: [28, 28, 1] images in 0..1, train 60k / test 10k.',
  },
};

function optionalInt(s: string): number | undefined {
  return s.trim() === '' ? undefined : Number(s);
}

/** Choose kind, path and options; CSV shows a preview (columns, rate, recordings) before importing. */
export function ImportDialog({ onClose, onImported }: { onClose: () => void; onImported: () => void }) {
  const [kind, setKind] = useState<Kind>('uci-hapt');
  const [path, setPath] = useState(HINTS['uci-hapt'].path);
  const [name, setName] = useState(HINTS['uci-hapt'].name);
  const [labelColumn, setLabelColumn] = useState('');
  const [recordingLength, setRecordingLength] = useState('');
  const [rate, setRate] = useState('');
  const [windowLength, setWindowLength] = useState('');
  const [stride, setStride] = useState('');
  const [preview, setPreview] = useState<CsvPreview>();
  const [error, setError] = useState<unknown>();
  const [jobId, setJobId] = useState<string>();
  const [asking, setAsking] = useState(false);
  const job = useJob(jobId);
  const succeeded = job?.state === 'succeeded' ? job.id : undefined;
  useEffect(() => {
    if (succeeded) onImported();
  }, [succeeded, onImported]);

  const csv = () => ({
    ...(labelColumn.trim() ? { labelColumn: labelColumn.trim() } : {}),
    ...(recordingLength.trim() ? { recordingLength: Number(recordingLength) } : {}),
    ...(rate.trim() ? { rate: Number(rate) } : {}),
  });

  const choose = (k: Kind) => {
    setKind(k);
    setPath(HINTS[k].path);
    setName(HINTS[k].name);
    setRecordingLength('');
    setRate('');
    setPreview(undefined);
    setError(undefined);
  };

  const doPreview = async () => {
    setError(undefined);
    setPreview(undefined);
    try {
      setPreview(await api.datasets.preview({ path, csv: csv() }));
    } catch (err) {
      setError(err);
    }
  };

  const doImport = async () => {
    setError(undefined);
    const wl = optionalInt(windowLength);
    const st = optionalInt(stride);
    const common = {
      path,
      name,
      ...(wl !== undefined ? { windowLength: wl } : {}),
      ...(st !== undefined ? { stride: st } : {}),
    };
    const input: ImportInput = kind === 'csv' ? { kind, ...common, csv: csv() } : { kind, ...common };
    setAsking(true);
    try {
      setJobId((await api.datasets.import(input)).jobId);
    } catch (err) {
      setError(err);
    } finally {
      setAsking(false);
    }
  };

  // Busy from the click until the job ends: a second click would only import the same data again.
  const running = asking || (jobId !== undefined && (job === undefined || isActive(job)));
  return (
    <div
      className="card import-dialog"
      role="dialog"
      aria-label="Import a dataset"
      data-testid="import-dialog"
    >
      <h2>Import a dataset</h2>
      <div className="row">
        {(['uci-hapt', 'csv', 'mnist'] as const).map((k) => (
          <label key={k}>
            <input type="radio" name="kind" checked={kind === k} onChange={() => choose(k)} />{' '}
            {k === 'uci-hapt' ? 'UCI-HAPT' : k.toUpperCase()}
          </label>
        ))}
      </div>
      <p className="muted">{HINTS[kind].what}</p>
      <div className="grid2">
        <label>
          Path (file or folder)
          <input value={path} onChange={(e) => setPath(e.target.value)} data-testid="import-path" />
        </label>
        <label>
          Dataset name
          <input value={name} onChange={(e) => setName(e.target.value)} data-testid="import-name" />
        </label>
        {kind === 'csv' && (
          <>
            <label>
              Label column (optional)
              <input
                value={labelColumn}
                onChange={(e) => setLabelColumn(e.target.value)}
                placeholder="label"
              />
            </label>
            <label>
              Recording length, samples (optional)
              <input
                value={recordingLength}
                onChange={(e) => setRecordingLength(e.target.value)}
                placeholder="blank lines separate recordings"
                data-testid="import-recording-length"
              />
            </label>
            <label>
              Sample rate, Hz (optional)
              <input
                value={rate}
                onChange={(e) => setRate(e.target.value)}
                placeholder="from a time column"
                data-testid="import-rate"
              />
            </label>
          </>
        )}
        {kind !== 'mnist' && (
          <>
            <label>
              Window length, samples (optional)
              <input
                value={windowLength}
                onChange={(e) => setWindowLength(e.target.value)}
                placeholder={kind === 'uci-hapt' ? '128' : 'recording length'}
              />
            </label>
            <label>
              Stride, samples (optional)
              <input
                value={stride}
                onChange={(e) => setStride(e.target.value)}
                placeholder={kind === 'uci-hapt' ? '64' : 'window length'}
              />
            </label>
          </>
        )}
      </div>
      <div className="row">
        {kind === 'csv' && (
          <button type="button" onClick={() => void doPreview()} disabled={running}>
            Preview
          </button>
        )}
        <button
          type="button"
          className="primary"
          onClick={() => void doImport()}
          disabled={running || !path || !name}
          data-testid="import-start"
        >
          Import
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <ErrorBox error={errorInFormWords(error)} />
      <JobProgress job={jobInFormWords(job)} />
      {preview && <PreviewTable preview={preview} />}
    </div>
  );
}

function PreviewTable({ preview }: { preview: CsvPreview }) {
  return (
    <div className="preview" data-testid="csv-preview">
      <table>
        <tbody>
          <tr>
            <th>Files</th>
            <td>
              {preview.files.length}: <span className="mono">{preview.files.slice(0, 6).join(', ')}</span>
              {preview.files.length > 6 ? ' …' : ''}
            </td>
          </tr>
          <tr>
            <th>Layout</th>
            <td>
              {preview.layout}; delimiter <code>{preview.delimiter}</code>;{' '}
              {preview.header ? 'header line' : 'no header'}
            </td>
          </tr>
          <tr>
            <th>Columns</th>
            <td className="mono">{preview.columns.join(', ')}</td>
          </tr>
          <tr>
            <th>Channels</th>
            <td className="mono">{preview.channels.join(', ')}</td>
          </tr>
          <tr>
            <th>Rate</th>
            <td>
              {preview.rate_hz !== null
                ? `${preview.rate_hz} Hz (${preview.rate_source})`
                : 'unknown — set the sample rate'}
            </td>
          </tr>
          <tr>
            <th>Recordings found</th>
            <td>
              {preview.recordings} ({preview.samples} samples
              {preview.recording_lengths
                ? `, ${preview.recording_lengths.min}–${preview.recording_lengths.max} samples each`
                : ''}
              )
            </td>
          </tr>
          <tr>
            <th>Windows (default)</th>
            <td data-testid="preview-windows">
              {preview.window_length} samples, stride {preview.stride}
              {preview.stride === preview.window_length &&
              preview.recording_lengths &&
              preview.recording_lengths.max < 2 * preview.window_length
                ? ' (one per recording)'
                : ''}
              {preview.windowless_recordings.length > 0 && (
                <div className="warn-box" data-testid="preview-windowless">
                  {preview.windowless_recordings.length} recording
                  {preview.windowless_recordings.length === 1 ? ' is' : 's are'} shorter and give
                  {preview.windowless_recordings.length === 1 ? 's' : ''} no window:{' '}
                  {preview.windowless_recordings.slice(0, 5).join(', ')}
                  {preview.windowless_recordings.length > 5 ? ' …' : ''}
                </div>
              )}
            </td>
          </tr>
          <tr>
            <th>Labels</th>
            <td>
              {Object.entries(preview.labels)
                .map(([k, v]) => `${k} (${v})`)
                .join(', ')}
            </td>
          </tr>
          {preview.split_column !== null && preview.split_recordings && (
            <tr>
              <th>Split</th>
              <td data-testid="preview-split">
                from column <code>{preview.split_column}</code>, not drawn again (not a channel):{' '}
                {Object.entries(preview.split_recordings)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}{' '}
                recordings
              </td>
            </tr>
          )}
          {preview.subjects.length > 0 && (
            <tr>
              <th>Subjects</th>
              <td>{preview.subjects.join(', ')}</td>
            </tr>
          )}
        </tbody>
      </table>
      <h3>First rows</h3>
      <table className="mono">
        <thead>
          <tr>
            {preview.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.first_rows.map((r, i) => (
            <tr key={i}>
              {r.map((f, j) => (
                <td key={j} className="num">
                  {f}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
