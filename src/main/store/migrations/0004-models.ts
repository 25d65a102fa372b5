import type { Migration } from './types';

/**
 * How a float model was trained, one row per model (models of 0001 keep spec + weights):
 * the dataset version it was trained on (locked), the options, the curves, every split's
 * evaluation (accuracy, per-class, confusion matrix), normalisation stats, backend and time.
 */
export const migration0004: Migration = {
  version: 4,
  name: 'models-training',
  sql: `
    CREATE TABLE model_training (
      model_id INTEGER PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
      dataset_name TEXT NOT NULL,
      dataset_version INTEGER NOT NULL,
      -- class names, in output order (JSON array)
      classes TEXT NOT NULL,
      -- one window's shape (JSON array), e.g. [128, 9]
      input_shape TEXT NOT NULL,
      -- per-channel { mean, std } of the train split, or null (JSON)
      norm TEXT,
      -- TrainOptions (JSON)
      options TEXT NOT NULL,
      seed INTEGER NOT NULL,
      backend TEXT NOT NULL,
      backend_note TEXT NOT NULL DEFAULT '',
      train_seconds REAL NOT NULL,
      epochs_run INTEGER NOT NULL,
      best_epoch INTEGER NOT NULL,
      stopped_early INTEGER NOT NULL DEFAULT 0,
      params INTEGER NOT NULL,
      -- EpochMetrics[] (JSON)
      curves TEXT NOT NULL,
      -- { train?, val?, test? } Evaluation objects (JSON), confusion matrices included
      evaluations TEXT NOT NULL,
      job_id TEXT
    ) STRICT;
  `,
};
