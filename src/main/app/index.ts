import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, session, shell, type WebFrameMain } from 'electron';
import { allChannels, EVENT_PREFIX } from '../../shared/api/contract';
import { createDispatcher, type Dispatch } from '../api/dispatcher';
import { failingDispatcher } from '../api/failing-services';
import { createAppContext, type AppContext } from '../context';
import { resolveDbPath } from '../paths';
import { createServices } from '../services';

// Electron entry: a window and the IPC registration, nothing else. The same services as the
// headless host and the CLI (src/main/services.ts).

const rendererIndex = path.join(import.meta.dirname, '../renderer/index.html');
const preloadFile = path.join(import.meta.dirname, '../preload/index.cjs');
let ctx: AppContext | undefined;

/** Only our own renderer (the bundled file, or the dev server in `npm run dev`) may call main. */
function trustedFrame(frame: WebFrameMain | null): boolean {
  if (!frame) return false;
  const url = frame.url;
  if (process.env.ELECTRON_RENDERER_URL) return url.startsWith(process.env.ELECTRON_RENDERER_URL);
  return (
    url.startsWith('file://') && decodeURIComponent(new URL(url).pathname).endsWith('/renderer/index.html')
  );
}

function registerIpc(dispatch: Dispatch): void {
  for (const { channel } of allChannels()) {
    ipcMain.handle(channel, (event, input: unknown) => {
      if (!trustedFrame(event.senderFrame)) {
        return { ok: false, error: { code: 'bad_request', message: 'Call from an untrusted frame.' } };
      }
      return dispatch(channel, input);
    });
  }
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 960,
    minHeight: 600,
    title: 'bitbench',
    show: false,
    webPreferences: {
      preload: preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  // No navigation away from the app and no new windows; external links open in the browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (url !== win.webContents.getURL()) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(rendererIndex);
  return win;
}

app.enableSandbox();
app.whenReady().then(() => {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    // No remote content: only our files, the dev server and devtools.
    const ok =
      /^(file|devtools|data|blob):/.test(details.url) ||
      (process.env.ELECTRON_RENDERER_URL !== undefined &&
        details.url.startsWith(process.env.ELECTRON_RENDERER_URL)) ||
      details.url.startsWith('ws://localhost');
    callback({ cancel: !ok });
  });
  let dispatch: Dispatch;
  try {
    ctx = createAppContext({
      dbPath: resolveDbPath(),
      shell: 'electron',
      ...(process.env.BITBENCH_SQLITE_BINDING ? { nativeBinding: process.env.BITBENCH_SQLITE_BINDING } : {}),
    });
    dispatch = createDispatcher(createServices(ctx), { dbPath: ctx.store.path });
    ctx.events.subscribe((name, payload) => {
      for (const w of BrowserWindow.getAllWindows()) w.webContents.send(`${EVENT_PREFIX}${name}`, payload);
    });
  } catch (err) {
    dialog.showErrorBox('bitbench cannot open its database', (err as Error).message);
    dispatch = failingDispatcher(err);
  }
  registerIpc(dispatch);
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
app.on('will-quit', () => {
  void ctx?.close();
});
