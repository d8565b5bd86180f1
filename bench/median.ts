// The middle value of a sample (the upper middle for an even count): what
// the classifier benchmarks quote, since these machines are noisy.
export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}
