// Placeholder (issue #5): registered by functions/index.ts, filled in as the inbox is built.
export {};
