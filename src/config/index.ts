/** sentinel.conf: parse to a typed config, render and rewrite atomically (what the shell needs of src/config). */
export { parseConfig } from './parse.js';
export { renderConfig, writeConfigAtomic, writeConfigAtomicSync, removeStaleTempFiles, type AtomicFs } from './rewrite.js';
export { ConfigError } from './errors.js';
