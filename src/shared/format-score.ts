/**
 * A score for people to read. Scores live in [0, 1): truncate rather than round, so 0.9996 never
 * prints as 1.000 (a score of 1 would mean certainty no detector claims).
 */
export function formatScore(score: number): string {
  return (Math.floor(score * 1000) / 1000).toFixed(3);
}
