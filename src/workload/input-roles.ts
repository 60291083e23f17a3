/**
 * What an input's values must be, read from the node that consumes it: a Reshape's shape, a
 * Resize's scales, a Mod's divisor or a Log's argument cannot be random numbers. Each rule names
 * the op and port, so the report and a failure's hint can say which input went where.
 */
import type { OrtDType } from '../model/dtypes.js';
import type { InputUse, ModelInfo } from '../model/inspect.js';
import type { FillKind, SynthesisPlan } from './input-plan.js';

export interface InputRole {
  /** The consuming op and the name of its input: 'Resize', 'scales'. */
  op: string;
  port: string;
  /**
   * An operator parameter (a shape, axes, scales, a threshold): its dims are its own, never a
   * batch of queries. Data inputs with a domain (a divisor, Log's argument) keep their batch dim.
   */
  parameter: boolean;
  fill: FillKind;
  /** A --fill value that suits the port, offered when a run still fails. */
  suggestion: string;
}

/** The largest int32: a Slice's end that takes the whole dim (ONNX Runtime clamps it). */
const WHOLE_DIM = '2147483647';

type Rule = (use: InputUse, dtype: OrtDType, model: ModelInfo) => Omit<InputRole, 'op'> | undefined;

const isInt = (dtype: OrtDType) => /int/.test(dtype);
const isFloat = (dtype: OrtDType) => dtype.startsWith('float');
const axes = (port: string): Omit<InputRole, 'op'> => ({
  port,
  parameter: true,
  fill: { kind: 'axes' },
  suggestion: '0',
});
const constant = (port: string, text: string, suggestion = text): Omit<InputRole, 'op'> => ({
  port,
  parameter: true,
  fill: { kind: 'constant', text },
  suggestion,
});
/** The graph input that a node's input `port` reads, when it is one (the data a shape follows). */
const graphInput = (use: InputUse, port: number, model: ModelInfo): string | null => {
  const name = use.nodeInputs[port];
  return name && model.inputs.some((i) => i.name === name) ? name : null;
};

const REDUCE_OPS = [
  'ReduceSum',
  'ReduceMean',
  'ReduceMax',
  'ReduceMin',
  'ReduceProd',
  'ReduceL1',
  'ReduceL2',
  'ReduceLogSum',
  'ReduceLogSumExp',
  'ReduceSumSquare',
];

interface Domain {
  port: number;
  portName: string;
  /** Where synthesized values are drawn: well inside the domain. */
  min: number;
  max: number;
  accepts: (x: number) => boolean;
}

/** Ops whose argument has a domain: values outside it give NaN, which is the inputs' fault. */
const DOMAINS: Record<string, Domain> = {
  Log: { port: 0, portName: 'input', min: 0.1, max: 2, accepts: (x) => x > 0 },
  Sqrt: { port: 0, portName: 'input', min: 0.1, max: 2, accepts: (x) => x >= 0 },
  // A negative base to a fractional power is NaN.
  Pow: { port: 0, portName: 'base', min: 0.1, max: 2, accepts: (x) => x >= 0 },
  Acos: { port: 0, portName: 'input', min: -0.9, max: 0.9, accepts: (x) => Math.abs(x) <= 1 },
  Asin: { port: 0, portName: 'input', min: -0.9, max: 0.9, accepts: (x) => Math.abs(x) <= 1 },
  Atanh: { port: 0, portName: 'input', min: -0.9, max: 0.9, accepts: (x) => Math.abs(x) < 1 },
  Acosh: { port: 0, portName: 'input', min: 1.1, max: 3, accepts: (x) => x >= 1 },
  // The log of a sum: NaN wherever the sum is negative.
  ReduceLogSum: { port: 0, portName: 'data', min: 0.1, max: 2, accepts: (x) => x > 0 },
};

/** A domain op's rule: its argument drawn inside the domain. */
function domainRule(op: string): Rule {
  const d = DOMAINS[op]!;
  return (use, dtype) =>
    use.port === d.port && isFloat(dtype)
      ? {
          port: d.portName,
          parameter: false,
          fill: { kind: 'uniform', min: d.min, max: d.max },
          suggestion: d.min > 0 ? '1' : '0',
        }
      : undefined;
}

