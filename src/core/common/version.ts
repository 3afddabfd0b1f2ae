// Replaced at bundle time by esbuild's `define`; the fallback serves tests run from out/.
declare const LIFEBOAT_VERSION: string | undefined;

export const toolVersion: string = typeof LIFEBOAT_VERSION === 'string' ? LIFEBOAT_VERSION : '0.0.0-dev';
