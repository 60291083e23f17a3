import { test } from 'node:test';
import assert from 'node:assert/strict';

import { inferModelTypes, typeKey } from '../src/convert/value-types.js';
import { ConversionRefused } from '../src/convert/types.js';
import { TensorDataType } from '../src/model/onnx-proto.js';
import { floatTensor, graphAttr, info, int64Tensor, intAttr, model, node } from './helpers/tiny-model.js';

const { FLOAT, INT64, BOOL, UINT8, INT32, FLOAT16 } = TensorDataType;

test('types flow from inputs, initializers and constants through each rule', () => {
  const m = model({
    name: 'main',
    input: [info('x', FLOAT, [2, 3]), info('ids', INT64, [2])],
    output: [info('y', FLOAT)],
    initializer: [floatTensor('w', [3], [1, 2, 3]), int64Tensor('k', [1], [1])],
    node: [
      node('Shape', ['x'], ['shape']),
      node('Size', ['x'], ['size']),
      node('Greater', ['x', 'w'], ['gt']),
      node('Cast', ['ids'], ['ids_f16'], [intAttr('to', FLOAT16)]),
      node('Where', ['gt', 'x', 'w'], ['where']),
      node('TopK', ['x', 'k'], ['top_v', 'top_i']),
      node('DynamicQuantizeLinear', ['x'], ['xq', 'xs', 'xz']),
      node('MatMulInteger', ['xq', 'xq', 'xz', 'xz'], ['mmi']),
      node('Constant', [], ['c'], [{ name: 'value_ints', type: 7, ints: [1, 2] }]),
      node('Gather', ['x', 'ids'], ['gathered']),
      node('ArgMax', ['x'], ['am']),
      node('Add', ['x', 'w'], ['y']),
    ],
  });
  const scope = inferModelTypes(m).scopes.get(m.graph!)!;
  const expected: Record<string, string> = {
    shape: `tensor(${INT64})`,
    size: `tensor(${INT64})`,
    gt: `tensor(${BOOL})`,
    ids_f16: `tensor(${FLOAT16})`,
    where: `tensor(${FLOAT})`,
    top_v: `tensor(${FLOAT})`,
    top_i: `tensor(${INT64})`,
    xq: `tensor(${UINT8})`,
    xs: `tensor(${FLOAT})`,
    xz: `tensor(${UINT8})`,
    mmi: `tensor(${INT32})`,
    c: `tensor(${INT64})`,
    gathered: `tensor(${FLOAT})`,
    am: `tensor(${INT64})`,
    y: `tensor(${FLOAT})`,
  };
  for (const [name, key] of Object.entries(expected)) assert.equal(typeKey(scope.get(name)!), key, name);
});

test('If takes its branches’ output types; a branch sees the names of the graph around it', () => {
  const branch = (name: string, op: string) => ({
    name,
    output: [info(`${name}_out`, 0)],
    node: [node(op, ['x'], [`${name}_out`])],
  });
  const m = model({
    name: 'main',
    input: [info('x', FLOAT, [2]), info('flag', BOOL, [])],
    output: [info('y', FLOAT)],
    node: [
      node(
        'If',
        ['flag'],
        ['y'],
        [graphAttr('then_branch', branch('then', 'Relu')), graphAttr('else_branch', branch('else', 'Neg'))],
      ),
    ],
  });
  const { scopes } = inferModelTypes(m);
  assert.equal(typeKey(scopes.get(m.graph!)!.get('y')!), `tensor(${FLOAT})`);
  const thenGraph = m.graph!.node![0]!.attribute![0]!.g!;
  assert.equal(typeKey(scopes.get(thenGraph)!.get('then_out')!), `tensor(${FLOAT})`);
  assert.equal(scopes.get(thenGraph)!.owner('x'), scopes.get(m.graph!));
});

test('Loop outputs are its body’s carried values; untyped body inputs take the loop’s', () => {
  const body = {
    name: 'body',
    input: [{ name: 'i' }, { name: 'cond_in' }, { name: 'acc' }],
    output: [{ name: 'cond_out' }, { name: 'acc_out' }, { name: 'scan_out' }],
    node: [
      node('Identity', ['cond_in'], ['cond_out']),
      node('Add', ['acc', 'acc'], ['acc_out']),
      node('Cast', ['i'], ['scan_out'], [intAttr('to', FLOAT)]),
    ],
  };
  const m = model({
    name: 'main',
    input: [info('n', INT64, []), info('c', BOOL, []), info('a', FLOAT, [2])],
    output: [info('final', FLOAT), info('stacked', FLOAT)],
    node: [node('Loop', ['n', 'c', 'a'], ['final', 'stacked'], [graphAttr('body', body)])],
  });
  const { scopes } = inferModelTypes(m);
  const main = scopes.get(m.graph!)!;
  assert.equal(typeKey(main.get('final')!), `tensor(${FLOAT})`);
  assert.equal(typeKey(main.get('stacked')!), `tensor(${FLOAT})`);
  const bodyScope = scopes.get(body)!;
  assert.equal(typeKey(bodyScope.get('i')!), `tensor(${INT64})`);
  assert.equal(typeKey(bodyScope.get('cond_out')!), `tensor(${BOOL})`);
});

test('an operator of an unknown domain is refused unless value_info types it', () => {
  const custom = { ...node('Mystery', ['x'], ['y']), domain: 'example.custom' };
  const graph = {
    name: 'g',
    input: [info('x', FLOAT, [1])],
    output: [info('z', FLOAT)],
    node: [custom, node('Relu', ['y'], ['z'])],
  };
  assert.throws(
    () => inferModelTypes(model(graph)),
    (err: unknown) => err instanceof ConversionRefused && /example\.custom:Mystery/.test(err.message),
  );
  const typed = model({ ...graph, valueInfo: [info('y', FLOAT)] });
  assert.equal(typeKey(inferModelTypes(typed).scopes.get(typed.graph!)!.get('z')!), `tensor(${FLOAT})`);
});
