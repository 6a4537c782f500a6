/**
 * JupyterLab 4's notebook front end in one page, for tests/e2e/jupyterlab.test.ts.
 *
 * It has the shape of JupyterLab's official `examples/notebook`: a ServiceManager
 * talking to a Jupyter server, a RenderMimeRegistry with the standard renderers
 * (plus MathJax for math, the marked parser for Markdown and, when asked,
 * jupyterlab-plotly's renderer), a DocumentManager with the notebook model and
 * widget factories, CodeMirror 6 editors, and the notebook panel's default
 * toolbar (save, insert, run, interrupt, restart, ...). Two buttons stand in for
 * the menu entries the application shell would offer: "Run All" (Run > Run All
 * Cells) and "Shut Down Kernel" (Kernel > Shut Down Kernel); they call the same
 * NotebookActions.runAll and SessionContext.shutdown as those menu commands.
 *
 * Served by the Notebook server from /static/kh-lab/index.html?token=T&path=P[&views=plotly,html][&kernel=0]:
 *   token   the server's token (sent as a header, and on WebSocket URLs)
 *   path    the notebook, relative to the server's notebook folder
 *   views   the views of the notebook, side by side, each with its own renderers:
 *             plotly  jupyterlab-plotly's renderer registered (JupyterLab after `pip install plotly`)
 *             html    the standard renderers only (figures through their text/html fallback)
 *           Both views show the same notebook model, as JupyterLab's "New View for Notebook"
 *           does, so one Run All is seen through both. Default: plotly,html.
 *   kernel  0: open without a kernel (to look at saved outputs only)
 *
 * The test reads the page through `window.khLab` (see the end of this file).
 * Written in JavaScript, not TypeScript: the repository's type check (tests/tsconfig.json)
 * has no DOM types and must not need this folder's packages.
 */
import "@jupyterlab/notebook/style/index.css";
import "@jupyterlab/theme-light-extension/style/theme.css";
import "@jupyterlab/mathjax-extension/style/index.css";
import "./page.css";

import { SessionContextDialogs } from "@jupyterlab/apputils";
import {
  CodeMirrorEditorFactory,
  CodeMirrorMimeTypeService,
  EditorExtensionRegistry,
  EditorLanguageRegistry,
  EditorThemeRegistry,
  ybinding,
} from "@jupyterlab/codemirror";
import { DocumentManager } from "@jupyterlab/docmanager";
import { DocumentRegistry } from "@jupyterlab/docregistry";
import { createMarkdownParser } from "@jupyterlab/markedparser-extension";
import { MathJaxTypesetter } from "@jupyterlab/mathjax-extension";
import {
  NotebookActions,
  NotebookModelFactory,
  NotebookPanel,
  NotebookWidgetFactory,
  runCell,
  setCellExecutor,
  ToolbarItems,
} from "@jupyterlab/notebook";
import { RenderMimeRegistry, standardRendererFactories } from "@jupyterlab/rendermime";
import { ServerConnection, ServiceManager, UserManager } from "@jupyterlab/services";
import { ToolbarButton } from "@jupyterlab/ui-components";
import { Signal, Stream } from "@lumino/signaling";
import { BoxPanel, Widget } from "@lumino/widgets";
import plotlyExtensions from "jupyterlab-plotly/lib/plotly-renderer.js";

const params = new URLSearchParams(window.location.search);
const notebookPath = params.get("path") ?? "";
const views = (params.get("views") ?? "plotly,html").split(",");
const withKernel = params.get("kernel") !== "0";

const baseUrl = new URL("/", window.location.href).href;
const serverSettings = ServerConnection.makeSettings({
  baseUrl,
  wsUrl: baseUrl.replace(/^http/, "ws"),
  token: params.get("token") ?? "",
  appendToken: true,
});

// /api/me and /api/events are jupyter_server 2 endpoints; the classic Notebook 6 server answers 404
// (and JupyterLab would retry forever), so the page answers for them: one fixed user, no events.
const user = new UserManager({
  serverSettings,
  userApiClient: {
    serverSettings,
    get: async () => ({
      identity: { username: "test", name: "Test", display_name: "Test", initials: "T", color: null, avatar_url: null },
      permissions: {},
    }),
  },
});
class NoEvents {
  constructor() {
    this.serverSettings = serverSettings;
    this.stream = new Stream(this);
    this.isDisposed = false;
  }
  async emit() {}
  dispose() {
    this.isDisposed = true;
  }
}
const services = new ServiceManager({ serverSettings, user, events: new NoEvents() });

// CodeMirror 6 editors, set up as JupyterLab's codemirror-extension does (the y-binding
// keeps each editor and its cell model in step).
const languages = new EditorLanguageRegistry();
for (const language of EditorLanguageRegistry.getDefaultLanguages()) languages.addLanguage(language);
const themes = new EditorThemeRegistry();
for (const theme of EditorThemeRegistry.getDefaultThemes()) themes.addTheme(theme);
const extensions = new EditorExtensionRegistry();
for (const extension of EditorExtensionRegistry.getDefaultExtensions({ themes })) extensions.addExtension(extension);
extensions.addExtension({
  name: "binding",
  factory: ({ model }) =>
    EditorExtensionRegistry.createImmutableExtension(
      ybinding({ ytext: model.sharedModel.ysource, undoManager: model.sharedModel.undoManager ?? undefined }),
    ),
});
const editorFactory = new CodeMirrorEditorFactory({ extensions, languages });
const mimeTypeService = new CodeMirrorMimeTypeService(languages);

