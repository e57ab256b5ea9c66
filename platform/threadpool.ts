/**
 * Imported first by every process entry point (and the benchmarks), before any file or crypto call
 * starts libuv's thread pool, which then keeps its size. Every accepted webhook writes and fsyncs
 * its raw payload and a ledger batch on that pool, and the worker's audit appends and evidence
 * writes share it: with libuv's default of 4 threads, a few slow fsyncs stall every other file
 * operation of the process (README "Performance"). An explicit UV_THREADPOOL_SIZE is kept.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

export {};
