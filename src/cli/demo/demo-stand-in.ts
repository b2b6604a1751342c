/**
 * The demo's stand-ins for outside services, on loopback: a pricing API that answers 503 to its
 * first call (so a retry policy has something to retry), a warehouse API that is down, and a
 * "model" that summarises what it is sent. Real HTTP, so the tool and LLM calls in the trail
 * are calls that really happened.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** A running stand-in. */
export interface StandIn {
  readonly url: string;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  let text = "";
  for await (const chunk of request) text += String(chunk);
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * Starts the stand-in on a free loopback port.
 *
 * @example
 * const standIn = await startStandIn();
 * await fetch(`${standIn.url}/pricing`, { method: "POST", body: JSON.stringify({ total: 10 }) });
 */
export async function startStandIn(): Promise<StandIn> {
  let pricingCalls = 0;
  const server = createServer((request, response) => {
    const reply = (status: number, body: unknown): void => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    bodyOf(request).then(
      (body) => {
        if (request.url === "/pricing") {
          // Fails every other call: the first call of each run fails, its retry succeeds.
          if (++pricingCalls % 2 === 1) return reply(503, { error: "pricing service: 503, try again" });
          const total = Number(body.total ?? 0);
          return reply(200, { total, tax: Math.round(total * 0.2 * 100) / 100 });
        }
        if (request.url === "/warehouse") return reply(500, { error: "warehouse: connection reset by peer" });
        if (request.url === "/model") {
          const prompt = String(body.prompt ?? "");
          const words = prompt.split(/\s+/).filter(Boolean);
          return reply(200, { text: `Summary: ${words.slice(0, 12).join(" ")}`, usage: { promptTokens: words.length, completionTokens: 14, totalTokens: words.length + 14 } });
        }
        return reply(404, { error: `no route ${request.url ?? ""}` });
      },
      () => reply(400, { error: "bad JSON" }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * POSTs JSON to the stand-in; a non-2xx answer throws with the service's message.
 *
 * @example
 * const price = await post<{ total: number }>(`${url}/pricing`, { total: 10 });
 */
export async function post<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const answer = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
  return answer;
}