const RULES: Record<string, Rule> = {
  Reshape: (use, _dtype, model) =>
    use.port === 1
      ? {
          port: 'shape',
          parameter: true,
          // Never 0, which a Reshape with allowzero=1 takes literally.
          fill: { kind: 'reshape-shape', like: graphInput(use, 0, model) },
          suggestion: '-1',
        }
      : undefined,
  Expand: (use) => (use.port === 1 ? constant('shape', '1') : undefined),
  Tile: (use) => (use.port === 1 ? constant('repeats', '1') : undefined),
  ConstantOfShape: (use) => (use.port === 0 ? constant('input', '1') : undefined),
  Resize: (use, _dtype, model) => {
    if (use.port === 1) return { port: 'roi', parameter: true, fill: { kind: 'roi' }, suggestion: '0' };
    if (use.port === 2) return constant('scales', '1');
    if (use.port === 3) {
      return {
        port: 'sizes',
        parameter: true,
        fill: { kind: 'shape-of', input: graphInput(use, 0, model) },
        suggestion: '1',
      };
    }
    return undefined;
  },
  Upsample: (use) => (use.port === 1 ? constant('scales', '1') : undefined),
  Unsqueeze: (use) => (use.port === 1 ? axes('axes') : undefined),
  Squeeze: (use, _dtype, model) =>
    use.port === 1
      ? {
          port: 'axes',
          parameter: true,
          fill: { kind: 'unit-axes', of: graphInput(use, 0, model) },
          suggestion: '0',
        }
      : undefined,
  ...Object.fromEntries(
    REDUCE_OPS.map((op): [string, Rule] => [op, (use) => (use.port === 1 ? axes('axes') : undefined)]),
  ),
  Slice: (use) =>
    use.port === 1
      ? constant('starts', '0')
      : use.port === 2
        ? constant('ends', WHOLE_DIM)
        : use.port === 3
          ? axes('axes')
          : use.port === 4
            ? constant('steps', '1')
            : undefined,
  Pad: (use) => (use.port === 1 ? constant('pads', '0') : use.port === 3 ? axes('axes') : undefined),
  Split: (use, _dtype, model) => (use.port === 1 ? splitSizes(use, model) : undefined),
  SplitToSequence: (use, _dtype, model) => (use.port === 1 ? splitSizes(use, model) : undefined),
  TopK: (use) => (use.port === 1 ? constant('K', '1') : undefined),
  // A frame length of 0 divides by zero inside ONNX Runtime (SIGFPE), not an error it reports.
  STFT: (use) =>
    use.port === 1 ? constant('frame_step', '1') : use.port === 3 ? constant('frame_length', '1') : undefined,
  OneHot: (use) => (use.port === 1 ? constant('depth', '2') : undefined),
  Range: (use) =>
    use.port === 0
      ? constant('start', '0')
      : use.port === 1
        ? constant('limit', '4')
        : use.port === 2
          ? constant('delta', '1')
          : undefined,
  // An integer divisor of 0 is undefined behaviour in ONNX Runtime's kernels, not an error.
  Mod: (use, dtype) => (use.port === 1 ? divisor(dtype) : undefined),
  Div: (use, dtype) => (use.port === 1 && isInt(dtype) ? divisor(dtype) : undefined),
  NonMaxSuppression: (use, dtype) =>
    use.port === 2
      ? constant('max_output_boxes_per_class', '1')
      : (use.port === 3 || use.port === 4) && isFloat(dtype)
        ? {
            port: use.port === 3 ? 'iou_threshold' : 'score_threshold',
            parameter: true,
            fill: { kind: 'uniform', min: 0, max: 1 },
            suggestion: '0.5',
          }
        : undefined,
  // A string that a Cast turns into a number has to read as one.
  Cast: (use, dtype) => (use.port === 0 ? numericText(use, dtype) : undefined),
  CastLike: (use, dtype) => (use.port === 0 ? numericText(use, dtype) : undefined),
  Dropout: (use, dtype) => (use.port === 1 && isFloat(dtype) ? constant('ratio', '0.5') : undefined),
  ...Object.fromEntries(Object.keys(DOMAINS).map((op) => [op, domainRule(op)])),
};

function splitSizes(use: InputUse, model: ModelInfo): Omit<InputRole, 'op'> {
  return {
    port: 'split',
    parameter: true,
    fill: { kind: 'split-sizes', of: graphInput(use, 0, model), axis: use.axis ?? 0 },
    suggestion: '1',
  };
}

function numericText(use: InputUse, dtype: OrtDType): Omit<InputRole, 'op'> | undefined {
  return dtype === 'string' && !use.viaCast
    ? { port: 'input', parameter: false, fill: { kind: 'constant', text: '1' }, suggestion: '1' }
    : undefined;
}

