/** Small helpers shared by the benchmarks. */
export function rate(count: number, ms: number): number {
  return (count / ms) * 1000;
}

export function formatRate(value: number, unit: string): string {
  return `${Math.round(value).toLocaleString('en-US')} ${unit}`;
}

export function row(label: string, value: string, note = ''): void {
  console.log(`  ${label.padEnd(46)} ${value.padStart(18)}${note === '' ? '' : `  ${note}`}`);
}
