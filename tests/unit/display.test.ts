/**
 * display, plot and table: the mime bundles, the plain-text table, and what
 * happens outside a kernel (jest is not a tslab kernel: text/plain is printed).
 */
import { displayBundle, figureBundle, inKernel, newDisplayId, showFigure, showTable, tableText } from "kernel-helpers";

const PLOTLY_MIME = "application/vnd.plotly.v1+json";

let log: jest.SpyInstance;
beforeEach(() => {
  log = jest.spyOn(console, "log").mockImplementation(() => undefined);
});
afterEach(() => {
  log.mockRestore();
});

describe("figureBundle", () => {
  const figure = {
    data: [
      { type: "bar", name: "serial", x: ["a", "b"], y: [1, 2] },
      { type: "scatter", x: [1], y: [3] },
    ],
    layout: { title: { text: "Time (s)" } },
    config: { displaylogo: false },
  };

  test("has exactly the plotly, HTML and plain-text mime types", () => {
    expect(Object.keys(figureBundle(figure, "div-1")).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"].sort());
  });

  test("the plotly JSON holds data, layout and the caller's config, not responsive (jupyterlab-plotly's output has no height of its own: a responsive figure collapses when the window's height changes)", () => {
    const spec = figureBundle(figure, "div-1")[PLOTLY_MIME] as Record<string, unknown>;
    expect(Object.keys(spec).sort()).toEqual(["config", "data", "layout"]);
    expect(spec["data"]).toEqual(figure.data);
    expect(spec["layout"]).toEqual(figure.layout);
    expect(spec["config"]).toEqual({ displaylogo: false });
  });

  test("layout and config default to {}; the HTML version is responsive (its div has a minimum height)", () => {
    const bundle = figureBundle({ data: [] }, "d");
    const spec = bundle[PLOTLY_MIME] as Record<string, unknown>;
    expect(spec["layout"]).toEqual({});
    expect(spec["config"]).toEqual({});
    expect(bundle["text/html"]).toContain('"config":{"responsive":true}');
    expect(bundle["text/html"]).toContain("min-height:420px");
  });

  test("the HTML has a div with the given id and a script that calls Plotly.newPlot on it", () => {
    const html = figureBundle(figure, "my-figure-id")["text/html"] as string;
    expect(html).toContain('<div id="my-figure-id"');
    expect(html).toContain('document.getElementById("my-figure-id")');
    expect(html).toContain("Plotly.newPlot(");
    expect(html).toContain("<script");
  });

  test("without a div id a fresh one is made for each bundle", () => {
    const first = figureBundle(figure)["text/html"] as string;
    const second = figureBundle(figure)["text/html"] as string;
    const idOf = (html: string): string | undefined => /<div id="([^"]+)"/.exec(html)?.[1];
    expect(idOf(first)).toMatch(/^kh-plot-[0-9a-f]{16}$/);
    expect(idOf(first)).not.toBe(idOf(second));
  });

  test("a </script> inside trace data is escaped so it cannot end the script element", () => {
    const evil = "</script><script>alert(1)</script>";
    const bundle = figureBundle({ data: [{ type: "bar", name: evil, x: [evil], y: [1] }], layout: { title: evil } }, "d");
    const html = bundle["text/html"] as string;
    // Only the one closing tag written by figureBundle itself, at the very end.
    expect(html.match(/<\/script/gi)).toHaveLength(1);
    expect(html.trimEnd().endsWith("</script>")).toBe(true);
    expect(html).toContain("\\u003c/script>");
    // The JSON mime type carries the data unchanged.
    expect((bundle[PLOTLY_MIME] as { data: { name: string }[] }).data[0]!.name).toBe(evil);
  });

  test("line and paragraph separators in data are escaped in the script", () => {
    const html = figureBundle({ data: [{ name: "a\u2028b\u2029c" }] }, "d")["text/html"] as string;
    expect(html).not.toContain("\u2028");
    expect(html).not.toContain("\u2029");
    expect(html).toContain("\\u2028");
  });

  test("text/plain names the title and the traces", () => {
    expect(figureBundle(figure, "d")["text/plain"]).toBe('Plotly figure "Time (s)": 2 trace(s) [serial, scatter]');
    expect(figureBundle({ data: [{ x: [1] }], layout: { title: "Plain title" } }, "d")["text/plain"]).toBe(
      'Plotly figure "Plain title": 1 trace(s) [trace]',
    );
    expect(figureBundle({ data: [] }, "d")["text/plain"]).toBe("Plotly figure: 0 trace(s) []");
  });
});