function divisor(dtype: OrtDType): Omit<InputRole, 'op'> {
  return {
    port: 'divisor',
    parameter: false,
    fill: isInt(dtype) ? { kind: 'uniform-int', min: 1, max: 9 } : { kind: 'uniform', min: 1, max: 9 },
    suggestion: '1',
  };
}

/** The first consumer of an input (in node order) whose port constrains its values; null when none does. */
export function inputRole(name: string, dtype: OrtDType, model: ModelInfo): InputRole | null {
  for (const use of model.inputUses?.[name] ?? []) {
    const rule = RULES[use.opType];
    const role = rule?.(use, dtype, model);
    if (role) return { op: use.opType, ...role };
  }
  return null;
}

/**
 * When outputs hold NaN: the inputs that feed an op with a domain (Log, Sqrt, Pow's base) with
 * values that may lie outside it, in words with the --fill that keeps them inside. Undefined
 * when no input does, and NaN is the model's own doing.
 */
export function outsideDomain(plan: SynthesisPlan, model: ModelInfo): string | undefined {
  const found: string[] = [];
  for (const input of plan.inputs) {
    const use = (model.inputUses?.[input.name] ?? []).find((u) => DOMAINS[u.opType]?.port === u.port);
    if (!use) continue;
    const domain = DOMAINS[use.opType]!;
    const fill = input.fill;
    const inside =
      (fill.kind === 'uniform' && domain.accepts(fill.min) && domain.accepts(fill.max)) ||
      (fill.kind === 'constant' && domain.accepts(Number(fill.text)));
    if (inside) continue;
    const suggestion = domain.min > 0 ? '1' : '0';
    found.push(
      `input '${input.name}' feeds ${use.opType} and held ${describeFill(fill)}; pass values ${use.opType} accepts, such as --fill ${input.name}=${suggestion}`,
    );
  }
  return found.length > 0 ? found.join('; ') : undefined;
}

/**
 * When a run fails: the inputs that feed the op ONNX Runtime names, what they held, and the
 * --fill to try. Undefined when the message names no op that reads an input.
 */
export function fillHint(plan: SynthesisPlan, model: ModelInfo, message: string): string | undefined {
  const op = /running (\S+) node/.exec(message)?.[1];
  const found: string[] = [];
  for (const input of plan.inputs) {
    const role = input.role?.op === op ? input.role : null;
    // The op's data (its input 0) is rarely what it rejects; its parameters are.
    const use = (model.inputUses?.[input.name] ?? []).find((u) => u.opType === op && (role || u.port > 0));
    if (!use) continue;
    const port = role ? role.port : `input ${use.port}`;
    const suggestion = role ? role.suggestion : '1';
    const tried = input.fill.kind === 'constant' && input.fill.text === suggestion;
    found.push(
      `input '${input.name}' is ${op}'s ${port} and held ${describeFill(input.fill)}: pass the values the model expects with --fill ${input.name}=${tried ? 'VALUE' : suggestion}`,
    );
  }
  return found.length > 0 ? found.slice(0, 3).join('; ') : undefined;
}

/** Words for a fill, for a failure's hint: "ones", "random integers 1-9". */
export function describeFill(fill: FillKind): string {
  switch (fill.kind) {
    case 'constant':
      return `the constant ${fill.text}`;
    case 'reshape-shape':
      return fill.like ? `the dims of ${fill.like}` : 'ones and a -1';
    case 'shape-of':
      return fill.input ? `the shape of ${fill.input}` : 'ones';
    case 'axes':
      return 'the axes 0, 1, ...';
    case 'unit-axes':
      return fill.of ? `the axes of ${fill.of} of size 1` : 'the axes 0, 1, ...';
    case 'roi':
      return 'the whole image (starts 0, ends 1)';
    case 'split-sizes':
      return fill.of ? `parts of ${fill.of}'s axis ${fill.axis}` : 'ones';
    case 'uniform':
      return `random values from ${fill.min} to ${fill.max}`;
    case 'uniform-int':
      return `random integers from ${fill.min} to ${fill.max}`;
    case 'normal':
      return fill.scale === 1 ? 'random normal values' : `random normal values × ${fill.scale}`;
    case 'zeros':
      return 'zeros';
    case 'text':
      return "the text 'energy'";
    case 'random-bool':
      return 'random booleans';
    case 'token-ids':
      return `random token ids below ${fill.vocab}`;
    case 'attention-mask':
      return 'a mask of ones over each query';
    case 'positions':
      return 'positions 0, 1, ...';
  }
}
