/**
 * Subject encoding: every name is one token of [A-Za-z0-9_-], reversibly, whatever it holds; the
 * subject's shape never changes; filters map to the narrowest single subject filter.
 */
import { describe, expect, it } from "vitest";
import { decodeToken, encodeToken, eventSubject, subjectFilter } from "runtrail/nats";

const HOSTILE = ["", "a.b", "a b", "*", ">", "a.*.>", "_", "__2E", "é", "日本語", "🚀", "tab\there", "new\nline", "$JS.API", "-", "a_2Eb"];

describe("subject tokens", () => {
  it("encodes every name as one token of [A-Za-z0-9_-] and decodes it back", () => {
    const tokens = new Set<string>();
    for (const name of HOSTILE) {
      const token = encodeToken(name);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeToken(token)).toBe(name);
      tokens.add(token);
    }
    expect(tokens.size).toBe(HOSTILE.length);
  });

  it("keeps plain names as they are and escapes the rest as _XX of their UTF-8", () => {
    expect(encodeToken("run-42")).toBe("run-42");
    expect(encodeToken("acme corp.eu")).toBe("acme_20corp_2Eeu");
    expect(encodeToken("é")).toBe("_C3_A9");
    expect(encodeToken("a_b")).toBe("a_5Fb");
    expect(encodeToken("")).toBe("_");
  });

  it("refuses a token the encoding never makes, saying which", () => {
    expect(() => decodeToken("a.b")).toThrow(/"a\.b" is not a subject token/);
    expect(() => decodeToken("_zz")).toThrow(/not a subject token/);
  });
});

describe("event subjects", () => {
  it("always has account, workflow and run as one token each, then the type's parts", () => {
    for (const name of HOSTILE) {
      const subject = eventSubject("runtrail.ev", { accountId: name, workflow: { name }, runId: name, type: "step.completed" });
      const tokens = subject.split(".");
      expect(tokens).toHaveLength(7);
      expect(tokens.slice(0, 2)).toEqual(["runtrail", "ev"]);
      expect(tokens.slice(2, 5).map(decodeToken)).toEqual([name, name, name]);
      expect(tokens.slice(5)).toEqual(["step", "completed"]);
    }
  });
});

describe("subject filters", () => {
  it("maps a single account, workflow, run and type (or family glob) to tokens, the rest to wildcards", () => {
    expect(subjectFilter("p")).toBe("p.*.*.*.>");
    expect(subjectFilter("p", { runId: "r 1" })).toBe("p.*.*.r_201.>");
    expect(subjectFilter("p", { accountId: "acme", workflow: ["etl"], type: "step.*" })).toBe("p.acme.etl.*.step.>");
    expect(subjectFilter("p", { type: "run.completed" })).toBe("p.*.*.*.run.completed");
    expect(subjectFilter("p", { type: ["run.completed", "run.failed"], runId: ["a", "b"] })).toBe("p.*.*.*.>");
    expect(subjectFilter("p", { type: "step.comp*" })).toBe("p.*.*.*.>");
    expect(subjectFilter("p", { type: "*" })).toBe("p.*.*.*.>");
  });
});
