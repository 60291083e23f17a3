/** Guesses a model's task from the names and shapes of its inputs and outputs. */
import type { ModelInfo } from '../model/inspect.js';
import type { TaskName } from './tasks.js';

export interface InferredTask {
  task: TaskName;
  /** Why: shown in the report, so a wrong guess is easy to spot and override with --task. */
  reason: string;
}

const has = (names: string[], pattern: RegExp) => names.some((n) => pattern.test(n));

export function inferTask(model: Pick<ModelInfo, 'inputs' | 'outputs'>): InferredTask {
  const inputs = model.inputs.map((i) => i.name);
  const outputs = model.outputs.map((o) => o.name);
  const rank = (name: string) => model.outputs.find((o) => o.name === name)?.shape?.length;

  if (has(inputs, /^(input_features|input_values|audio|waveform)$/)) {
    return { task: 'automatic-speech-recognition', reason: 'audio input (input_features / input_values)' };
  }
  const imageInput = model.inputs.find(
    (i) =>
      /pixel_values|^image|^images$|^input_image/.test(i.name) ||
      (i.shape?.length === 4 && i.dtype.startsWith('float') && i.shape[1] === 3),
  );
  if (imageInput) {
    if (has(outputs, /box|bbox/)) return { task: 'object-detection', reason: 'image input and box outputs' };
    if (has(inputs, /input_ids|decoder/))
      return { task: 'image-captioning', reason: 'image input with text ids' };
    return { task: 'image-classification', reason: `image input '${imageInput.name}'` };
  }
  if (has(inputs, /^(latent_model_input|sample|latents)$/) && has(inputs, /encoder_hidden_states|timestep/)) {
    return { task: 'image-generation', reason: 'denoiser inputs (sample, timestep, encoder_hidden_states)' };
  }
  if (has(inputs, /input_ids/)) {
    if (
      has(inputs, /past_key_values|decoder_input_ids/) ||
      (outputs.includes('logits') && rank('logits') === 3)
    ) {
      return has(inputs, /decoder_input_ids/) || has(inputs, /encoder_hidden_states/)
        ? { task: 'summarization', reason: 'encoder-decoder text inputs' }
        : { task: 'text-generation', reason: 'per-token logits (or a KV cache) from input_ids' };
    }
    if (has(outputs, /start_logits/) && has(outputs, /end_logits/)) {
      return { task: 'question-answering', reason: 'start_logits and end_logits outputs' };
    }
    if (has(outputs, /sentence_embedding|embeddings?$|last_hidden_state|pooler_output/)) {
      return { task: 'sentence-similarity', reason: 'embedding outputs from input_ids' };
    }
    if (outputs.includes('logits') && rank('logits') === 2) {
      return { task: 'text-classification', reason: 'input_ids in, [batch, labels] logits out' };
    }
  }
  return { task: 'custom', reason: 'no known task signature; pass --task to choose one' };
}
