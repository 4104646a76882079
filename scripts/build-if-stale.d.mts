// Types for scripts/build-if-stale.mjs (plain JavaScript: it runs before anything is compiled).
/** True when dist is missing or older than some build input under `root` (default: the repository root). */
export declare function stale(root?: string): boolean;
