import { describe, expect, it } from 'vitest';
import { ScoreCalibrator, calibrationSchema } from '../../../../src/detect/stats/score-calibrator.js';

describe('ScoreCalibrator', () => {
  it('outputs 0 until it has seen its warm-up', () => {
    const calibrator = new ScoreCalibrator(calibrationSchema.parse({ warmup: 5 }));
    expect([0.9, 0.9, 0.9, 0.9, 0.9].map((s) => calibrator.calibrate(s))).toEqual([0, 0, 0, 0, 0]);
  });

  it('needs a rarer event to alarm on a series whose scores are routinely high', () => {
    const quiet = new ScoreCalibrator(calibrationSchema.parse({}));
    const bursty = new ScoreCalibrator(calibrationSchema.parse({}));
    for (let i = 0; i < 1000; i++) {
      quiet.calibrate(0.05);
      bursty.calibrate(i % 10 === 0 ? 0.95 : 0.05);
    }
    const onQuiet = quiet.calibrate(0.95);
    const onBursty = bursty.calibrate(0.95);
    expect(onQuiet).toBeGreaterThan(0.9);
    expect(onBursty).toBeLessThan(0.5);
  });

  it('round-trips its state', () => {
    const a = new ScoreCalibrator(calibrationSchema.parse({}));
    for (let i = 0; i < 200; i++) a.calibrate((i % 7) / 10);
    const b = new ScoreCalibrator(calibrationSchema.parse({}), a.snapshot());
    expect(b.calibrate(0.8)).toBe(a.calibrate(0.8));
  });
});
