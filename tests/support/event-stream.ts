/**
 * The `next` events of a GraphQL-over-SSE response body (`event: next` blocks), parsed, in the
 * order they arrive. Ends when the stream ends; a failed read (the request aborted) ends it too.
 */
export async function* nextEvents<T = unknown>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    const blocks = buffered.split('\n\n');
    buffered = blocks.pop() ?? '';
    for (const block of blocks) {
      const data = block.split('\n').find((line) => line.startsWith('data:'));
      if (block.startsWith('event: next') && data !== undefined) yield JSON.parse(data.slice(5)) as T;
    }
  }
}
