// Placeholder: the Graph directory adapter is being written (issue #5).
import type { Directory } from '../core/directory.js';

export function directory(): Directory {
  throw new Error('the Graph directory adapter is not built yet');
}
