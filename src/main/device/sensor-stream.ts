// The sensor-stream side of a board connection, as the recording code sees it.
// A BoardConnection (board-manager.ts) implements this interface; recording code depends only on it.

/** Channel names in channel-mask bit order (docs/protocol.md, "Channel mask bits"). */
export const CHANNEL_NAMES = ['acc_x', 'acc_y', 'acc_z', 'gyro_x', 'gyro_y', 'gyro_z'] as const;

export interface SensorStreamConfig {
  rateHz: number;
  channelMask: number;
}

export interface SensorStreamStarted {
  rateHz: number;
  channels: string[];
  scales: number[];
}

/** One SAMPLES event. `data` is interleaved by sample: data[s * nChannels + c]. */
export interface SampleFrame {
  frameNo: number;
  t0Us: number;
  nSamples: number;
  nChannels: number;
  data: Int16Array;
}

export interface SensorStream {
  start(cfg: SensorStreamConfig): Promise<SensorStreamStarted>;
  stop(): Promise<{ framesSent: number; framesDropped: number }>;
  onSamples(listener: (f: SampleFrame) => void): () => void;
  onClose(listener: (err?: Error) => void): () => void; // the board went away
}
