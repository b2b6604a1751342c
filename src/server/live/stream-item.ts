/**
 * What every stream sends: an event, its place and its JSON text. The live tail holds these, the
 * sources read them, the SSE and WebSocket sinks send them; this file owns the type, so none of
 * them imports another for it.
 */
import type { RuntrailEvent } from "../../events/index.js";

/** An event and its place in the stream: seq (run stream) or cursor (account stream). */
export interface StreamItem {
  readonly id: number;
  readonly event: RuntrailEvent;
  /** The event's JSON text (the stored body, or made once per read), shared by every stream. */
  readonly body: string;
  /**
   * The last wire message built around this item, for the next stream that sends the same one in
   * the same round (items are shared by the streams that read them); `key` says what it was built
   * for. The WebSocket sink sets it and clears it when the round ends.
   */
  wire?: { readonly key: string; readonly data: Buffer };
}
