// The "streams" domain of src/core: what other folders, the extension, the command line and the tests use from it.
// Other folders import only from here (scripts/check-layout.mjs).
export { HashStream } from './hashStream';
export { READ_CHUNK, inflater } from './inflate';
export { ParallelGzip } from './parallelGzip';
