import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/logger.js';
import type { DetectorSpec } from '../detector-spec.js';
import { AutoencoderDetector, autoencoderStateDir } from './autoencoder-detector.js';
import { loadTensorflow } from './tensorflow-runtime.js';
import { TrainingThread } from './training-thread.js';

/**
 * Loads (or creates) the model of every autoencoder detector from the state directory. TensorFlow
 * is loaded only when a detector needs it. Models train on a worker thread (same weights as an
 * in-process training), so a retraining in the service does not share the event loop with the
 * stream: one thread for all of them (`deps.trainingThread`, or one started here that ends when the
 * last of them is closed).
 */
export async function loadAutoencoders(
  detectors: readonly DetectorSpec[],
  stateDir: string,
  deps: { readonly clock: Clock; readonly logger: Logger; readonly trainingThread?: TrainingThread },
): Promise<Map<string, AutoencoderDetector>> {
  const models = new Map<string, AutoencoderDetector>();
  const wanted = detectors.filter((d) => d.spec.autoencoder !== undefined);
  if (wanted.length === 0) return models;
  const tensorflow = await loadTensorflow({ logger: deps.logger });
  const trainingThread = deps.trainingThread ?? new TrainingThread(tensorflow, deps.logger);
  try {
    for (const detector of wanted) {
      const config = detector.spec.autoencoder;
      if (config === undefined) continue;
      const name = detector.metadata.name;
      models.set(name, await AutoencoderDetector.load(config, { stateDir: autoencoderStateDir(stateDir, name), logger: deps.logger, clock: deps.clock, tensorflow, trainingThread }));
    }
  } catch (error) {
    // The ones opened release the thread (a thread started here ends with the last of them).
    for (const model of models.values()) await model.close().catch(() => undefined);
    throw error;
  }
  return models;
}
