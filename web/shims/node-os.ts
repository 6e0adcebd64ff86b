/** node:os for the browser bundle: the CPU count src/kernel asks for. */
export const availableParallelism = (): number => globalThis.navigator?.hardwareConcurrency ?? 1;
export const cpus = (): unknown[] => new Array(availableParallelism()).fill({});
