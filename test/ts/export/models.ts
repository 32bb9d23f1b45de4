// The export suites' models (bench/export/models.mjs, shared with bench/export/onnx-agreement.mjs), built
// from the sources, typed. Not a test file itself.
import * as g from '../../../src/index.js';
import type { GraphSpec } from '../../../src/index.js';
import { neuralGpu } from '../../../src/model/neuralgpu.js';
// @ts-expect-error: a plain .mjs module without types
import * as shared from '../../../bench/export/models.mjs';

export interface ExportCase {
  readonly name: string;
  readonly spec: GraphSpec;
  readonly rows: number;
  /** The feature inputs, rows x shape each. */
  readonly inputs: Readonly<Record<string, Float32Array | Int32Array>>;
}

export const paperCase = (rows?: number): ExportCase => shared.paperCase(g, rows);
export const allCases = (): ExportCase[] => shared.allCases(g, neuralGpu);
