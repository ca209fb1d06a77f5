// Time as a dependency: handlers never read the wall clock directly, so tests and the sandbox
// can share one clock with the FSx emulator and let hours of backup time pass in seconds.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