describe("tableText", () => {
  test("right-aligns every column under a dashed rule, with thousands separators for integers", () => {
    const text = tableText([
      { case: "serial", seconds: 4.2, tasks: 1_000_000 },
      { case: "pool", seconds: 12.25, tasks: 16 },
    ]);
    expect(text.split("\n")).toEqual([
      "  case  seconds      tasks",
      "------  -------  ---------",
      "serial      4.2  1,000,000",
      "  pool    12.25         16",
    ]);
  });

  test("a caption goes on the first line", () => {
    expect(tableText([{ a: 1 }], { caption: "Timings" }).split("\n")).toEqual(["Timings", "a", "-", "1"]);
  });

  test("columns are the union of the rows' keys in first-seen order; missing cells are blank", () => {
    const lines = tableText([{ a: 1 }, { b: "xy", a: 22 }]).split("\n");
    expect(lines[0]).toBe(" a   b");
    expect(lines[2]!.trimEnd()).toBe(" 1");
    expect(lines[3]).toBe("22  xy");
  });

  test("non-integers are rounded to `digits` significant digits (default 6); null is blank; objects are JSON", () => {
    const lines = tableText([{ x: Math.PI, y: null, z: [1, 2] }]).split("\n");
    expect(lines.at(-1)).toBe("3.14159     [1,2]");
    expect(tableText([{ x: Math.PI }], { digits: 3 }).split("\n").at(-1)).toBe("3.14");
  });

  test("accepts a danfojs-DataFrame-like { columns, values }", () => {
    const frame = { columns: ["workers", "seconds"], values: [[1, 4.25], [2, 2.5], [16, 0.625]] };
    expect(tableText(frame).split("\n")).toEqual([
      "workers  seconds",
      "-------  -------",
      "      1     4.25",
      "      2      2.5",
      "     16    0.625",
    ]);
  });
});

describe("displayBundle and show* outside a kernel", () => {
  test("jest is not a tslab kernel", () => {
    expect(inKernel()).toBe(false);
  });

  test("displayBundle returns false and prints text/plain", () => {
    const shown = displayBundle({ "text/html": "<b>hi</b>", "text/plain": "hi" });
    expect(shown).toBe(false);
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith("hi");
  });

  test("displayBundle prints an empty line when there is no text/plain", () => {
    expect(displayBundle({ "text/html": "<b>hi</b>" })).toBe(false);
    expect(log).toHaveBeenCalledWith("");
  });

  test("an update of an earlier output prints nothing outside a kernel", () => {
    const displayId = newDisplayId();
    expect(displayId).toMatch(/^[0-9a-f]{16}$/);
    expect(displayBundle({ "text/plain": "again" }, { displayId, update: true })).toBe(false);
    expect(log).not.toHaveBeenCalled();
  });

  test("showTable prints the table text", () => {
    const rows = [{ case: "serial", seconds: 4.2 }];
    showTable(rows, { caption: "Timings" });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log).toHaveBeenCalledWith(tableText(rows, { caption: "Timings" }));
    expect(() => showTable("rows" as unknown as [])).toThrow(TypeError);
  });

  test("showFigure prints the plotly.js loader line once, then the figure's text", () => {
    showFigure({ data: [{ type: "bar", name: "b" }], layout: { title: "T" } });
    showFigure({ data: [{ type: "bar", name: "c" }] });
    const printed = log.mock.calls.map(([text]) => String(text));
    expect(printed).toHaveLength(3);
    expect(printed[0]).toMatch(/^plotly\.js \d+\.\d+\.\d+ loaded inline\.$/);
    expect(printed[1]).toBe('Plotly figure "T": 1 trace(s) [b]');
    expect(printed[2]).toBe("Plotly figure: 1 trace(s) [c]");
    expect(() => showFigure({} as never)).toThrow(TypeError);
  });
});