const htmlRendermime = new RenderMimeRegistry({
  initialFactories: standardRendererFactories,
  latexTypesetter: new MathJaxTypesetter(),
  markdownParser: createMarkdownParser(languages),
});
const plotlyRendermime = htmlRendermime.clone();
for (const extension of plotlyExtensions) plotlyRendermime.addFactory(extension.rendererFactory, extension.rank);
const rendermimes = { plotly: plotlyRendermime, html: htmlRendermime };

const main = new BoxPanel({ direction: "left-to-right", spacing: 4 });
main.id = "main";
Widget.attach(main, document.body);
window.addEventListener("resize", () => main.update());

class Opener {
  constructor() {
    this.opened = new Signal(this);
  }
  open(widget) {
    if (!widget.isAttached) {
      main.addWidget(widget);
      BoxPanel.setStretch(widget, 1);
    }
    this.opened.emit(widget);
  }
}

// JupyterLab's notebook extension registers this executor (without one, each run warns and falls back to it).
setCellExecutor({ runCell });

const sessionDialogs = new SessionContextDialogs();
const documents = new DocumentRegistry();
const docManager = new DocumentManager({ registry: documents, manager: services, opener: new Opener(), sessionDialogs });
// The test saves explicitly (the toolbar's save button); an autosave in the middle would race it.
docManager.autosave = false;

/** Where Run All stands: "idle" before, "running", then "done" with `ok` (false when a cell failed). */
const runAll = { state: "idle", ok: null };

function toolbarItems(panel) {
  const runAllButton = new ToolbarButton({
    label: "Run All",
    tooltip: "Run all cells (Run > Run All Cells)",
    onClick: () => {
      runAll.state = "running";
      runAll.ok = null;
      void NotebookActions.runAll(panel.content, panel.sessionContext, sessionDialogs).then((ok) => {
        runAll.state = "done";
        runAll.ok = ok;
      });
    },
  });
  const shutDownButton = new ToolbarButton({
    label: "Shut Down Kernel",
    tooltip: "Shut down the kernel (Kernel > Shut Down Kernel)",
    onClick: () => void panel.sessionContext.shutdown(),
  });
  return [
    ...ToolbarItems.getDefaultItems(panel, sessionDialogs),
    { name: "kh-run-all", widget: runAllButton },
    { name: "kh-shut-down", widget: shutDownButton },
  ];
}

documents.addModelFactory(new NotebookModelFactory({}));
for (const view of views) {
  if (!(view in rendermimes)) throw new Error(`unknown view ${JSON.stringify(view)}: expected plotly or html`);
  documents.addWidgetFactory(
    new NotebookWidgetFactory({
      name: `Notebook (${view})`,
      modelName: "notebook",
      fileTypes: ["notebook"],
      defaultFor: view === views[0] ? ["notebook"] : [],
      preferKernel: withKernel,
      canStartKernel: withKernel,
      rendermime: rendermimes[view],
      contentFactory: new NotebookPanel.ContentFactory({ editorFactory: editorFactory.newInlineEditor }),
      mimeTypeService,
      toolbarFactory: toolbarItems,
    }),
  );
}

// The first view opens the notebook (and starts its kernel); the others are views of the same document.
const panels = views.map((view) => {
  const opened = docManager.open(notebookPath, `Notebook (${view})`);
  if (!opened) throw new Error(`could not open ${notebookPath}`);
  opened.node.dataset.khView = view;
  return opened;
});
const panel = panels[0];

/** What the test reads. */
window.khLab = {
  /** Resolves once the notebook is loaded and, with a kernel, the kernel is connected. */
  ready: (async () => {
    await panel.context.ready;
    if (withKernel) await panel.sessionContext.ready;
    return true;
  })(),
  /** Kernel status, Run All progress, and each code cell's execution count, trust, and prompts as each view shows them. */
  state: () => ({
    kernel: panel.sessionContext.session?.kernel?.status ?? "none",
    runAll: { ...runAll },
    codeCells: panel.content.widgets
      .map((cell, index) => ({ cell, index }))
      .filter(({ cell }) => cell.model.type === "code")
      .map(({ cell, index }) => ({
        executionCount: cell.model.executionCount,
        trusted: cell.model.trusted,
        prompts: panels.map((view) => (view.content.widgets[index]?.node.querySelector(".jp-InputPrompt")?.textContent ?? "").trim()),
      })),
  }),
  /** True while the notebook has changes not saved yet. */
  dirty: () => panel.context.model.dirty,
  /** The notebook as JupyterLab would save it (nbformat JSON). */
  model: () => panel.model.toJSON(),
  /** Appends a code cell with `source` and makes it the active (selected) cell. */
  appendCell: (source) => {
    panel.content.activeCellIndex = panel.content.widgets.length - 1;
    NotebookActions.insertBelow(panel.content);
    panel.content.activeCell.model.sharedModel.setSource(source);
    return panel.content.activeCellIndex;
  },
  /** Makes cell `index` the active (selected) cell, in command mode, as a click on its prompt does. */
  selectCell: (index) => {
    panel.content.mode = "command";
    panel.content.activeCellIndex = index;
    panel.content.deselectAll();
  },
};
