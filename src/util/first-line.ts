/** The first non-blank line of a message, trimmed: what an error from a library or a tool is shown as. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** ONNX Runtime's first line, without its `[ErrorCode:…]` prefix. */
export function onnxRuntimeMessage(text: string): string {
  return firstLine(text.replace(/^\s*\[ErrorCode:\w+\]\s*/, ''));
}
