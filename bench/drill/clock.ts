// Pauses, and progress lines stamped with the seconds since the drill began.

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const began = performance.now();

export function say(message: string): void {
  const s = ((performance.now() - began) / 1000).toFixed(1).padStart(6);
  console.log(`[${s} s] ${message}`);
}
