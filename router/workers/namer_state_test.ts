import { assertEquals } from "../../tests/support/assert.ts";
import { mergeNamerStates } from "./namer_state.ts";

Deno.test("mergeNamerStates(): consul's path records, the first state of a path wins", () => {
  const main = { "/dc1/web": { state: { type: "pending" } } };
  const w1 = { "/dc1/web": { state: { type: "bound" } }, "/dc1/api": { state: { type: "neg" } } };
  const w2 = { "/dc2/db": { state: { type: "bound" } } };
  assertEquals(mergeNamerStates([main, w1, w2]), {
    "/dc1/web": { state: { type: "pending" } },
    "/dc1/api": { state: { type: "neg" } },
    "/dc2/db": { state: { type: "bound" } },
  });
  assertEquals(mergeNamerStates([{}]), {});
  assertEquals(mergeNamerStates([{}, {}, {}]), {});
});

Deno.test("mergeNamerStates(): marathon's list by app, k8s's endpoints and portMappings, fs's first", () => {
  assertEquals(
    mergeNamerStates([[], [{ "/users": 1 }], [{ "/users": 2 }, { "/web": 3 }]]),
    [{ "/users": 1 }, { "/web": 3 }],
  );
  assertEquals(
    mergeNamerStates([
      { endpoints: {}, portMappings: {} },
      { endpoints: { "/ns/http/a": 1 }, portMappings: {} },
      { endpoints: { "/ns/http/b": 2 }, portMappings: { "/ns/http/b": 3 } },
    ]),
    { endpoints: { "/ns/http/a": 1, "/ns/http/b": 2 }, portMappings: { "/ns/http/b": 3 } },
  );
  const fs = { events: {}, state: { running: true }, sub: { events: {}, state: {} } };
  assertEquals(mergeNamerStates([fs, { events: { x: 1 }, state: {} }]), fs);
});
